"""Logging out ends the dashboard's session and, through the provider's end_session_endpoint, the provider's."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from hostup_dash.audit.models import AuditRecord

from .conftest import DASHBOARD, local_url

pytestmark = pytest.mark.django_db


def test_logout_ends_the_provider_session_too(provider, sso_login):
    provider.user_set("u-3001", preferred_username="lou", groups=["ops"])
    client = Client()
    sso_login(client, "u-3001")
    id_token = client.session["oidc_id_token"]

    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    end_session = urlsplit(response["Location"])
    assert f"{end_session.scheme}://{end_session.netloc}{end_session.path}" == f"{provider.issuer}/session/end"
    assert parse_qs(end_session.query) == {
        "client_id": ["hostup-dash"],
        "post_logout_redirect_uri": [f"{DASHBOARD}/accounts/login/"],
        "id_token_hint": [id_token],
    }
    assert client.get("/").status_code == 302
    # The person confirms at the provider and comes back to the login page...
    assert provider.follow(response["Location"]) == f"{DASHBOARD}/accounts/login/"
    # ...and the next login asks for their password again: the provider's session is over.
    start = client.get("/oidc/authenticate/")
    assert 'name="prompt" value="login"' in provider.browser.get(start["Location"], timeout=10).text
    logout = AuditRecord.objects.get(action=AuditRecord.Action.LOGOUT)
    assert logout.actor_name == "lou"
    assert logout.request_body == {"method": "oidc", "issuer": provider.issuer, "sub": "u-3001"}


def test_a_password_session_logs_out_as_before(provider, make_user):
    client = Client()
    client.force_login(make_user("viewer"))

    response = client.post("/accounts/logout/")

    assert response["Location"] == "/accounts/login/"
    assert AuditRecord.objects.get(action=AuditRecord.Action.LOGOUT).request_body == {}


def test_a_session_refused_at_refresh_can_log_in_again(provider, sso_login):
    provider.user_set("u-3002", preferred_username="max", groups=["ops"])
    client = Client()
    sso_login(client, "u-3002")
    client.post("/accounts/logout/")

    response = sso_login(client, "u-3002")

    assert local_url(DASHBOARD + response["Location"]) == "/"


def test_every_page_lets_its_logout_form_go_on_to_the_provider(provider, sso_login):
    provider.user_set("u-3003", preferred_username="cy", groups=["ops"])
    client = Client()
    sso_login(client, "u-3003")

    policy = client.get("/")["Content-Security-Policy"]

    assert f"form-action 'self' {provider.issuer}" in policy


def _form_action(response) -> str:
    directives = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return dict(directives)["form-action"]


def test_pages_outside_an_sso_session_keep_forms_to_the_dashboard(provider, make_user):
    client = Client()
    assert _form_action(client.get("/accounts/login/")) == "'self'"
    client.force_login(make_user("viewer"))

    assert _form_action(client.get("/")) == "'self'"


def test_logout_needs_the_csrf_token(provider, sso_login):
    provider.user_set("u-3004", preferred_username="cora", groups=["ops"])
    client = Client(enforce_csrf_checks=True)
    sso_login(client, "u-3004")

    assert client.post("/accounts/logout/").status_code == 403
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200
