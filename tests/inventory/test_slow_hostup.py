"""A HostUp that accepts connections and never answers: VPS pages beyond the waiting slots are turned away
at once, the health check never waits, and an action finding no slot is audited as refused."""

import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from hostup_dash.hostup.errors import HOSTUP_BUSY
from hostup_dash.hostup.waiting import BUSY_TITLE
from tests.hostup.hanging import HangingServer

VPS_ID = "vps_" + "0" * 26
WAITING = 2
READ_TIMEOUT_S = 1.5


@pytest.fixture
def slots_taken(settings, make_user) -> Iterator[None]:
    """WAITING viewers' VPS pages hang on HostUp, holding every waiting slot of this process."""
    settings.HOSTUP_MAX_WAITING = WAITING
    settings.HOSTUP_READ_TIMEOUT = READ_TIMEOUT_S
    settings.HOSTUP_TIMEOUT = READ_TIMEOUT_S
    users = [make_user("viewer", f"viewer-{number}") for number in range(WAITING)]

    def view_page(user) -> None:
        client = Client()
        client.force_login(user)
        try:
            client.get(reverse("inventory:vps-detail", args=[VPS_ID]))
        finally:
            connections.close_all()

    with HangingServer() as hanging:
        settings.HOSTUP_API_URL = hanging.url
        threads = [threading.Thread(target=view_page, args=(user,)) for user in users]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 5
        while hanging.accepted < WAITING and time.monotonic() < deadline:
            time.sleep(0.01)
        assert hanging.accepted == WAITING, "the pages never reached the hanging HostUp"
        yield
        for thread in threads:
            thread.join()


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


@pytest.mark.django_db(transaction=True)
def test_a_vps_page_finding_every_slot_taken_answers_503_at_once(slots_taken, viewer_client):
    response, seconds = _timed(lambda: viewer_client.get(reverse("inventory:vps-detail", args=[VPS_ID])))

    assert response.status_code == 503
    assert BUSY_TITLE in response.content.decode()
    assert seconds < 0.5


@pytest.mark.django_db(transaction=True)
def test_healthz_answers_while_hostup_hangs(slots_taken):
    response, seconds = _timed(lambda: Client().get("/healthz"))

    assert response.status_code == 200
    assert seconds < 0.5


@pytest.mark.django_db(transaction=True)
def test_an_action_finding_every_slot_taken_is_audited_as_refused(slots_taken, operator_client):
    response = operator_client.post(reverse("inventory:ipv6-allocate", args=[VPS_ID]), HTTP_HX_REQUEST="true")

    assert response.status_code == 503
    assert BUSY_TITLE in response.content.decode()
    record = AuditRecord.objects.get(action=AuditRecord.Action.ALLOCATE)
    assert (record.outcome, record.problem_code) == (AuditRecord.Outcome.REFUSED, HOSTUP_BUSY)
