"""Roles and the permissions each one holds (the table in DESIGN.md).

Roles are Django groups; the data migration and `seed_demo` both read this table.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import models


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    OPERATOR = "operator", "Operator"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Admin"


# Permission names as `app_label.codename`.
VIEW_INVENTORY = "inventory.view_vpssnapshot"
ALLOCATE_IPV6 = "inventory.allocate_routed_ipv6"
REFRESH_NEXT_HOP = "inventory.refresh_next_hop"
RELEASE_IPV6 = "inventory.release_routed_ipv6"
VIEW_VPS_HISTORY = "audit.view_vps_history"
VIEW_AUDIT = "audit.view_auditrecord"
EXPORT_AUDIT = "audit.export_auditrecord"
# Managing users and their roles happens in the Django admin.
MANAGE_USERS = ("auth.view_user", "auth.add_user", "auth.change_user", "auth.delete_user", "auth.view_group")

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.VIEWER: (VIEW_INVENTORY,),
    Role.OPERATOR: (VIEW_INVENTORY, ALLOCATE_IPV6, REFRESH_NEXT_HOP, VIEW_VPS_HISTORY),
    Role.AUDITOR: (VIEW_INVENTORY, VIEW_VPS_HISTORY, VIEW_AUDIT, EXPORT_AUDIT),
    Role.ADMIN: (
        VIEW_INVENTORY,
        ALLOCATE_IPV6,
        REFRESH_NEXT_HOP,
        RELEASE_IPV6,
        VIEW_VPS_HISTORY,
        VIEW_AUDIT,
        EXPORT_AUDIT,
        *MANAGE_USERS,
    ),
}

# When a user is in several groups, the audit log names the strongest.
_ROLE_ORDER = (Role.ADMIN, Role.OPERATOR, Role.AUDITOR, Role.VIEWER)


def user_role(user: AbstractBaseUser | AnonymousUser) -> str:
    """The role name recorded for a user: superusers count as admin, no group as ''.

    Kept on the user object, like Django's permission cache: one query per request, not
    one per audit record and top bar.
    """
    if not user.is_authenticated:
        return ""
    if not hasattr(user, "_hostup_role"):
        names = set(user.groups.values_list("name", flat=True))
        user._hostup_role = (
            str(Role.ADMIN) if user.is_superuser else next((str(role) for role in _ROLE_ORDER if role in names), "")
        )
    return user._hostup_role
