"""Single sign-on against a real provider: one per test, so no session or user leaks between tests."""

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from django.test import Client

from hostup_dash.accounts.services import role_groups_ensure

from .provider import CLIENT_ID, CLIENT_SECRET, OidcProvider

DASHBOARD = "http://testserver"
ROLE_MAP = {"ops-admins": "admin", "ops": "operator", "security": "auditor", "staff": "viewer"}


def sso_settings(settings, provider: OidcProvider) -> None:
    settings.OIDC_ISSUER = provider.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.OIDC_PROVIDER_NAME = "Test IdP"


@pytest.fixture
def provider(settings, db) -> Iterator[OidcProvider]:
    """The provider, and the dashboard pointed at it (the test client's host is testserver)."""
    role_groups_ensure()
    started = OidcProvider(dashboard_urls=[DASHBOARD])
    sso_settings(settings, started)
    yield started
    started.stop()


@pytest.fixture
def sso_login(provider: OidcProvider) -> Callable[..., object]:
    """Log a test client in through the provider as `sub`: the dashboard's button, the provider's login form,
    the callback. Returns the callback's response."""

    def log_in(client: Client, sub: str, *, next_url: str = ""):
        start = client.get("/oidc/authenticate/", {"next": next_url} if next_url else {})
        assert start.status_code == 302, start.content
        return client.get(_local(provider.follow(start["Location"], login=sub)))

    return log_in


def _local(url: str) -> str:
    """The path and query of a dashboard URL, as the test client asks for it."""
    assert url.startswith(DASHBOARD), url
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
