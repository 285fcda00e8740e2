"""Only a superuser may grant or remove superuser or staff status; the admin role manages the four roles."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse

from tests.accounts.admin_forms import change_form


def _flags(user: User) -> tuple[bool, bool]:
    user.refresh_from_db()
    return user.is_superuser, user.is_staff


@pytest.mark.django_db
def test_the_admin_role_cannot_grant_superuser_status(make_user, admin_client_role):
    user = make_user("operator", username="mallory")

    admin_client_role.post(
        reverse("admin:auth_user_change", args=[user.pk]), change_form(user, ["operator"], is_superuser=True)
    )

    assert _flags(user) == (False, False)


@pytest.mark.django_db
def test_the_admin_role_cannot_grant_staff_status(make_user, admin_client_role):
    user = make_user("operator", username="trent")

    admin_client_role.post(
        reverse("admin:auth_user_change", args=[user.pk]), change_form(user, ["operator"], is_staff=True)
    )

    assert _flags(user) == (False, False)


@pytest.mark.django_db
def test_the_admin_role_cannot_remove_staff_status(make_user, admin_client_role):
    user = make_user("admin", username="walter")

    admin_client_role.post(reverse("admin:auth_user_change", args=[user.pk]), change_form(user, ["admin"]))

    assert _flags(user) == (False, True)


@pytest.mark.django_db
def test_the_admin_role_still_changes_roles(make_user, admin_client_role):
    user = make_user("viewer", username="rita")

    admin_client_role.post(reverse("admin:auth_user_change", args=[user.pk]), change_form(user, ["auditor"]))

    assert list(user.groups.values_list("name", flat=True)) == ["auditor"]


@pytest.mark.django_db
def test_the_admin_role_may_only_give_the_four_role_groups(make_user, admin_client_role):
    Group.objects.create(name="group-admins")
    user = make_user("viewer", username="gail")

    response = admin_client_role.post(
        reverse("admin:auth_user_change", args=[user.pk]), change_form(user, ["viewer", "group-admins"])
    )

    assert response.status_code == 200  # the form refuses the choice
    assert list(user.groups.values_list("name", flat=True)) == ["viewer"]


@pytest.mark.django_db
def test_the_admin_role_cannot_set_a_superusers_password(admin_client_role, django_user_model):
    root = django_user_model.objects.create_superuser(username="boss", password="old-password-123")

    response = admin_client_role.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "taken-over-123!", "password2": "taken-over-123!", "usable_password": "true"},
    )

    assert response.status_code == 403
    root.refresh_from_db()
    assert root.check_password("old-password-123")


@pytest.mark.django_db
def test_the_admin_role_cannot_delete_a_superuser(admin_client_role, django_user_model):
    root = django_user_model.objects.create_superuser(username="boss", password="old-password-123")

    response = admin_client_role.post(reverse("admin:auth_user_delete", args=[root.pk]), {"post": "yes"})

    assert response.status_code == 403
    assert User.objects.filter(pk=root.pk).exists()


@pytest.mark.django_db
def test_the_save_path_refuses_flag_changes_by_the_admin_role(make_user):
    actor, user = make_user("admin", username="ada"), make_user("viewer", username="vic")
    request = RequestFactory().post("/")
    request.user = actor
    user.is_superuser = True

    with pytest.raises(PermissionDenied):
        admin.site._registry[User].save_model(request, user, form=None, change=True)

    assert _flags(user) == (False, False)


@pytest.mark.django_db
def test_a_superuser_can_grant_superuser_and_staff_status(make_user, superuser_client):
    user = make_user("operator", username="sam")

    superuser_client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        change_form(user, ["operator"], is_superuser=True, is_staff=True),
    )

    assert _flags(user) == (True, True)


@pytest.mark.django_db
def test_a_superuser_can_remove_superuser_status(superuser_client, django_user_model):
    other = django_user_model.objects.create_superuser(username="former", password="old-password-123")

    superuser_client.post(reverse("admin:auth_user_change", args=[other.pk]), change_form(other, []))

    assert _flags(other) == (False, False)


@pytest.mark.django_db
def test_the_admin_role_cannot_give_permissions_directly(make_user, admin_client_role):
    user = make_user("viewer", username="gus")

    admin_client_role.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        change_form(user, ["viewer"], permissions=("release_routed_ipv6",)),
    )

    assert not user.user_permissions.exists()
