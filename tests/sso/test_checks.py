"""`manage.py check` on the single sign-on settings, and `check --deploy` on the issuer's scheme."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks

ROOT = Path(__file__).resolve().parents[2]
# Other apps' checks read the database (the audit tables' grants): the test database, not DATABASE_URL's.
pytestmark = pytest.mark.django_db


def _ids(*, deploy: bool = False) -> set[str]:
    return {message.id for message in run_checks(include_deployment_checks=deploy) if message.id.startswith("sso.")}


@pytest.fixture
def configured(settings):
    settings.OIDC_ISSUER = "https://id.example.com/realms/ops"
    settings.OIDC_CLIENT_ID = "hostup-dash"
    settings.OIDC_CLIENT_SECRET = "secret"
    settings.OIDC_ROLE_MAP = {"ops": "operator"}
    return settings


def test_a_complete_configuration_passes(configured):
    assert _ids(deploy=True) == set()


def test_deploy_warns_when_the_issuer_is_not_https(configured):
    configured.OIDC_ISSUER = "http://id.example.com/realms/ops"

    assert _ids(deploy=True) == {"sso.W001"}
    assert _ids() == set()


def test_a_missing_client_and_an_unknown_role_are_errors(configured):
    configured.OIDC_CLIENT_SECRET = ""
    configured.OIDC_ROLE_MAP = {"ops": "superhero"}

    assert _ids() == {"sso.E001", "sso.E002"}


def test_an_empty_role_map_is_a_warning(configured):
    configured.OIDC_ROLE_MAP = {}

    assert _ids() == {"sso.W003"}


def test_local_logins_off_without_an_issuer_is_a_warning(settings):
    settings.OIDC_ISSUER = ""
    settings.LOCAL_LOGIN = False

    assert _ids() == {"sso.W002"}


def test_settings_are_read_from_the_environment_and_nothing_is_fetched_at_start(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")  # as `echo` writes it
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.OIDC_CLIENT_SECRET, s.OIDC_ROLE_MAP, s.LOCAL_LOGIN, s.OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "hostup_dash.settings",
        "DEBUG": "True",
        # Nothing listens here: start-up must not try to read the discovery document.
        "OIDC_ISSUER": "http://127.0.0.1:9",
        "OIDC_CLIENT_ID": "hostup-dash",
        "OIDC_CLIENT_SECRET_FILE": str(secret),
        "OIDC_ROLE_MAP": "ops-admins = admin, ops=operator",
        "LOCAL_LOGIN": "False",
    }

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "from-a-file {'ops-admins': 'admin', 'ops': 'operator'} False 900"
