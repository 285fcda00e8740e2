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
