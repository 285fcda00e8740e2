"""Admins give roles in the Django admin; each change is audited."""

import pytest
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from tests.accounts.admin_forms import change_form


@pytest.mark.django_db
def test_role_change_is_audited(make_user, admin_client_role):
    user = make_user("viewer", username="carol")

    response = admin_client_role.post(
        reverse("admin:auth_user_change", args=[user.pk]), change_form(user, ["operator"])
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    record = AuditRecord.objects.get(action=AuditRecord.Action.ROLE_CHANGE)
    assert record.actor_name == "admin"
    assert record.request_body["user"] == "carol"
    assert (record.request_body["before"]["role"], record.request_body["after"]["role"]) == ("viewer", "operator")


@pytest.mark.django_db
def test_saving_without_a_role_change_records_nothing(make_user, admin_client_role):
    user = make_user("viewer", username="dave")

    admin_client_role.post(reverse("admin:auth_user_change", args=[user.pk]), change_form(user, ["viewer"]))

    assert not AuditRecord.objects.filter(action=AuditRecord.Action.ROLE_CHANGE).exists()


@pytest.mark.django_db
def test_operators_cannot_reach_the_user_admin(operator_client, make_user):
    user = make_user("viewer", username="erin")

    response = operator_client.get(reverse("admin:auth_user_change", args=[user.pk]))

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
def test_a_permission_given_directly_is_audited(make_user, superuser_client):
    user = make_user("viewer", username="frank")

    superuser_client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        change_form(user, ["viewer"], permissions=("release_routed_ipv6",)),
    )

    record = AuditRecord.objects.get(action=AuditRecord.Action.ROLE_CHANGE)
    assert record.request_body["after"]["permissions"] == ["inventory.release_routed_ipv6"]
