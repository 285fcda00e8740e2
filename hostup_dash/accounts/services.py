"""Role groups: created by a data migration, re-checked by seed_demo and tests."""

from django.contrib.auth.management import create_permissions
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


def role_groups_migrate(apps, schema_editor) -> None:
    """Data migration step: bring the role groups in line with ROLE_PERMISSIONS."""
    # Permissions are normally created after all migrations have run; they are needed now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    role_groups_ensure(
        group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission")
    )
