"""Every change to a user account made in the Django admin is audited, never with the password or its hash."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from tests.accounts.admin_forms import change_form

Action = AuditRecord.Action
NEW_PASSWORD = "another-long-password-42"


def _only_record(action: str) -> AuditRecord:
    return AuditRecord.objects.get(action=action)


def _never_stored(*secrets: str) -> None:
    trail = str(list(AuditRecord.objects.values()))
    for secret in secrets:
        assert secret not in trail


@pytest.mark.django_db
def test_setting_a_password_in_the_admin_is_audited_without_the_password(make_user, admin_client_role):
    user = make_user("operator", username="olga")

    response = admin_client_role.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    record = _only_record(Action.PASSWORD_SET)
    assert (record.actor_name, record.request_body["user"], record.request_body["via"]) == ("admin", "olga", "admin")
    user.refresh_from_db()
    _never_stored(NEW_PASSWORD, user.password, user.password.split("$")[-1])


@pytest.mark.django_db
def test_a_refused_password_form_records_nothing(make_user, admin_client_role):
    user = make_user("operator", username="oscar")

    response = admin_client_role.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": NEW_PASSWORD, "password2": "does-not-match", "usable_password": "true"},
    )

    assert response.status_code == 200
    assert not AuditRecord.objects.filter(action=Action.PASSWORD_SET).exists()


@pytest.mark.django_db
def test_deleting_a_user_in_the_admin_is_audited(make_user, admin_client_role):
    user = make_user("viewer", username="dora")

    response = admin_client_role.post(reverse("admin:auth_user_delete", args=[user.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(username="dora").exists()
    record = _only_record(Action.USER_DELETE)
    assert (record.request_body["user"], record.request_body["before"]["role"]) == ("dora", "viewer")


@pytest.mark.django_db
def test_deleting_users_from_the_list_audits_each_one(make_user, admin_client_role):
    users = [make_user("viewer", username=name) for name in ("vera", "vince")]

    admin_client_role.post(
        reverse("admin:auth_user_changelist"),
        {"action": "delete_selected", "_selected_action": [str(user.pk) for user in users], "post": "yes"},
    )

    assert not User.objects.filter(username__in=["vera", "vince"]).exists()
    deleted = AuditRecord.objects.filter(action=Action.USER_DELETE).values_list("request_body__user", flat=True)
    assert sorted(deleted) == ["vera", "vince"]


@pytest.mark.django_db
def test_creating_a_user_in_the_admin_is_audited_without_the_password(make_user, admin_client_role):
    response = admin_client_role.post(
        reverse("admin:auth_user_add"),
        {"username": "nina", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    record = _only_record(Action.USER_CREATE)
    assert record.request_body["user"] == "nina"
    assert record.request_body["after"]["is_active"] is True
    _never_stored(NEW_PASSWORD, User.objects.get(username="nina").password)


@pytest.mark.django_db
def test_deactivating_a_user_is_audited_as_a_deactivation(make_user, admin_client_role):
    user = make_user("operator", username="ivan")
    form = change_form(user, ["operator"])
    del form["is_active"]

    admin_client_role.post(reverse("admin:auth_user_change", args=[user.pk]), form)

    assert _only_record(Action.USER_DEACTIVATE).request_body["user"] == "ivan"
    assert not AuditRecord.objects.filter(action=Action.ROLE_CHANGE).exists()


@pytest.mark.django_db
def test_reactivating_a_user_is_audited_as_an_activation(make_user, admin_client_role):
    user = make_user("operator", username="ines")
    User.objects.filter(pk=user.pk).update(is_active=False)

    admin_client_role.post(reverse("admin:auth_user_change", args=[user.pk]), change_form(user, ["operator"]))

    assert _only_record(Action.USER_ACTIVATE).request_body["user"] == "ines"


@pytest.mark.django_db
def test_renaming_a_user_is_audited_with_both_names(make_user, admin_client_role):
    user = make_user("operator", username="paul")
    form = {**change_form(user, ["operator"]), "username": "paula"}

    admin_client_role.post(reverse("admin:auth_user_change", args=[user.pk]), form)

    body = _only_record(Action.USER_CHANGE).request_body
    assert (body["before"]["username"], body["after"]["username"]) == ("paul", "paula")
