"""Leavers lose access within minutes: an SSO session is re-checked with the provider every
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS (mozilla-django-oidc's session refresh, prompt=none).

The provider answers at the callback: with a code when the person may stay (their role groups are
synced again), with an error such as login_required when they were removed, and the callback then
ends the session.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect
from mozilla_django_oidc.middleware import SessionRefresh

from hostup_dash.audit.signals import LOGOUT_AUDIT

from . import services
from .conf import FIXED, OIDC_BACKEND, oidc_setting, setting_property, sso_enabled
from .errors import PROVIDER_UNREACHABLE_MESSAGE, ProviderUnavailable

FAILED_TEMPLATE = "sso/failed.html"
# Why a password session ended: LOCAL_LOGIN was turned off after it began.
LOCAL_LOGIN_OFF = "local_login_off"


class SsoSessionRefresh(SessionRefresh):
    get_settings = staticmethod(oidc_setting)
    OIDC_OP_AUTHORIZATION_ENDPOINT = setting_property("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_RP_CLIENT_ID = setting_property("OIDC_RP_CLIENT_ID")
    OIDC_RP_SCOPES = setting_property("OIDC_RP_SCOPES")
    OIDC_AUTHENTICATION_CALLBACK_URL = FIXED["OIDC_AUTHENTICATION_CALLBACK_URL"]
    OIDC_USE_NONCE = FIXED["OIDC_USE_NONCE"]
    OIDC_STATE_SIZE = 32
    OIDC_NONCE_SIZE = 32

    def __init__(self, get_response) -> None:
        # Not the library's __init__, which reads the endpoints: discovery waits for the first refresh.
        MiddlewareMixin.__init__(self, get_response)

    @cached_property
    def exempt_urls(self) -> set[str]:
        return {reverse(name) for name in ("sso:authenticate", "sso:callback", "logout")}

    def is_refreshable_url(self, request: HttpRequest) -> bool:
        # Every method, not only GET as upstream: a leaver's open tab must not go on sending actions.
        return _is_sso_session(request) and request.path not in self.exempt_urls

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if _is_refused_password_session(request):
            # Begun before LOCAL_LOGIN was turned off; the request goes on logged out (to the login page).
            setattr(request, LOGOUT_AUDIT, {"method": "password", "reason": LOCAL_LOGIN_OFF})
            auth.logout(request)
            return None
        if not self.is_refreshable_url(request):
            return None
        try:
            response = super().process_request(request)
        except ProviderUnavailable:
            message = PROVIDER_UNREACHABLE_MESSAGE.format(provider=settings.OIDC_PROVIDER_NAME)
            return render(request, FAILED_TEMPLATE, {"message": message}, status=502)
        if response is None:
            return None
        if request.method != "GET" or request.htmx:
            # Back to the page afterwards, not to a fragment or an action URL.
            request.session["oidc_login_next"] = _page_of(request)
        return HttpResponseClientRedirect(response.url) if request.htmx else response

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        # The pages of an SSO session post forms whose answer may redirect to the provider (the logout
        # button to its end_session_endpoint, a form sent when the session check is due to its
        # authorization endpoint), and browsers hold such redirects to the page's form-action policy.
        # Other pages' forms never leave the dashboard, so their policy stays 'self'.
        if _is_sso_session(request):
            issuer = urlsplit(settings.OIDC_ISSUER)
            update = dict(getattr(response, "_csp_update", None) or {})
            update["form-action"] = [*update.get("form-action", []), f"{issuer.scheme}://{issuer.netloc}"]
            response._csp_update = update
        return response


def _is_sso_session(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return (
        sso_enabled()
        and user is not None
        and user.is_authenticated
        and request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND
    )


def _is_refused_password_session(request: HttpRequest) -> bool:
    """With LOCAL_LOGIN off, a session that began with a password lasts only for a break-glass account."""
    user = getattr(request, "user", None)
    return (
        not settings.LOCAL_LOGIN
        and user is not None
        and user.is_authenticated
        and request.session.get(BACKEND_SESSION_KEY) != OIDC_BACKEND
        and not services.is_break_glass(user.get_username())
    )


def _page_of(request: HttpRequest) -> str:
    page = request.htmx.current_url_abs_path if request.htmx else None
    if page and url_has_allowed_host_and_scheme(page, allowed_hosts={request.get_host()}):
        return page
    return resolve_url(settings.LOGIN_REDIRECT_URL)
