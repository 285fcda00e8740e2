from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from hostup_dash.accounts.roles import Role, user_role
from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.services import SYSTEM_ACTOR


@pytest.mark.django_db
def test_creates_one_user_per_role_with_the_given_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    out = StringIO()

    call_command("seed_demo", stdout=out)

    for role in Role:
        user = authenticate(RequestFactory().post("/"), username=role.value, password="demo-pass-123")
        assert user is not None and user_role(user) == role.value
    assert "demo-pass-123" in out.getvalue()


@pytest.mark.django_db
def test_is_idempotent_and_prints_a_random_password_once(monkeypatch):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    first, second = StringIO(), StringIO()

    call_command("seed_demo", stdout=first)
    call_command("seed_demo", stdout=second)

    password = first.getvalue().rsplit("password: ", 1)[1].strip()
    assert authenticate(RequestFactory().post("/"), username="operator", password=password) is not None
    assert password not in second.getvalue()
    assert "unchanged" in second.getvalue()


@pytest.mark.django_db
def test_the_users_it_creates_are_audited_without_their_password(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")

    call_command("seed_demo", stdout=StringIO())

    created = AuditRecord.objects.filter(action=AuditRecord.Action.USER_CREATE)
    assert sorted(created.values_list("request_body__user", flat=True)) == sorted(role.value for role in Role)
    assert set(created.values_list("actor_name", "request_body__via")) == {(SYSTEM_ACTOR, "seed_demo")}
    assert "demo-pass-123" not in str(list(AuditRecord.objects.values()))


@pytest.mark.django_db
def test_a_password_it_resets_is_audited(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    call_command("seed_demo", stdout=StringIO())
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-456")

    call_command("seed_demo", stdout=StringIO())

    reset = AuditRecord.objects.filter(action=AuditRecord.Action.PASSWORD_SET)
    assert sorted(reset.values_list("request_body__user", flat=True)) == sorted(role.value for role in Role)
