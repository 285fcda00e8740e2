"""Entra ID's groups overage: the role claim left out of the token and only named in `_claim_names` (a
distributed claim, OpenID Connect Core 5.6.2) is refused in words that say what happened and what to do."""

import json

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from hostup_dash.accounts.services import role_groups_ensure
from hostup_dash.audit.models import AuditRecord
from hostup_dash.sso.errors import SsoRefused
from hostup_dash.sso.models import OidcIdentity
from hostup_dash.sso.services import sso_refusal_audit, sso_user_sync

from .conftest import ROLE_MAP

Action = AuditRecord.Action
ISSUER = "https://login.example.test/tenant/v2.0"
# A token riding in a distributed claim's source, and an endpoint with a query: neither may be kept anywhere.
SOURCE_TOKEN = "eyJ-source-access-token"
ENDPOINT = "https://graph.example.test/v1.0/users/abc/getMemberObjects"
OVERAGE_WORDS = "Test IdP left your groups out of the sign-in because your account is in too many groups"
SETTING_WORDS = "Token configuration → groups claim → “Groups assigned to the application”"


@pytest.fixture
def sso(settings, db):
    role_groups_ensure()
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.OIDC_PROVIDER_NAME = "Test IdP"


def overage_claims(sub: str, **claims) -> dict:
    return {
        "iss": ISSUER,
        "sub": sub,
        "preferred_username": sub,
        "_claim_names": {"groups": "src1"},
        "_claim_sources": {"src1": {"endpoint": f"{ENDPOINT}?secret=query", "access_token": SOURCE_TOKEN}},
        **claims,
    }


def refusal_of(claims: dict) -> SsoRefused:
    with pytest.raises(SsoRefused) as caught:
        sso_user_sync(claims=claims, client_ip="192.0.2.7")
    return caught.value


def assert_nothing_secret_kept() -> None:
    kept = json.dumps(list(AuditRecord.objects.values_list("request_body", flat=True)))
    assert SOURCE_TOKEN not in kept
    assert "graph.example.test" not in kept
    assert "secret=query" not in kept


def test_a_new_user_whose_groups_were_left_out_is_refused_in_words(sso):
    refusal = refusal_of(overage_claims("new-1"))

    assert refusal.reason == "groups_overage"
    assert refusal.status == 403
    assert OVERAGE_WORDS in refusal.message
    assert SETTING_WORDS in refusal.message
    assert not User.objects.filter(username="new-1").exists()
    assert not OidcIdentity.objects.exists()
    sso_refusal_audit(refusal=refusal, user=None, client_ip="192.0.2.7")
    failed = AuditRecord.objects.get(action=Action.LOGIN_FAILED)
    assert failed.actor_name == "new-1"
    assert failed.request_body == {
        "method": "oidc",
        "reason": "groups_overage",
        "issuer": ISSUER,
        "sub": "new-1",
        "groups": [],
        "groups_overage": True,
        "user": "new-1",
    }
    assert_nothing_secret_kept()


def test_a_known_user_whose_groups_were_left_out_loses_the_role_groups(sso):
    user = sso_user_sync(claims={"iss": ISSUER, "sub": "known-1", "groups": ["ops-admins"]}, client_ip=None).user
    other = Group.objects.create(name="on-call")
    user.groups.add(other)

    refusal = refusal_of(overage_claims("known-1"))

    assert refusal.reason == "groups_overage"
    assert refusal.details["user"] == user.username
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == ["on-call"]
    assert not user.is_staff
    change = AuditRecord.objects.get(action=Action.ROLE_CHANGE)
    assert change.request_body["before"]["role"] == "admin"
    assert change.request_body["after"]["role"] == ""
    assert change.request_body["sub"] == "known-1"
    assert change.request_body["groups_overage"] is True
    assert_nothing_secret_kept()


def test_a_groups_claim_that_is_there_wins_over_claim_names(sso):
    login = sso_user_sync(claims=overage_claims("both-1", groups=["ops"]), client_ip=None)

    assert list(login.user.groups.values_list("name", flat=True)) == ["operator"]
    assert "groups_overage" not in login.details
    assert login.details["groups"] == ["ops"]


def test_unmapped_groups_beside_claim_names_are_refused_as_unmapped(sso):
    refusal = refusal_of(overage_claims("both-2", groups=["marketing"]))

    assert refusal.reason == "unmapped_groups"
    assert "groups_overage" not in refusal.details


def test_claim_names_for_another_claim_are_no_overage(sso):
    claims = {"iss": ISSUER, "sub": "other-1", "_claim_names": {"address": "src1"}, "_claim_sources": {"src1": {}}}

    assert refusal_of(claims).reason == "unmapped_groups"


def test_the_refusal_page_says_what_happened_through_the_real_login(provider, sso_login):
    # node-oidc-provider passes an account's _claim_names/_claim_sources on for the claims the scope covers.
    provider.user_set(
        "u-overage",
        preferred_username="gail",
        _claim_names={"groups": "src1"},
        _claim_sources={"src1": {"endpoint": f"{ENDPOINT}?secret=query", "access_token": SOURCE_TOKEN}},
    )
    client = Client()

    response = sso_login(client, "u-overage")

    assert response.status_code == 403
    text = response.content.decode()
    assert OVERAGE_WORDS in text
    assert SETTING_WORDS in text
    assert SOURCE_TOKEN not in text
    assert "graph.example.test" not in text
    assert not User.objects.filter(username="gail").exists()
    assert client.get("/").status_code == 302
    failed = AuditRecord.objects.get(action=Action.LOGIN_FAILED)
    assert failed.request_body["reason"] == "groups_overage"
    assert failed.request_body["groups_overage"] is True
    assert failed.request_body["groups"] == []
    assert_nothing_secret_kept()
