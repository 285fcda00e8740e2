from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from hostup_dash.accounts.roles import Role, user_role


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
