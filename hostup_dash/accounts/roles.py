"""Roles and the permissions each one holds (the table in DESIGN.md).

Roles are Django groups; the data migration and `seed_demo` both read this table.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group, Permission
from django.db import models
from django.db.models import Value


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    OPERATOR = "operator", "Operator"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Admin"
    # Optional: decides change requests (four-eyes approval) without any right to act itself.
    APPROVER = "approver", "Approver"


# Permission names as `app_label.codename`.
VIEW_INVENTORY = "inventory.view_vpssnapshot"
ALLOCATE_IPV6 = "inventory.allocate_routed_ipv6"
REFRESH_NEXT_HOP = "inventory.refresh_next_hop"
RELEASE_IPV6 = "inventory.release_routed_ipv6"
VIEW_VPS_HISTORY = "audit.view_vps_history"
VIEW_AUDIT = "audit.view_auditrecord"
EXPORT_AUDIT = "audit.export_auditrecord"
APPROVE_CHANGE = "approvals.approve_change"
# The account-level routed IPv6: routes cut from the /48 pools, and the pools themselves.
CREATE_ROUTE = "pools.create_route"
DELETE_ROUTE = "pools.delete_route"
ALLOCATE_POOL = "pools.allocate_pool"
RELEASE_POOL = "pools.release_pool"
# Managing users and their roles happens in the Django admin.
MANAGE_USERS = ("auth.view_user", "auth.add_user", "auth.change_user", "auth.delete_user", "auth.view_group")
# Outgoing webhooks and their delivery logs, in the Django admin as well.
MANAGE_WEBHOOKS = (
    "notifications.view_webhook",
    "notifications.add_webhook",
    "notifications.change_webhook",
    "notifications.delete_webhook",
    "notifications.view_delivery",
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.VIEWER: (VIEW_INVENTORY,),
    Role.OPERATOR: (VIEW_INVENTORY, ALLOCATE_IPV6, REFRESH_NEXT_HOP, VIEW_VPS_HISTORY, CREATE_ROUTE),
    Role.AUDITOR: (VIEW_INVENTORY, VIEW_VPS_HISTORY, VIEW_AUDIT, EXPORT_AUDIT),
    Role.ADMIN: (
        VIEW_INVENTORY,
        ALLOCATE_IPV6,
        REFRESH_NEXT_HOP,
        RELEASE_IPV6,
        VIEW_VPS_HISTORY,
        VIEW_AUDIT,
        EXPORT_AUDIT,
        APPROVE_CHANGE,
        CREATE_ROUTE,
        DELETE_ROUTE,
        ALLOCATE_POOL,
        RELEASE_POOL,
        *MANAGE_USERS,
        *MANAGE_WEBHOOKS,
    ),
    # Change requests are listed for whoever may read VPS histories: they carry the same reasons.
    Role.APPROVER: (VIEW_INVENTORY, VIEW_VPS_HISTORY, APPROVE_CHANGE),
}

# When a user is in several groups, the audit log names the strongest.
_ROLE_ORDER = (Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR, Role.VIEWER)
# Where the role is kept on a user object; code that changes a user's groups drops it.
ROLE_CACHE = "_hostup_role"


def user_role(user: AbstractBaseUser | AnonymousUser) -> str:
    """The role name recorded for a user: superusers count as admin, no group as ''.

    Kept on the user object, like Django's permission cache: read once per request with the
    permissions (`user_rights_load`), not once per audit record and top bar.
    """
    if not user.is_authenticated:
        return ""
    if not hasattr(user, ROLE_CACHE):
        user_rights_load(user)
    return getattr(user, ROLE_CACHE)


def user_rights_load(user: AbstractBaseUser) -> None:
    """Read a user's groups, their permissions and the user's own permissions in one query, and keep the
    role and the permissions on the user object, the latter in the caches that ModelBackend reads.

    A superuser's role needs no query; ModelBackend answers a superuser's permissions itself (all of them).
    """
    if user.is_superuser:
        setattr(user, ROLE_CACHE, str(Role.ADMIN))
        return
    # A group without permissions still names a role: its row has no permission (a LEFT JOIN).
    of_groups = Group.objects.filter(user=user).values_list(
        "name", "permissions__content_type__app_label", "permissions__codename"
    )
    own = Permission.objects.filter(user=user).values_list(
        Value(None, output_field=models.CharField()), "content_type__app_label", "codename"
    )
    groups, group_perms, user_perms = set(), set(), set()
    for group, app_label, codename in of_groups.union(own, all=True):
        if group is None:
            user_perms.add(f"{app_label}.{codename}")
        else:
            groups.add(group)
            if codename is not None:
                group_perms.add(f"{app_label}.{codename}")
    setattr(user, ROLE_CACHE, next((str(role) for role in _ROLE_ORDER if role in groups), ""))
    user._user_perm_cache = user_perms
    user._group_perm_cache = group_perms
    user._perm_cache = user_perms | group_perms
