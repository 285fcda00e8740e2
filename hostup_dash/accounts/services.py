"""Role groups, and user accounts changed with an audit record (for the admin, commands and SSO).

Every change to an account is audited by the service that makes it, in the same transaction.
The facts recorded never include a password or its hash.
"""

from typing import Any

from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission, User
from django.db import transaction

from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord

from .roles import ROLE_PERMISSIONS, user_role

Action = AuditRecord.Action
# What decides a user's rights (a role change) and who the account is (a user change).
ROLE_FACTS = ("role", "groups", "permissions", "is_superuser", "is_staff")
PROFILE_FACTS = ("username", "first_name", "last_name", "email")


def role_groups_ensure(
    *, group_model: type[Group] = Group, permission_model: type[Permission] = Permission, partial: bool = False
) -> None:
    """Make each role a group holding exactly its permissions (the models are parameters for migrations).

    `partial` skips permissions whose model does not exist yet: each app that brings permissions runs
    this step in its own migration after creating them, so the last such migration completes every group.
    """
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=str(role))
        wanted = [name.split(".") for name in names]
        found = {
            (p.content_type.app_label, p.codename): p
            for p in permission_model.objects.select_related("content_type").filter(
                codename__in=[codename for _, codename in wanted]
            )
        }
        missing = [f"{app}.{codename}" for app, codename in wanted if (app, codename) not in found]
        if missing and not partial:
            raise permission_model.DoesNotExist(f"Missing permissions for role {role}: {', '.join(missing)}")
        group.permissions.set([found[app, codename] for app, codename in wanted if (app, codename) in found])


def role_groups_migrate(apps, schema_editor) -> None:
    """Data migration step: bring the role groups in line with ROLE_PERMISSIONS."""
    # Permissions are normally created after all migrations have run; they are needed now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    role_groups_ensure(
        group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"), partial=True
    )


def user_facts(user: User) -> dict[str, Any]:
    """What the audit log keeps of an account: its names, role, groups, direct permissions and flags."""
    user.__dict__.pop("_hostup_role", None)  # the groups may have just changed
    return {
        **{name: getattr(user, name) for name in PROFILE_FACTS},
        "role": user_role(user),
        "groups": sorted(user.groups.values_list("name", flat=True)),
        # Permissions given to the user directly grant rights beside the role's.
        "permissions": sorted(
            f"{app}.{codename}"
            for app, codename in user.user_permissions.values_list("content_type__app_label", "codename")
        ),
        "is_superuser": user.is_superuser,
        "is_staff": user.is_staff,
        "is_active": user.is_active,
    }


def user_change_audit(
    *,
    actor: User | None,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    via: str,
    client_ip: str | None,
    details: dict[str, Any] | None = None,
) -> None:
    """Audit an account saved by someone else's code (the admin's forms, SSO): created (`before` None),
    its role or flags changed, renamed, activated or deactivated. Nothing changed, nothing recorded."""
    record = {"actor": actor, "username": after["username"], "via": via, "client_ip": client_ip, "details": details}
    if before is None:
        audit.audit_account_record(action=Action.USER_CREATE, after=after, **record)
        return
    for action, names in ((Action.ROLE_CHANGE, ROLE_FACTS), (Action.USER_CHANGE, PROFILE_FACTS)):
        old, new = ({name: facts[name] for name in names} for facts in (before, after))
        if old != new:
            audit.audit_account_record(action=action, before=old, after=new, **record)
    if before["is_active"] != after["is_active"]:
        audit.audit_account_record(
            action=Action.USER_ACTIVATE if after["is_active"] else Action.USER_DEACTIVATE, **record
        )


def user_password_audit(*, actor: User | None, user: User, via: str, client_ip: str | None) -> None:
    """Audit a password that was just set (or password login disabled), never the password."""
    audit.audit_account_record(
        actor=actor,
        action=Action.PASSWORD_SET,
        username=user.get_username(),
        after={"has_usable_password": user.has_usable_password()},
        via=via,
        client_ip=client_ip,
    )


def user_create(
    *, actor: User | None, username: str, password: str, role: str, is_staff: bool, via: str, client_ip: str | None
) -> User:
    """Create a user in one role, audited; raises IntegrityError when the name is taken."""
    with transaction.atomic():
        user = User.objects.create_user(username=username, password=password, is_staff=is_staff)
        user.groups.set([Group.objects.get(name=role)])
        user_change_audit(actor=actor, before=None, after=user_facts(user), via=via, client_ip=client_ip)
    return user


def user_role_set(
    *, actor: User | None, user: User, role: str, is_staff: bool, via: str, client_ip: str | None
) -> None:
    """Put a user in exactly one role group, with the given staff flag; audited when anything changed."""
    with transaction.atomic():
        before = user_facts(user)
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
        user.groups.set([Group.objects.get(name=role)])
        user_change_audit(actor=actor, before=before, after=user_facts(user), via=via, client_ip=client_ip)


def user_password_set(*, actor: User | None, user: User, password: str, via: str, client_ip: str | None) -> None:
    """Set a user's password, audited."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        user_password_audit(actor=actor, user=user, via=via, client_ip=client_ip)


def user_delete(*, actor: User | None, user: User, via: str, client_ip: str | None) -> None:
    """Delete a user, audited with what the account was (the record outlives it)."""
    with transaction.atomic():
        audit.audit_account_record(
            actor=actor,
            action=Action.USER_DELETE,
            username=user.get_username(),
            before=user_facts(user),
            via=via,
            client_ip=client_ip,
        )
        user.delete()
