import pytest
from django.db import connection
from django.test import Client

from hostup_dash.inventory import services
from tests.factories import synced


@pytest.mark.django_db
def test_healthz_needs_no_login_and_says_how_fresh_things_are(hostup, settings):
    services.inventory_sync(limit=2)

    response = Client().get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert 0 <= body["inventory_sync_age_s"] < 60
    assert 0 <= body["hostup_last_answer_age_s"] < 60
    assert settings.HOSTUP_API_TOKEN not in response.content.decode()


@pytest.mark.django_db
def test_healthz_before_any_sync():
    body = Client().get("/healthz").json()

    assert body["inventory_sync_age_s"] is None and body["hostup_last_answer_age_s"] is None


@pytest.mark.django_db(transaction=True)
def test_healthz_is_503_when_the_database_is_down(unused_tcp_port):
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(unused_tcp_port))
    try:
        response = Client().get("/healthz")
    finally:
        connection.close()
        connection.settings_dict.update(original)

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unreachable"}


@pytest.fixture
def unused_tcp_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.django_db
def test_healthz_says_no_worker_was_ever_seen():
    body = Client().get("/healthz").json()

    assert body["worker_heartbeat_age_s"] is None


@pytest.mark.django_db(transaction=True)
def test_healthz_reports_the_worker_heartbeat_and_the_oldest_state(hostup, start_worker):
    synced(hostup)
    start_worker(queues=["none"])  # only its heartbeat matters here
    services.vps_state_refresh(vps_id=hostup.vps_ids()[0])

    body = Client().get("/healthz").json()

    assert 0 <= body["worker_heartbeat_age_s"] < 15
    assert 0 <= body["oldest_state_age_s"] < 60
    assert body["states_never_read"] == len(hostup.vps_ids()) - 1
