"""The login backends of single sign-on: the OpenID Connect one, and the gate in front of password logins."""

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.signals import LOGIN_AUDIT
from hostup_dash.core.http import client_ip

from . import discovery, services
from .conf import SIGN_ALGORITHM, oidc_setting, setting_property, sso_enabled
from .errors import (
    BAD_TOKEN,
    BAD_TOKEN_MESSAGE,
    PROVIDER_UNREACHABLE,
    PROVIDER_UNREACHABLE_MESSAGE,
    TOKEN_EXCHANGE_FAILED,
    TOKEN_EXCHANGE_MESSAGE,
    ProviderUnavailable,
    SsoRefused,
)

# Leeway for the clocks of the provider and the dashboard.
CLOCK_SKEW_SECONDS = 60
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat"]


class OidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's code flow, with the user matched on iss + sub and roles from the role claim.

    It answers only the callback's authenticate() (which passes the nonce), and never returns None
    there: it returns the user or raises SsoRefused, which the callback view audits and shows.
    """

    get_settings = staticmethod(oidc_setting)
    OIDC_OP_TOKEN_ENDPOINT = setting_property("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = setting_property("OIDC_OP_USER_ENDPOINT")
    OIDC_RP_CLIENT_ID = setting_property("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = setting_property("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = SIGN_ALGORITHM
    OIDC_RP_IDP_SIGN_KEY = None

    def __init__(self, *args, **kwargs) -> None:
        # Not the library's __init__, which reads the endpoints: Django builds every backend for each
        # permission check, and discovery waits for the first login.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if not sso_enabled() or "nonce" not in kwargs:
            return None  # a password login, or single sign-on is off
        provider = settings.OIDC_PROVIDER_NAME
        try:
            return super().authenticate(request, **kwargs)
        except ProviderUnavailable as error:
            raise _unreachable(provider, error) from error
        except requests.RequestException as error:
            if error.response is None:  # no answer in time, or none at all
                raise _unreachable(provider, error) from error
            code = _oauth_error(error.response)
            raise SsoRefused(
                TOKEN_EXCHANGE_FAILED,
                TOKEN_EXCHANGE_MESSAGE.format(provider=provider, error=code),
                status=502,
                details={"error": code},
            ) from error
        except SuspiciousOperation as error:
            raise SsoRefused(BAD_TOKEN, BAD_TOKEN_MESSAGE, details={"error": str(error)[:300]}) from error

    def retrieve_matching_jwk(self, token):
        """The provider's key for the token's kid, from the key set kept by `discovery`."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"The ID token is not a JWT: {error}") from error
        key = discovery.signing_key(kid=header.get("kid"), alg=SIGN_ALGORITHM)
        if key is None:
            raise SuspiciousOperation(f"The provider publishes no key with the ID token's kid {header.get('kid')!r}.")
        return key

    def _verify_jws(self, payload, key):
        """Signature, issuer, audience and expiry of the ID token (the library leaves out issuer and audience)."""
        try:
            claims = jwt.decode(
                payload,
                key,
                algorithms=[SIGN_ALGORITHM],
                audience=settings.OIDC_CLIENT_ID,
                issuer=settings.OIDC_ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"The ID token was refused: {error}") from error
        # A token for several audiences was issued to us only if its authorized party says so (OIDC Core 3.1.3.7).
        if isinstance(claims["aud"], list) and len(claims["aud"]) > 1 and claims.get("azp") != settings.OIDC_CLIENT_ID:
            raise SuspiciousOperation("The ID token names several audiences and another authorized party (azp).")
        return claims

    def get_token(self, payload):
        token_info = super().get_token(payload)
        if not isinstance(token_info, dict):
            raise SuspiciousOperation("The token endpoint's answer is not a JSON object.")
        return token_info

    def get_or_create_user(self, access_token, id_token, payload):
        claims = dict(payload)
        if self.OIDC_OP_USER_ENDPOINT:
            userinfo = self.get_userinfo(access_token, id_token, payload)
            # SsoRefused, not SuspiciousOperation: the library would swallow that here and only log it.
            if not isinstance(userinfo, dict) or str(userinfo.get("sub")) != str(payload["sub"]):
                mismatch = "The userinfo answer is not about the ID token's sub."
                raise SsoRefused(BAD_TOKEN, BAD_TOKEN_MESSAGE, details={"error": mismatch})
            # The signed ID token wins where both name a claim.
            claims = {**userinfo, **payload}
        login = services.sso_user_sync(claims=claims, client_ip=client_ip(self.request))
        setattr(self.request, LOGIN_AUDIT, (AuditRecord.Action.LOGIN, login.details))
        return login.user

    def get_user(self, user_id):
        # ModelBackend's: an account deactivated since is logged out. With SSO off, so is every SSO session.
        return ModelBackend.get_user(self, user_id) if sso_enabled() else None


def _unreachable(provider: str, error: Exception) -> SsoRefused:
    return SsoRefused(
        PROVIDER_UNREACHABLE,
        PROVIDER_UNREACHABLE_MESSAGE.format(provider=provider),
        status=502,
        details={"error": str(error)[:300]},
    )


def _oauth_error(response: requests.Response) -> str:
    """The OAuth error code of a refused token or userinfo request ("invalid_grant"), or its HTTP status."""
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if isinstance(answer, dict) and isinstance(answer.get("error"), str):
        return answer["error"][:100]
    return f"HTTP {response.status_code}"


class PasswordLoginGate:
    """With LOCAL_LOGIN off, refuses every password login but a break-glass account's, before the password
    is checked (so the answer tells nothing about it), and marks a break-glass login for the audit log.

    The refusal is a PermissionDenied, as django-axes does it: authenticate() then stops and reports a
    failed login, which is audited and counted towards the lockout.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if settings.LOCAL_LOGIN or username is None or password is None:
            return None
        if not services.is_break_glass(username):
            raise PermissionDenied
        if request is not None:
            setattr(request, LOGIN_AUDIT, (AuditRecord.Action.LOGIN_BREAK_GLASS, {"method": "password"}))
        return None  # RoleBackend checks the password
