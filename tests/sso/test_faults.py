"""A provider that is down, slow or answers wrongly: a page that says so in words and an audit record, never a 500."""

import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth.models import User
from django.test import Client
from jwt.algorithms import RSAAlgorithm

from hostup_dash.audit.models import AuditRecord
from hostup_dash.sso import discovery

from .conftest import sso_settings
from .faulty_provider import FaultyProvider
from .provider import CLIENT_ID

pytestmark = pytest.mark.django_db


@pytest.fixture
def faulty(settings, provider):
    """The dashboard pointed at a provider of the test's making (the real one's settings otherwise)."""
    started = FaultyProvider()
    sso_settings(settings, provider)
    settings.OIDC_ISSUER = started.issuer
    yield started
    started.stop()


def _failure_reason() -> str:
    return AuditRecord.objects.get(action=AuditRecord.Action.LOGIN_FAILED).request_body["reason"]


def _callback(client: Client, *, code: str = "a-code"):
    """Start a login and bring the provider's answer for it (the faulty provider has no login page)."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302, start.content
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    return client.get("/oidc/callback/", {"code": code, "state": state})


@pytest.mark.parametrize(
    "document",
    [
        {"jwks_uri": None},
        {"token_endpoint": 42},
        {"authorization_endpoint": "not-a-url"},
    ],
)
def test_a_discovery_document_without_an_endpoint_is_said_in_words(faulty, document):
    faulty.answer(discovery.DISCOVERY_PATH, faulty.discovery(**document))

    response = Client().get("/oidc/authenticate/")

    assert response.status_code == 502
    assert "Test IdP could not be reached, or its answer could not be used." in response.content.decode()
    assert _failure_reason() == "provider_unreachable"
    assert "gives no URL for" in AuditRecord.objects.get().request_body["error"]


@pytest.mark.parametrize("body", [b"<html>maintenance</html>", ["a", "list"]])
def test_a_discovery_document_that_is_no_json_object_is_said_in_words(faulty, body):
    faulty.answer(discovery.DISCOVERY_PATH, body)

    response = Client().get("/oidc/authenticate/")

    assert response.status_code == 502
    assert _failure_reason() == "provider_unreachable"


def test_a_slow_discovery_is_given_up_on(faulty, monkeypatch):
    monkeypatch.setattr(discovery, "TIMEOUT", 0.5)
    faulty.answer(discovery.DISCOVERY_PATH, faulty.discovery(), delay=3)
    began = time.monotonic()

    response = Client().get("/oidc/authenticate/")

    assert time.monotonic() - began < 2
    assert response.status_code == 502
    assert _failure_reason() == "provider_unreachable"


def test_a_slow_token_endpoint_is_given_up_on(faulty, monkeypatch):
    monkeypatch.setattr(discovery, "TIMEOUT", 0.5)
    faulty.answer(discovery.DISCOVERY_PATH, faulty.discovery())
    faulty.answer("/token", {"id_token": "late"}, delay=3)
    client = Client()
    began = time.monotonic()

    response = _callback(client)

    assert time.monotonic() - began < 2.5
    assert response.status_code == 502
    assert "Test IdP could not be reached" in response.content.decode()
    assert _failure_reason() == "provider_unreachable"
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("body", [["not", "an", "object"], {"access_token": "a"}])
def test_a_token_answer_without_an_id_token_is_refused(faulty, body):
    faulty.answer(discovery.DISCOVERY_PATH, faulty.discovery())
    faulty.answer("/token", body)

    response = _callback(Client())

    assert response.status_code == 400
    assert "could not be verified, so it was not trusted" in response.content.decode()
    assert _failure_reason() == "bad_token"


@pytest.mark.parametrize("error_body", [{"error": "invalid_grant"}, ["odd"], b"Bad Gateway"])
def test_a_refused_code_names_the_providers_error(faulty, error_body):
    faulty.answer(discovery.DISCOVERY_PATH, faulty.discovery())
    faulty.answer("/token", error_body, status=400)

    response = _callback(Client())

    assert response.status_code == 502
    code = "invalid_grant" if isinstance(error_body, dict) else "HTTP 400"
    assert f"Test IdP refused to complete the login ({code})." in response.content.decode()
    assert AuditRecord.objects.get().request_body["error"] == code


@pytest.mark.parametrize("keys", [{"keys": "none"}, {"keys": [{"kid": "k1", "kty": "RSA", "n": "x"}]}])
def test_a_broken_key_set_is_said_in_words(faulty, keys):
    faulty.answer(discovery.DISCOVERY_PATH, faulty.discovery())
    faulty.answer("/jwks", keys)
    other_key = "not-the-providers-key-and-long-enough-for-hs256"
    id_token = jwt.encode({"sub": "s"}, other_key, algorithm="HS256", headers={"kid": "k1"})
    faulty.answer("/token", {"id_token": id_token, "access_token": "a"})

    response = _callback(Client())

    assert response.status_code == 502
    assert _failure_reason() == "provider_unreachable"
    assert "jwks" in AuditRecord.objects.get().request_body["error"]


@pytest.fixture
def signing(faulty):
    """The faulty provider's key set holds a key of the test's, so the test can sign ID tokens the dashboard
    trusts; `answer_with(client, claims)` starts a login and has the token endpoint answer with them."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = {**RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": "k1", "alg": "RS256", "use": "sig"}
    faulty.answer(discovery.DISCOVERY_PATH, faulty.discovery(userinfo_endpoint=faulty.issuer + "/userinfo"))
    faulty.answer("/jwks", {"keys": [public]})

    def answer_with(client: Client, claims: dict, *, userinfo: dict):
        start = client.get("/oidc/authenticate/")
        state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
        now = int(time.time())
        token = {"iss": faulty.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, **claims}
        token["nonce"] = client.session["oidc_states"][state]["nonce"]
        id_token = jwt.encode(token, key, algorithm="RS256", headers={"kid": "k1"})
        faulty.answer("/token", {"id_token": id_token, "access_token": "a", "token_type": "Bearer"})
        faulty.answer("/userinfo", userinfo)
        return client.get("/oidc/callback/", {"code": "a-code", "state": state})

    return answer_with


def test_a_token_the_faulty_provider_signs_is_trusted(signing):
    claims = {"sub": "s-1", "groups": ["ops"], "preferred_username": "fay"}

    response = signing(Client(), claims, userinfo={"sub": "s-1"})

    assert response.status_code == 302
    assert User.objects.get(oidc_identity__subject="s-1").username == "fay"


def test_userinfo_about_another_sub_is_refused(signing):
    response = signing(Client(), {"sub": "s-2", "groups": ["ops"]}, userinfo={"sub": "someone-else", "groups": ["ops"]})

    assert response.status_code == 400
    assert _failure_reason() == "bad_token"
    assert not User.objects.filter(oidc_identity__subject="s-2").exists()


def test_a_token_for_several_audiences_needs_us_as_its_authorized_party(signing):
    claims = {"sub": "s-3", "groups": ["ops"], "aud": [CLIENT_ID, "another-app"], "azp": "another-app"}

    response = signing(Client(), claims, userinfo={"sub": "s-3"})

    assert response.status_code == 400
    assert "authorized party" in AuditRecord.objects.get().request_body["error"]
    assert signing(Client(), {**claims, "azp": CLIENT_ID}, userinfo={"sub": "s-3"}).status_code == 302


def test_a_logout_endpoint_that_is_no_url_is_not_followed(signing, faulty):
    document = faulty.discovery(userinfo_endpoint=faulty.issuer + "/userinfo", end_session_endpoint="javascript:x()")
    faulty.answer(discovery.DISCOVERY_PATH, document)
    client = Client()
    assert signing(client, {"sub": "s-4", "groups": ["ops"]}, userinfo={"sub": "s-4"}).status_code == 302

    response = client.post("/accounts/logout/")

    assert response["Location"] == "/accounts/login/"
    assert client.get("/").status_code == 302
