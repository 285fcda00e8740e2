"""LOCAL_LOGIN=False: single sign-on only, except break-glass accounts at /accounts/login/?local=1."""

import pytest
from django.test import Client

from hostup_dash.audit.models import AuditRecord
from hostup_dash.sso.models import LoginPolicy
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
Action = AuditRecord.Action


@pytest.fixture
def sso_only(settings, provider):
    settings.LOCAL_LOGIN = False
    return provider


def _password_login(client: Client, username: str, *, local: bool = True):
    return client.post("/accounts/login/" + ("?local=1" if local else ""), {"username": username, "password": PASSWORD})


def test_the_login_page_offers_the_provider_and_hides_the_password_form(sso_only):
    page = Client().get("/accounts/login/").content.decode()

    assert "Log in with Test IdP" in page
    assert 'name="password"' not in page


def test_a_password_login_is_refused_without_break_glass(sso_only, make_user):
    make_user("admin", username="ada")
    client = Client()

    response = _password_login(client, "ada")

    assert response.status_code == 200
    assert "Password logins are off: log in with Test IdP." in response.content.decode()
    assert client.get("/").status_code == 302
    assert AuditRecord.objects.get(action=Action.LOGIN_FAILED).actor_name == "ada"
    assert not AuditRecord.objects.filter(action__in=[Action.LOGIN, Action.LOGIN_BREAK_GLASS]).exists()


def test_the_admin_login_refuses_it_too(sso_only, make_user):
    make_user("admin", username="ada")
    client = Client()

    client.post("/admin/login/", {"username": "ada", "password": PASSWORD})

    assert client.get("/").status_code == 302


def test_a_break_glass_account_logs_in_at_local_and_is_audited_as_such(sso_only, make_user):
    user = make_user("admin", username="glass")
    LoginPolicy.objects.create(user=user, is_break_glass=True)
    page = Client().get("/accounts/login/?local=1").content.decode()
    assert 'name="password"' in page
    assert 'action="/accounts/login/?local=1"' in page
    client = Client()

    response = _password_login(client, "glass")

    assert response.status_code == 302
    assert client.get("/").status_code == 200
    record = AuditRecord.objects.get(action=Action.LOGIN_BREAK_GLASS)
    assert record.actor_name == "glass"
    assert record.request_body == {"method": "password"}
    assert not AuditRecord.objects.filter(action=Action.LOGIN).exists()


def test_a_break_glass_login_at_the_admin_is_audited_as_such_too(sso_only, make_user):
    LoginPolicy.objects.create(user=make_user("admin", username="glass"), is_break_glass=True)
    client = Client()

    client.post("/admin/login/", {"username": "glass", "password": PASSWORD})

    assert client.get("/admin/").status_code == 200
    assert AuditRecord.objects.get(action=Action.LOGIN_BREAK_GLASS).actor_name == "glass"


def test_a_break_glass_account_still_needs_its_password(sso_only, make_user):
    LoginPolicy.objects.create(user=make_user("admin", username="glass"), is_break_glass=True)

    response = Client().post("/accounts/login/?local=1", {"username": "glass", "password": "wrong-password"})

    assert response.status_code == 200
    assert AuditRecord.objects.filter(action=Action.LOGIN_FAILED).count() == 1


def test_local_logins_on_let_everyone_use_a_password(provider, make_user):
    make_user("viewer", username="vic")
    client = Client()

    _password_login(client, "vic", local=False)

    assert client.get("/").status_code == 200
    assert AuditRecord.objects.get(action=Action.LOGIN).request_body == {}


def test_without_an_issuer_the_login_page_is_as_before(settings, db):
    settings.OIDC_ISSUER = ""
    client = Client()

    page = client.get("/accounts/login/").content.decode()

    assert "Log in with" not in page
    assert 'name="password"' in page
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_a_password_session_from_before_local_logins_went_off_ends(sso_only, make_user):
    client = Client()
    client.force_login(make_user("admin", username="ada"))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session
    logout = AuditRecord.objects.get(action=Action.LOGOUT)
    assert logout.actor_name == "ada"
    assert logout.request_body == {"method": "password", "reason": "local_login_off"}


def test_a_break_glass_session_goes_on(sso_only, make_user):
    user = make_user("admin", username="glass")
    LoginPolicy.objects.create(user=user, is_break_glass=True)
    client = Client()
    client.force_login(user)

    assert client.get("/").status_code == 200
    assert client.get("/").status_code == 200
