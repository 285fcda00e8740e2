"""Headers, sessions, login throttling and settings that make the dashboard safe to expose."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "False",
    "SECRET_KEY": "x7#kq2!vB9zR4mW8pL1sT6yH3nD5fJ0cG2aE7uQ9iO4rK8bN1vX6zM3wS5tY0pL",
    "ALLOWED_HOSTS": "dash.example.net",
    "HOSTUP_API_URL": "https://cloud.hostup.se",
    "HOSTUP_API_TOKEN": "not-a-real-key",
    "CSRF_TRUSTED_ORIGINS": "https://dash.example.net",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    "BEHIND_PROXY": "True",
    "SECURE_SSL_REDIRECT": "True",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "True",
    "SECURE_HSTS_PRELOAD": "True",
    "SESSION_COOKIE_SECURE": "True",
    "CSRF_COOKIE_SECURE": "True",
    # Checked for presence only: the deploy check reads no key.
    "AUDIT_SIGNING_KEY_FILE": "/etc/hostup-dash/audit-signing.pem",
    "AUDIT_CHECKPOINT_DIR": "/srv/audit-checkpoints",
    # Webhook messages link here (notifications.W001 warns while it is make run's address).
    "DASHBOARD_URL": "https://dash.example.net",
    # No server on port 9: these tests are about settings; test_db_roles.py checks the database user.
    "DATABASE_URL": "postgres://hostup_app:app-password@127.0.0.1:9/hostup_dash",
    "MIGRATE_DATABASE_URL": "postgres://hostup_owner:owner-password@127.0.0.1:9/hostup_dash",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SECRET_KEY", "HOSTUP_", "DEBUG"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=base | env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_passes_with_the_documented_production_settings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_warns_when_the_api_is_not_https():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV | {"HOSTUP_API_URL": "http://hostup.example"}
    )

    assert result.returncode != 0
    assert "hostup_dash.W001" in result.stderr + result.stdout


def test_missing_secret_key_in_production_names_it():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}

    result = _manage("check", env=env)

    assert result.returncode != 0
    assert "The setting SECRET_KEY is missing" in result.stderr


def test_api_token_can_come_from_a_file(tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text("token-from-file")
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "HOSTUP_API_TOKEN"} | {
        "HOSTUP_API_TOKEN_FILE": str(token_file)
    }

    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.HOSTUP_API_TOKEN == 'token-from-file')",
        env=env,
    )

    assert result.stdout.strip().endswith("True"), result.stderr


@pytest.mark.django_db
def test_security_headers(viewer_client):
    response = viewer_client.get("/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_pages_have_no_inline_script(viewer_client, hostup):
    page = viewer_client.get("/").content.decode()

    assert "<script>" not in page and "<script " not in page.replace('<script src="', "")
    assert " on" + "click=" not in page


@pytest.mark.django_db
def test_a_session_lasts_one_working_day(make_user, settings):
    make_user("viewer")
    client = Client()
    client.post(reverse("login"), {"username": "viewer", "password": PASSWORD})

    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 9 * 3600


@pytest.mark.django_db
def test_password_change_ends_other_sessions(make_user):
    user = make_user("viewer")
    other_browser = Client()
    other_browser.post(reverse("login"), {"username": "viewer", "password": PASSWORD})
    assert other_browser.get("/").status_code == 200

    user.set_password("a-brand-new-password-42")
    user.save()

    assert other_browser.get("/").status_code == 302


@pytest.mark.django_db
def test_repeated_failures_lock_the_login_and_say_so(make_user, settings):
    make_user("operator")
    client = Client(REMOTE_ADDR="192.0.2.99")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "operator", "password": "wrong"})

    response = client.post(reverse("login"), {"username": "operator", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditRecord.objects.filter(action=AuditRecord.Action.LOGIN_LOCKED_OUT, actor_name="operator").exists()


@pytest.mark.django_db
def test_lockout_also_holds_for_an_address_trying_many_users(make_user, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        Client(REMOTE_ADDR="192.0.2.98").post(reverse("login"), {"username": f"guess{n}", "password": "wrong"})
    make_user("viewer")

    response = Client(REMOTE_ADDR="192.0.2.98").post(reverse("login"), {"username": "viewer", "password": PASSWORD})

    assert response.status_code == 429
