"""The provider's answer is trusted only when its ID token is signed by one of the issuer's keys."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hostup_dash.audit.models import AuditRecord

from .conftest import DASHBOARD, local_url, sso_settings
from .provider import CLIENT_SECRET, OidcProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def impostor_provider(settings, provider) -> OidcProvider:
    """A provider of its own whose key set, from the start, holds another key than the one it signs with."""
    started = OidcProvider(dashboard_urls=[DASHBOARD])
    started.impostor_keys()
    sso_settings(settings, started)
    yield started
    started.stop()


def test_a_token_signed_by_another_key_is_refused(impostor_provider):
    impostor_provider.user_set("u-2001", preferred_username="mallory", groups=["ops-admins"])
    client = Client()
    start = client.get("/oidc/authenticate/")

    response = client.get(local_url(impostor_provider.follow(start["Location"], login="u-2001")))

    assert response.status_code == 400
    assert "could not be verified, so it was not trusted" in response.content.decode()
    assert client.get("/").status_code == 302
    assert not User.objects.filter(username="mallory").exists()
    failed = AuditRecord.objects.get(action=AuditRecord.Action.LOGIN_FAILED)
    assert failed.request_body["reason"] == "bad_token"
    assert "Signature verification failed" in failed.request_body["error"]


def test_no_token_reaches_the_audit_log_or_the_page(provider, sso_login):
    provider.user_set("u-2002", preferred_username="tess", groups=["ops"])
    client = Client()
    sso_login(client, "u-2002")
    id_token = client.session["oidc_id_token"]

    page = client.get("/").content.decode()
    bodies = [str(record.request_body) for record in AuditRecord.objects.all()]

    assert id_token.count(".") == 2  # a JWT, kept server-side for the provider's logout
    assert id_token not in page
    assert not any(id_token in body or "access_token" in body for body in bodies)
    assert not any(CLIENT_SECRET in text for text in [page, *bodies])


def test_discovery_is_read_once_and_kept(provider, sso_login):
    provider.user_set("u-2003", preferred_username="kim", groups=["ops"])
    before = provider.discovery_reads()

    sso_login(Client(), "u-2003")
    sso_login(Client(), "u-2003")

    assert provider.discovery_reads() - before <= 1
