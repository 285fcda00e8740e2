"""Request-wide behaviour that every view shares."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django_htmx.http import HttpResponseClientRedirect

# Reachable without a session: the login page, the load balancer's health check, and the
# Prometheus scrape (which checks its own bearer token).
PUBLIC_URL_NAMES = frozenset({"login", "healthz", "metrics"})


class LoginRequiredHtmxMiddleware:
    """Every page needs a login. An htmx request with no session is sent to the login
    page as a whole-page redirect, so the login form never lands inside a panel."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        if request.user.is_authenticated:
            return None
        match = request.resolver_match
        if (match and match.url_name in PUBLIC_URL_NAMES) or request.path.startswith(settings.STATIC_URL):
            return None
        if not getattr(view_func, "login_required", True):  # Django's @login_not_required (the SSO callback)
            return None
        if getattr(request, "htmx", False):
            # Back to the page the user was on, not to the fragment URL htmx asked for.
            return HttpResponseClientRedirect(redirect_to_login(request.htmx.current_url_abs_path or "/").url)
        return redirect_to_login(request.get_full_path())
