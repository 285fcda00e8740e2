"""Leavers are locked out: the SSO session is re-checked with the provider (prompt=none) once it is due."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hostup_dash.audit.models import AuditRecord

from .conftest import local_url

pytestmark = pytest.mark.django_db
Action = AuditRecord.Action
EXPIRY = "oidc_id_token_expiration"


@pytest.fixture
def logged_in(provider, sso_login) -> Client:
    provider.user_set("u-7", preferred_username="olga", groups=["ops"])
    client = Client()
    assert sso_login(client, "u-7").status_code == 302
    return client


def _refresh_due(client: Client) -> None:
    session = client.session
    session[EXPIRY] = 0
    session.save()


def _refresh(client: Client, provider, path: str = "/"):
    """Ask for a page once the refresh is due; follow the silent round trip through the provider."""
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith(provider.issuer)
    assert "prompt=none" in response["Location"]
    return client.get(local_url(provider.follow(response["Location"])))


def test_refresh_is_not_asked_before_it_is_due(logged_in):
    assert logged_in.get("/").status_code == 200


def test_refresh_keeps_a_user_who_may_stay(logged_in, provider):
    _refresh_due(logged_in)

    response = _refresh(logged_in, provider, "/audit/")

    assert response.status_code == 302
    assert response["Location"] == "/audit/"
    assert logged_in.session[EXPIRY] > 0
    assert logged_in.get("/").status_code == 200


def test_refresh_locks_out_a_user_removed_at_the_provider(logged_in, provider):
    provider.user_remove("u-7")
    _refresh_due(logged_in)

    response = _refresh(logged_in, provider)

    assert response.status_code == 403
    assert "_auth_user_id" not in logged_in.session
    assert logged_in.get("/").status_code == 302  # to the login page
    failed = AuditRecord.objects.get(action=Action.LOGIN_FAILED)
    assert failed.actor_name == "olga"
    assert failed.request_body["reason"] == "provider_error"
    logout = AuditRecord.objects.get(action=Action.LOGOUT)
    assert logout.request_body == {
        "method": "oidc",
        "issuer": provider.issuer,
        "sub": "u-7",
        "reason": "provider_error",
    }


def test_refresh_locks_out_a_user_moved_out_of_the_mapped_groups(logged_in, provider):
    provider.user_set("u-7", preferred_username="olga", groups=["alumni"])
    _refresh_due(logged_in)

    response = _refresh(logged_in, provider)

    assert response.status_code == 403
    assert b"alumni" in response.content
    assert logged_in.get("/").status_code == 302
    assert not User.objects.get(username="olga").groups.exists()
    change = AuditRecord.objects.get(action=Action.ROLE_CHANGE)
    assert change.request_body["before"]["role"] == "operator"
    assert change.request_body["after"]["role"] == ""
    assert change.request_body["sub"] == "u-7"
    assert AuditRecord.objects.filter(action=Action.LOGOUT, request_body__reason="unmapped_groups").count() == 1


def test_an_htmx_request_due_for_refresh_reloads_the_whole_page(logged_in, provider):
    _refresh_due(logged_in)

    response = logged_in.get("/", HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/audit/")

    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(f"{provider.issuer}/auth?")
    assert logged_in.session["oidc_login_next"] == "/audit/"


def test_an_action_due_for_refresh_is_not_carried_out(logged_in, provider):
    _refresh_due(logged_in)

    response = logged_in.post("/accounts/password_change/")  # any POST: it never reaches its view

    assert response.status_code == 302
    assert response["Location"].startswith(f"{provider.issuer}/auth?")
    assert logged_in.session["oidc_login_next"] == "/"


def test_a_password_session_is_never_sent_to_the_provider(provider, make_user):
    client = Client()
    client.force_login(make_user("viewer"))

    assert client.get("/").status_code == 200
