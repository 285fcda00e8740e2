"""RoleBackend: ModelBackend's answers, with the permissions and the role read in one query."""

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission, User

from hostup_dash.accounts import roles
from hostup_dash.accounts.backends import RoleBackend
from hostup_dash.accounts.roles import Role, user_role

pytestmark = pytest.mark.django_db
OWN_PERMISSION = "audit.export_auditrecord"


def _fresh(user: User) -> User:
    """The user as a new request loads it: no cache on it yet."""
    return User.objects.get(pk=user.pk)


def _give_own_permission(user: User) -> None:
    app_label, codename = OWN_PERMISSION.split(".")
    user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def test_permissions_and_role_come_from_one_query(make_user, django_assert_num_queries):
    user = make_user(Role.OPERATOR)
    _give_own_permission(user)
    user = _fresh(user)

    with django_assert_num_queries(1):  # a permission check first, as a view's decorator asks
        assert user.has_perm(roles.ALLOCATE_IPV6) and user.has_perm(OWN_PERMISSION)
        assert not user.has_perm(roles.RELEASE_IPV6)
        assert user_role(user) == Role.OPERATOR


def test_permission_sets_are_model_backends(make_user):
    user = make_user(Role.OPERATOR)
    user.groups.add(Group.objects.get(name=Role.AUDITOR), Group.objects.create(name="no permissions"))
    _give_own_permission(user)
    ours, django = RoleBackend(), ModelBackend()

    assert ours.get_user_permissions(_fresh(user)) == django.get_user_permissions(_fresh(user)) == {OWN_PERMISSION}
    assert ours.get_group_permissions(_fresh(user)) == django.get_group_permissions(_fresh(user))
    assert ours.get_all_permissions(_fresh(user)) == django.get_all_permissions(_fresh(user))


def test_a_group_without_permissions_still_names_the_role(make_user):
    user = make_user(Role.AUDITOR)
    Group.objects.get(name=Role.AUDITOR).permissions.clear()
    user = _fresh(user)

    assert user_role(user) == Role.AUDITOR
    assert not user.has_perm(roles.VIEW_AUDIT)


def test_an_inactive_user_has_no_permission(make_user):
    user = make_user(Role.ADMIN)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert not RoleBackend().has_perm(_fresh(user), roles.VIEW_INVENTORY)


def test_a_superuser_has_every_permission_and_counts_as_admin_without_a_query(django_assert_num_queries):
    user = _fresh(User.objects.create_superuser(username="root"))

    with django_assert_num_queries(0):
        assert user.has_perm(roles.RELEASE_IPV6) and user_role(user) == Role.ADMIN


def test_a_role_change_applies_on_the_next_request(make_user, client):
    user = make_user(Role.VIEWER)
    client.force_login(user)
    assert client.get("/audit/").status_code == 403

    user.groups.set([Group.objects.get(name=Role.AUDITOR)])

    assert client.get("/audit/").status_code == 200
