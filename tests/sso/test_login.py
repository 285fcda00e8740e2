"""Logging in through the provider: the account, its role groups, and the audit records."""

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from hostup_dash.audit.models import AuditRecord

from .conftest import local_url

pytestmark = pytest.mark.django_db
Action = AuditRecord.Action


def test_first_login_creates_the_user_with_the_mapped_role(provider, sso_login):
    provider.user_set("u-1001", preferred_username="vera", email="vera@example.com", groups=["staff", "other"])
    client = Client()

    response = sso_login(client, "u-1001", next_url="/audit/")

    assert response.status_code == 302
    assert response["Location"] == "/audit/"
    user = User.objects.get(username="vera")
    assert list(user.groups.values_list("name", flat=True)) == ["viewer"]
    assert not user.has_usable_password()
    assert user.oidc_identity.subject == "u-1001"
    assert user.oidc_identity.issuer == provider.issuer
    assert client.get("/").status_code == 200
    login = AuditRecord.objects.get(action=Action.LOGIN)
    assert login.actor_name == "vera"
    assert login.request_body == {
        "method": "oidc",
        "issuer": provider.issuer,
        "sub": "u-1001",
        "groups": ["staff", "other"],
    }
    created = AuditRecord.objects.get(action=Action.USER_CREATE)
    assert created.request_body["sub"] == "u-1001"
    assert created.request_body["after"]["role"] == "viewer"


def test_a_second_login_with_changed_groups_changes_the_role_and_audits_it(provider, sso_login):
    provider.user_set("u-1002", preferred_username="otto", groups=["staff"])
    sso_login(Client(), "u-1002")
    provider.user_set("u-1002", preferred_username="otto", groups=["ops-admins"])

    response = sso_login(Client(), "u-1002")

    assert response.status_code == 302
    user = User.objects.get(username="otto")
    assert list(user.groups.values_list("name", flat=True)) == ["admin"]
    assert user.is_staff  # the admin role manages users in the Django admin
    change = AuditRecord.objects.get(action=Action.ROLE_CHANGE)
    assert change.actor_name == "system"
    assert change.request_body["user"] == "otto"
    assert change.request_body["via"] == "oidc"
    assert change.request_body["sub"] == "u-1002"
    assert change.request_body["before"]["role"] == "viewer"
    assert change.request_body["after"]["role"] == "admin"
    assert AuditRecord.objects.filter(action=Action.LOGIN).count() == 2


def test_a_login_with_unchanged_groups_records_no_role_change(provider, sso_login):
    provider.user_set("u-1003", preferred_username="una", groups=["ops"])
    sso_login(Client(), "u-1003")
    sso_login(Client(), "u-1003")

    assert not AuditRecord.objects.filter(action=Action.ROLE_CHANGE).exists()


def test_groups_outside_the_role_map_are_left_alone(provider, sso_login, make_user):
    provider.user_set("u-1004", preferred_username="ida", groups=["ops"])
    sso_login(Client(), "u-1004")
    user = User.objects.get(username="ida")
    other = Group.objects.create(name="on-call")
    user.groups.add(other)
    provider.user_set("u-1004", preferred_username="ida", groups=["security"])

    sso_login(Client(), "u-1004")

    assert set(user.groups.values_list("name", flat=True)) == {"auditor", "on-call"}


def test_unmapped_groups_are_refused_in_words_and_no_account_is_made(provider, sso_login):
    provider.user_set("u-1005", preferred_username="nina", groups=["marketing", "all-staff"])
    client = Client()

    response = sso_login(client, "u-1005")

    assert response.status_code == 403
    text = response.content.decode()
    assert "Your account at Test IdP is in no group that gives a role on this dashboard." in text
    assert "<code>marketing</code>, <code>all-staff</code>" in text
    assert not User.objects.filter(username="nina").exists()
    assert client.get("/").status_code == 302
    failed = AuditRecord.objects.get(action=Action.LOGIN_FAILED)
    assert failed.actor_name == "nina"
    assert failed.outcome == AuditRecord.Outcome.FAILED
    assert failed.request_body == {
        "method": "oidc",
        "reason": "unmapped_groups",
        "issuer": provider.issuer,
        "sub": "u-1005",
        "groups": ["marketing", "all-staff"],
        "user": "nina",
    }


def test_a_taken_username_is_made_unique(provider, sso_login, make_user):
    make_user("viewer", username="vera")
    provider.user_set("u-1006", preferred_username="vera", groups=["ops"])

    sso_login(Client(), "u-1006")

    assert User.objects.get(oidc_identity__subject="u-1006").username == "vera-2"


def test_users_are_matched_on_the_sub_never_on_the_email(provider, sso_login, make_user):
    local = make_user("admin", username="boss")
    local.email = "boss@example.com"
    local.save()
    provider.user_set("u-1007", preferred_username="someone", email="boss@example.com", groups=["staff"])

    sso_login(Client(), "u-1007")

    newcomer = User.objects.get(oidc_identity__subject="u-1007")
    assert newcomer != local
    assert newcomer.username == "someone"
    assert not hasattr(User.objects.get(pk=local.pk), "oidc_identity")


def test_a_deactivated_account_is_refused(provider, sso_login):
    provider.user_set("u-1008", preferred_username="dora", groups=["ops"])
    sso_login(Client(), "u-1008")
    User.objects.filter(username="dora").update(is_active=False)

    response = sso_login(Client(), "u-1008")

    assert response.status_code == 403
    assert "Your dashboard account is deactivated" in response.content.decode()
    assert AuditRecord.objects.get(action=Action.LOGIN_FAILED).request_body["reason"] == "inactive_user"


def test_the_login_uses_pkce(provider):
    start = Client().get("/oidc/authenticate/")

    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]


def test_a_tampered_state_is_refused(provider, sso_login):
    provider.user_set("u-1009", preferred_username="tom", groups=["ops"])
    client = Client()
    start = client.get("/oidc/authenticate/")
    callback = provider.follow(start["Location"], login="u-1009")

    response = client.get(local_url(callback.replace("state=", "state=x")))

    assert response.status_code == 400
    assert "does not belong to a login started in this browser" in response.content.decode()
    assert client.get("/").status_code == 302
    assert not User.objects.filter(username="tom").exists()
    assert AuditRecord.objects.get(action=Action.LOGIN_FAILED).request_body == {
        "method": "oidc",
        "reason": "state_mismatch",
    }


def test_a_callback_answers_once(provider):
    provider.user_set("u-1010", preferred_username="rita", groups=["ops"])
    client = Client()
    start = client.get("/oidc/authenticate/")
    callback = local_url(provider.follow(start["Location"], login="u-1010"))
    assert client.get(callback).status_code == 302
    client.post("/accounts/logout/")

    assert client.get(callback).status_code == 400


def test_the_provider_refusing_the_login_is_shown_in_words(provider):
    client = Client()
    start = client.get("/oidc/authenticate/")
    page = provider.browser.get(start["Location"], timeout=10)  # the provider's login form: Cancel
    abort = re.search(r'href="([^"]*/abort)"', page.text).group(1)

    response = client.get(local_url(provider.follow(urljoin(page.url, abort))))

    assert response.status_code == 403
    assert "Test IdP did not log you in: End-User aborted interaction." in response.content.decode()
    assert AuditRecord.objects.get(action=Action.LOGIN_FAILED).request_body == {
        "method": "oidc",
        "reason": "provider_error",
        "error": "access_denied",
    }


def test_a_provider_that_cannot_be_reached_is_said_in_words(settings, provider):
    settings.OIDC_ISSUER = "http://127.0.0.1:9"  # nothing listens there
    client = Client()

    assert client.get("/accounts/login/").status_code == 200  # the page needs no discovery
    response = client.get("/oidc/authenticate/")

    assert response.status_code == 502
    assert "Test IdP could not be reached" in response.content.decode()
    assert AuditRecord.objects.get(action=Action.LOGIN_FAILED).request_body["reason"] == "provider_unreachable"


def test_an_answer_no_login_waits_for_neither_speaks_nor_logs_anyone_out(provider, sso_login):
    provider.user_set("u-1011", preferred_username="ulla", groups=["ops"])
    client = Client()
    sso_login(client, "u-1011")
    # Any site can send a logged-in browser here, with words of its own choosing.
    forged = {"error": "access_denied", "error_description": "Call +1 555 0100 to restore access", "state": "x"}

    response = client.get("/oidc/callback/", forged)

    assert response.status_code == 400
    assert "does not belong to a login started in this browser" in response.content.decode()
    assert "555 0100" not in response.content.decode()
    assert client.get("/").status_code == 200
    assert not AuditRecord.objects.filter(action=Action.LOGOUT).exists()
    failed = AuditRecord.objects.get(action=Action.LOGIN_FAILED)
    assert (failed.actor_name, failed.request_body["reason"]) == ("ulla", "state_mismatch")


def test_the_session_key_changes_at_login(provider):
    provider.user_set("u-1012", preferred_username="sina", groups=["ops"])
    client = Client()
    start = client.get("/oidc/authenticate/")
    before = client.session.session_key

    client.get(local_url(provider.follow(start["Location"], login="u-1012")))

    assert client.session["_auth_user_id"]
    assert client.session.session_key != before


def test_the_optional_approver_role_can_be_mapped(settings, provider, sso_login):
    settings.OIDC_ROLE_MAP = {**settings.OIDC_ROLE_MAP, "change-board": "approver"}
    provider.user_set("u-1013", preferred_username="abe", groups=["change-board"])

    sso_login(Client(), "u-1013")

    assert list(User.objects.get(username="abe").groups.values_list("name", flat=True)) == ["approver"]
    provider.user_set("u-1013", preferred_username="abe", groups=["staff"])
    sso_login(Client(), "u-1013")
    assert list(User.objects.get(username="abe").groups.values_list("name", flat=True)) == ["viewer"]


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_a_next_address_off_the_dashboard_is_not_followed(provider, sso_login, next_url):
    provider.user_set("u-1014", preferred_username="ned", groups=["ops"])

    response = sso_login(Client(), "u-1014", next_url=next_url)

    assert response.status_code == 302
    assert response["Location"] == "/"
