"""Single sign-on against a real provider: one process per test module, a fresh browser at it per test."""

from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
import requests
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


@pytest.fixture(scope="module")
def provider_process() -> Iterator[OidcProvider]:
    """One provider per test module (it starts in a second or two); tests use subs of their own."""
    started = OidcProvider(dashboard_urls=[DASHBOARD])
    yield started
    started.stop()


@pytest.fixture
def provider(settings, db, provider_process: OidcProvider) -> OidcProvider:
    """The provider with a fresh browser at it, and the dashboard pointed at it (the test client is testserver)."""
    role_groups_ensure()
    provider_process.browser = requests.Session()
    sso_settings(settings, provider_process)
    return provider_process


@pytest.fixture
def sso_login(provider: OidcProvider) -> Callable[..., object]:
    """Log a test client in through the provider as `sub`: the dashboard's button, the provider's login form,
    the callback. Returns the callback's response."""

    def log_in(client: Client, sub: str, *, next_url: str = ""):
        start = client.get("/oidc/authenticate/", {"next": next_url} if next_url else {})
        assert start.status_code == 302, start.content
        return client.get(local_url(provider.follow(start["Location"], login=sub)))

    return log_in


def local_url(url: str) -> str:
    """The path and query of a dashboard URL, as the test client asks for it."""
    assert url.startswith(DASHBOARD), url
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path
