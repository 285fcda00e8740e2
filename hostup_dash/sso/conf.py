"""Our settings as mozilla-django-oidc asks for them, under its own names.

The library reads its settings by name (OIDC_RP_CLIENT_ID, OIDC_OP_TOKEN_ENDPOINT...). Our classes
answer those names from the settings the README documents, from the provider's discovery document,
or with the fixed choices below, so there is one place that says how the library is set up.
"""

from typing import Any

from django.conf import settings

from . import discovery

# The session of a user who logged in through the provider names this backend.
OIDC_BACKEND = "hostup_dash.sso.backends.OidcBackend"
SIGN_ALGORITHM = "RS256"
FIXED: dict[str, Any] = {
    "OIDC_USE_PKCE": True,
    "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
    "OIDC_USE_NONCE": True,
    # client_secret_basic: the method every provider must support.
    "OIDC_TOKEN_USE_BASIC_AUTH": True,
    # Kept in the (server-side) session as the provider logout's id_token_hint; never the access token.
    "OIDC_STORE_ID_TOKEN": True,
    "OIDC_STORE_ACCESS_TOKEN": False,
    "OIDC_AUTHENTICATION_CALLBACK_URL": "sso:callback",
}
OURS = {
    "OIDC_RP_CLIENT_ID": "OIDC_CLIENT_ID",
    "OIDC_RP_CLIENT_SECRET": "OIDC_CLIENT_SECRET",
    "OIDC_RP_SCOPES": "OIDC_SCOPES",
}
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def oidc_setting(name: str, *default: Any) -> Any:
    """What mozilla-django-oidc's `get_settings(name)` answers; a discovered endpoint raises ProviderUnavailable."""
    if name in FIXED:
        return FIXED[name]
    if name == "OIDC_TIMEOUT":  # the token and userinfo requests wait as long as the discovery's
        return discovery.TIMEOUT
    if name in DISCOVERED:
        return discovery.provider_metadata().get(DISCOVERED[name])
    return getattr(settings, OURS.get(name, name), *default)


def setting_property(name: str) -> property:
    """An attribute the library's classes set in __init__, read when used instead (discovery waits for first use)."""
    return property(lambda self: oidc_setting(name))


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER)
