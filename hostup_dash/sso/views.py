"""The login page with its single sign-on button, the start of an SSO login, the provider's answer, logout."""

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from hostup_dash.audit.signals import LOGOUT_AUDIT
from hostup_dash.core.http import client_ip

from . import services
from .conf import OIDC_BACKEND, oidc_setting, setting_property, sso_enabled
from .errors import (
    NOT_COMPLETED,
    NOT_COMPLETED_MESSAGE,
    PROVIDER_ERROR,
    PROVIDER_ERROR_MESSAGE,
    PROVIDER_UNREACHABLE,
    PROVIDER_UNREACHABLE_MESSAGE,
    STATE_MISMATCH,
    STATE_MISMATCH_MESSAGE,
    UNMAPPED_GROUPS,
    ProviderUnavailable,
    SsoRefused,
)
from .forms import PasswordLoginForm

# Where the library keeps the ID token (the provider logout's id_token_hint) and the pending logins.
ID_TOKEN_SESSION_KEY = "oidc_id_token"
STATES_SESSION_KEY = "oidc_states"


class LoginView(auth_views.LoginView):
    """Django's login page, with a "Log in with <provider>" button; with LOCAL_LOGIN off the password
    form shows only at ?local=1 (break-glass accounts), and PasswordLoginGate refuses everyone else."""

    authentication_form = PasswordLoginForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        is_local = self.request.GET.get("local") == "1"
        return {
            **context,
            "sso_enabled": sso_enabled(),
            "provider_name": settings.OIDC_PROVIDER_NAME,
            "is_local": is_local,
            "password_form_shown": settings.LOCAL_LOGIN or is_local or not sso_enabled(),
            "break_glass_only": not settings.LOCAL_LOGIN,
        }


class LogoutView(auth_views.LogoutView):
    """Django's logout; an SSO session is audited with the provider's sub and ended at the provider too."""

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        provider_url = None
        if request.user.is_authenticated and request.session.get(BACKEND_SESSION_KEY) == OIDC_BACKEND:
            setattr(request, LOGOUT_AUDIT, services.sso_logout_details(request.user))
            provider_url = services.provider_logout_url(
                id_token=request.session.get(ID_TOKEN_SESSION_KEY),
                after_logout_url=request.build_absolute_uri(resolve_url(settings.LOGOUT_REDIRECT_URL)),
            )
        response = super().post(request, *args, **kwargs)
        return HttpResponseRedirect(provider_url) if provider_url else response


class SsoAuthenticateView(OIDCAuthenticationRequestView):
    """Sends the browser to the provider with a fresh state, nonce and PKCE code challenge."""

    get_settings = staticmethod(oidc_setting)
    OIDC_OP_AUTH_ENDPOINT = setting_property("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_RP_CLIENT_ID = setting_property("OIDC_RP_CLIENT_ID")

    def __init__(self, **kwargs) -> None:
        View.__init__(self, **kwargs)  # not the library's, which reads the endpoints

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404
        try:
            return super().get(request)
        except ProviderUnavailable as error:
            message = PROVIDER_UNREACHABLE_MESSAGE.format(provider=settings.OIDC_PROVIDER_NAME)
            refusal = SsoRefused(PROVIDER_UNREACHABLE, message, status=502, details={"error": str(error)[:300]})
            return _refused(request, refusal)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """The provider's answer (/oidc/callback/): logs the person in, or shows in words why not, audited."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sso_enabled():
            raise Http404
        try:
            _answer_check(request)
            return super().get(request)
        except SsoRefused as refusal:
            return _refused(request, refusal)

    def login_failure(self) -> HttpResponse:
        raise SsoRefused(NOT_COMPLETED, NOT_COMPLETED_MESSAGE)


def _answer_check(request: HttpRequest) -> None:
    """Raise SsoRefused for an answer that no login of this browser is waiting for, or that reports an error.

    An answer with an unknown state is nobody's: anyone can send a browser to this URL, so it neither
    shows the provider's words it carries nor ends the session of whoever is logged in.
    """
    state = request.GET.get("state", "")
    pending = request.session.get(STATES_SESSION_KEY) or {}
    if state not in pending:
        raise SsoRefused(STATE_MISMATCH, STATE_MISMATCH_MESSAGE, session_ends=False)
    error = request.GET.get("error")
    if error:
        del pending[state]  # each state answers once
        request.session.modified = True
        description = request.GET.get("error_description", "")[:300]
        message = PROVIDER_ERROR_MESSAGE.format(provider=settings.OIDC_PROVIDER_NAME, error=description or error)
        raise SsoRefused(PROVIDER_ERROR, message, status=403, details={"error": error[:100]})


def _refused(request: HttpRequest, refusal: SsoRefused) -> HttpResponse:
    """Audit a refused SSO login and say why; a session being refreshed ends here (the leaver is out)."""
    user = request.user if request.user.is_authenticated else None
    services.sso_refusal_audit(refusal=refusal, user=user, client_ip=client_ip(request))
    if refusal.session_ends:
        request.session.pop(ID_TOKEN_SESSION_KEY, None)  # the library keeps it before the user is decided on
        if user is not None:
            setattr(request, LOGOUT_AUDIT, services.sso_logout_details(user, reason=refusal.reason))
            auth.logout(request)
    template = "sso/refused.html" if refusal.reason == UNMAPPED_GROUPS else "sso/failed.html"
    context = {
        "message": refusal.message,
        "groups": refusal.details.get("groups", []),
        "claim": settings.OIDC_ROLE_CLAIM,
    }
    return render(request, template, context, status=refusal.status)
