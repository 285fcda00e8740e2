"""Checks of the single sign-on settings: `manage.py check`, and `check --deploy` for the issuer's scheme."""

from django.conf import settings
from django.core.checks import Error, Warning, register

from hostup_dash.accounts.roles import Role


@register()
def sso_settings(app_configs, **kwargs) -> list:
    """With OIDC_ISSUER set, the client and the role map must be there and name real roles."""
    problems: list = []
    if not settings.OIDC_ISSUER:
        if not settings.LOCAL_LOGIN:
            problems.append(
                Warning(
                    "LOCAL_LOGIN is off but OIDC_ISSUER is unset: only break-glass accounts can log in.",
                    hint='Set OIDC_ISSUER (README "Single sign-on"), or LOCAL_LOGIN=True.',
                    id="sso.W002",
                )
            )
        return problems
    if not settings.OIDC_CLIENT_ID or not settings.OIDC_CLIENT_SECRET:
        problems.append(
            Error(
                "OIDC_ISSUER is set, but OIDC_CLIENT_ID or OIDC_CLIENT_SECRET (or OIDC_CLIENT_SECRET_FILE) is not.",
                hint='Register the dashboard as a confidential client at the provider (README "Single sign-on").',
                id="sso.E001",
            )
        )
    unknown = sorted({role for role in settings.OIDC_ROLE_MAP.values() if role not in Role.values})
    if unknown:
        problems.append(
            Error(
                f"OIDC_ROLE_MAP names roles that do not exist: {', '.join(unknown)}.",
                hint=f"Each group maps to one of {', '.join(Role.values)}, e.g. ops-admins=admin,ops=operator.",
                id="sso.E002",
            )
        )
    if not settings.OIDC_ROLE_MAP:
        problems.append(
            Warning(
                "OIDC_ROLE_MAP is empty: every single sign-on is refused, since no group gives a role.",
                hint="e.g. OIDC_ROLE_MAP=ops-admins=admin,ops=operator,security=auditor,staff=viewer",
                id="sso.W003",
            )
        )
    return problems


@register(deploy=True)
def sso_issuer_over_https(app_configs, **kwargs) -> list[Warning]:
    """The ID tokens, the client secret and the provider's keys travel to and from the issuer: only over TLS."""
    if not settings.OIDC_ISSUER or settings.OIDC_ISSUER.startswith("https://"):
        return []
    return [
        Warning(
            "OIDC_ISSUER is not an https:// address, so the login tokens and the client secret would cross "
            "the network in clear text and the provider's keys could be forged.",
            hint="Use the provider's https:// issuer URL (a local http provider is for tests only).",
            id="sso.W001",
        )
    ]
