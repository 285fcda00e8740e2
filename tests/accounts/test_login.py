import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


@pytest.mark.django_db
def test_login_then_logout(make_user):
    make_user("viewer")
    client = Client()

    response = client.post(reverse("login"), {"username": "viewer", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"

    page = client.get("/").content.decode()
    assert "viewer" in page and "Log out" in page

    client.post(reverse("logout"))
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_wrong_password_is_said_in_words(make_user):
    make_user("viewer")

    response = Client().post(reverse("login"), {"username": "viewer", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()


@pytest.mark.django_db
def test_login_needs_a_csrf_token(make_user):
    make_user("viewer")

    response = Client(enforce_csrf_checks=True).post(reverse("login"), {"username": "viewer", "password": PASSWORD})

    assert response.status_code == 403


@pytest.mark.django_db
def test_logins_failed_logins_and_logouts_are_audited(make_user):
    from hostup_dash.audit.models import AuditRecord

    make_user("operator")
    client = Client(REMOTE_ADDR="192.0.2.7")
    client.post(reverse("login"), {"username": "operator", "password": "wrong"})
    client.post(reverse("login"), {"username": "operator", "password": PASSWORD})
    client.post(reverse("logout"))

    trail = list(AuditRecord.objects.order_by("id").values_list("action", "outcome", "actor_name", "client_ip"))
    assert trail == [
        ("login_failed", "failed", "operator", "192.0.2.7"),
        ("login", "succeeded", "operator", "192.0.2.7"),
        ("logout", "succeeded", "operator", "192.0.2.7"),
    ]
    assert PASSWORD not in str(list(AuditRecord.objects.values()))
