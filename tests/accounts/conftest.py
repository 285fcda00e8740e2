import pytest
from django.test import Client

from tests.conftest import PASSWORD


@pytest.fixture
def superuser_client(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_superuser(username="root", password=PASSWORD))
    return client
