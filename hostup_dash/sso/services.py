"""Single sign-on: the user a provider's claims name, their role groups, and the audit records of it all.

The provider is authoritative for the role groups (and the staff flag the admin role brings), on
every login and session refresh; every other group, permission and flag of an account stays as it is.
"""

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connection, transaction

from hostup_dash.accounts.roles import Role
from hostup_dash.accounts.services import user_change_audit, user_facts
from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.locks import lock_key

from . import discovery
from .errors import (
    GROUPS_OVERAGE,
    GROUPS_OVERAGE_MESSAGE,
    INACTIVE_MESSAGE,
    INACTIVE_USER,
    UNMAPPED_GROUPS,
    UNMAPPED_MESSAGE,
    ProviderUnavailable,
    SsoRefused,
)
from .models import LoginPolicy, OidcIdentity

Action = AuditRecord.Action
VIA_OIDC = "oidc"
# One first login at a time picks a free username.
USERNAME_LOCK = "sso-username"
USERNAME_MAX = 150
NOT_USERNAME = re.compile(r"[^\w.@+-]")


@dataclass(frozen=True)
class SsoLogin:
    user: User
    # What the login's audit record keeps: method, issuer, the provider's sub, the groups seen.
    details: dict[str, Any]


def claim_values(value: Any) -> list[str]:
    """A claim as a list of strings: providers send one group as a string, several as a list."""
    if value is None:
        return []
    values = value if isinstance(value, list | tuple) else [value]
    return [str(item) for item in values]


def roles_for(groups: list[str]) -> list[str]:
    """The roles OIDC_ROLE_MAP gives these provider groups, by name."""
    return sorted({settings.OIDC_ROLE_MAP[group] for group in groups if group in settings.OIDC_ROLE_MAP})


def role_claim_left_out(claims: dict[str, Any]) -> bool:
    """Whether the provider left the role claim out and only named it in `_claim_names`, a distributed claim
    (OpenID Connect Core 5.6.2): Entra ID does so for someone in too many groups. The dashboard does not
    fetch it (that would need Graph permissions), and never keeps `_claim_sources`, which may hold a token."""
    names = claims.get("_claim_names")
    return settings.OIDC_ROLE_CLAIM not in claims and isinstance(names, dict) and settings.OIDC_ROLE_CLAIM in names


def sso_details(claims: dict[str, Any]) -> dict[str, Any]:
    """What every SSO audit record says about the person: never a token."""
    details = {
        "method": VIA_OIDC,
        "issuer": claims.get("iss", ""),
        "sub": str(claims.get("sub", "")),
        "groups": claim_values(claims.get(settings.OIDC_ROLE_CLAIM)),
    }
    return {**details, "groups_overage": True} if role_claim_left_out(claims) else details


def sso_user_sync(*, claims: dict[str, Any], client_ip: str | None) -> SsoLogin:
    """The user the verified claims name (by iss + sub), created on a first login, with role groups set from
    the role claim. Raises SsoRefused when the claim maps to no role, or was left out for too many groups
    (a known user then loses the role groups, audited), or the account is deactivated."""
    details = sso_details(claims)
    roles = roles_for(details["groups"])
    with transaction.atomic():
        # Two logins of one person at once must not both create the account.
        _xact_lock(f"sso:{details['issuer']}:{details['sub']}")
        identity = (
            OidcIdentity.objects.select_related("user").filter(issuer=details["issuer"], subject=details["sub"]).first()
        )
        user = identity.user if identity else None
        if user is not None and not user.is_active:
            raise SsoRefused(INACTIVE_USER, INACTIVE_MESSAGE, status=403, details={**details, "user": user.username})
        if user is not None:
            _role_groups_set(user=user, roles=roles, details=details, client_ip=client_ip)
        elif roles:
            user = _user_create(claims=claims, roles=roles, details=details, client_ip=client_ip)
    if not roles:
        # Outside the transaction: the role groups a leaver lost stay lost.
        provider = settings.OIDC_PROVIDER_NAME
        overage = details.get("groups_overage", False)
        raise SsoRefused(
            GROUPS_OVERAGE if overage else UNMAPPED_GROUPS,
            (GROUPS_OVERAGE_MESSAGE if overage else UNMAPPED_MESSAGE).format(provider=provider),
            status=403,
            details={**details, "user": user.username if user else _wanted_username(claims)},
        )
    return SsoLogin(user=user, details=details)


def _xact_lock(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(name)])


def _role_groups_set(*, user: User, roles: list[str], details: dict[str, Any], client_ip: str | None) -> None:
    """Make the user's role groups exactly `roles`, keeping every other group; audited when anything changed."""
    before = user_facts(user)
    role_groups = list(Group.objects.filter(name__in=Role.values))
    user.groups.remove(*[group for group in role_groups if group.name not in roles])
    user.groups.add(*[group for group in role_groups if group.name in roles])
    is_staff = Role.ADMIN in roles or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    user_change_audit(
        actor=None, before=before, after=user_facts(user), via=VIA_OIDC, client_ip=client_ip, details=details
    )


def _wanted_username(claims: dict[str, Any]) -> str:
    wanted = claims.get("preferred_username") or str(claims.get("email", "")).split("@")[0] or claims["sub"]
    return NOT_USERNAME.sub("", str(wanted))[: USERNAME_MAX - 8] or "sso-user"


def _user_create(*, claims: dict[str, Any], roles: list[str], details: dict[str, Any], client_ip: str | None) -> User:
    """A new account for a first login: no usable password, username from preferred_username made unique."""
    _xact_lock(USERNAME_LOCK)
    wanted = _wanted_username(claims)
    username, number = wanted, 1
    while User.objects.filter(username__iexact=username).exists():
        number += 1
        username = f"{wanted}-{number}"
    user = User.objects.create_user(
        username=username,
        email=str(claims.get("email", ""))[:254],
        first_name=str(claims.get("given_name", ""))[:150],
        last_name=str(claims.get("family_name", ""))[:150],
        is_staff=Role.ADMIN in roles,
    )
    user.groups.set(Group.objects.filter(name__in=roles))
    OidcIdentity.objects.create(user=user, issuer=details["issuer"], subject=details["sub"])
    user_change_audit(
        actor=None, before=None, after=user_facts(user), via=VIA_OIDC, client_ip=client_ip, details=details
    )
    return user


def sso_refusal_audit(*, refusal: SsoRefused, user: User | None, client_ip: str | None) -> None:
    """Record a refused single sign-on: why, and whatever is known of who (the signed-in user whose session
    was being refreshed, the provider's sub, the groups seen)."""
    username = str(refusal.details.get("user") or (user.get_username() if user else ""))
    audit.audit_auth_record(
        action=Action.LOGIN_FAILED,
        username=username[:USERNAME_MAX],
        actor=user,
        client_ip=client_ip,
        request_body={"method": VIA_OIDC, "reason": refusal.reason, **refusal.details},
    )


def sso_logout_details(user: User, *, reason: str = "") -> dict[str, Any]:
    """What a logout's audit record says about an SSO user."""
    identity = OidcIdentity.objects.filter(user=user).first()
    details = {
        "method": VIA_OIDC,
        "issuer": identity.issuer if identity else "",
        "sub": identity.subject if identity else "",
    }
    return {**details, "reason": reason} if reason else details


def provider_logout_url(*, id_token: str | None, after_logout_url: str) -> str | None:
    """Where to send the browser so the provider ends its session too (RP-initiated logout), or None when
    the provider offers no end_session_endpoint or cannot be reached (the dashboard's logout goes on)."""
    try:
        endpoint = discovery.provider_metadata().get("end_session_endpoint")
    except ProviderUnavailable:
        return None
    if not discovery.is_url(endpoint):
        return None
    params = {"client_id": settings.OIDC_CLIENT_ID, "post_logout_redirect_uri": after_logout_url}
    if id_token:
        params["id_token_hint"] = id_token
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(params)}"


def is_break_glass(username: str) -> bool:
    """Whether this active account may log in with a password while LOCAL_LOGIN is off."""
    return LoginPolicy.objects.filter(user__username=username, user__is_active=True, is_break_glass=True).exists()


def break_glass_ticked(user: User) -> bool:
    """Whether the account's break-glass box is ticked (active or not)."""
    return LoginPolicy.objects.filter(user=user, is_break_glass=True).exists()


def break_glass_set(*, actor: User, user: User, is_break_glass: bool, via: str, client_ip: str | None) -> None:
    """Tick or clear an account's break-glass box; audited when it changed."""
    was_break_glass = break_glass_ticked(user)
    if was_break_glass == is_break_glass:
        return
    with transaction.atomic():
        LoginPolicy.objects.update_or_create(user=user, defaults={"is_break_glass": is_break_glass})
        audit.audit_account_record(
            actor=actor,
            action=Action.USER_CHANGE,
            username=user.get_username(),
            via=via,
            client_ip=client_ip,
            before={"is_break_glass": was_break_glass},
            after={"is_break_glass": is_break_glass},
        )
