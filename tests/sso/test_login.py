"""Logging in through the provider: the account, its role groups, and the audit records."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from hostup_dash.audit.models import AuditRecord

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
