"""The break-glass checkbox on a user in the Django admin: a superuser's to tick, and audited."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from hostup_dash.sso.models import LoginPolicy
from tests.accounts.admin_forms import change_form
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser(username="root", password=PASSWORD))
    return client


def test_a_superuser_ticks_the_break_glass_box_and_it_is_audited(make_user, superuser_client):
    user = make_user("admin", username="glass")
    url = reverse("admin:auth_user_change", args=[user.pk])
    assert "Break-glass account" in superuser_client.get(url).content.decode()

    response = superuser_client.post(url, {**change_form(user, ["admin"], is_staff=True), "is_break_glass": "on"})

    assert response.status_code == 302
    assert LoginPolicy.objects.get(user=user).is_break_glass
    record = AuditRecord.objects.get(action=AuditRecord.Action.USER_CHANGE)
    assert record.actor_name == "root"
    assert record.request_body == {
        "user": "glass",
        "via": "admin",
        "before": {"is_break_glass": False},
        "after": {"is_break_glass": True},
    }
    assert re.search(r'name="is_break_glass"[^>]* checked', superuser_client.get(url).content.decode())


def test_clearing_the_box_is_audited_too(make_user, superuser_client):
    user = make_user("admin", username="glass")
    LoginPolicy.objects.create(user=user, is_break_glass=True)
    url = reverse("admin:auth_user_change", args=[user.pk])

    superuser_client.post(url, change_form(user, ["admin"], is_staff=True))

    assert not LoginPolicy.objects.get(user=user).is_break_glass
    assert AuditRecord.objects.get(action=AuditRecord.Action.USER_CHANGE).request_body["after"] == {
        "is_break_glass": False
    }


def test_the_admin_role_neither_sees_nor_changes_the_box(make_user, admin_client_role):
    user = make_user("operator", username="sam")
    LoginPolicy.objects.create(user=user, is_break_glass=True)
    url = reverse("admin:auth_user_change", args=[user.pk])
    assert "Break-glass account" not in admin_client_role.get(url).content.decode()

    admin_client_role.post(url, change_form(user, ["viewer"]))

    assert LoginPolicy.objects.get(user=user).is_break_glass
