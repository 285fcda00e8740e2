"""Role groups: created by a data migration, re-checked by seed_demo and tests."""

from django.contrib.auth.models import Group, Permission

from .roles import ROLE_PERMISSIONS


def role_groups_ensure(*, group_model: type[Group] = Group, permission_model: type[Permission] = Permission) -> None:
    """Make each role a group holding exactly its permissions (the models are parameters for migrations)."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=str(role))
        permissions = [
            permission_model.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in (name.split(".") for name in names)
        ]
        group.permissions.set(permissions)
