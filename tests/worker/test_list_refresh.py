"""The list's stale-data refresh runs in the worker; the page shows it under way and updates when it ends."""

import pytest
from django.urls import reverse

from hostup_dash.inventory.models import SyncRun, VpsSnapshot
from tests.worker.harness import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HTTP_HX_REQUEST": "true"}


def _waiting_since(page: str) -> str:
    marker = 'name="waiting_since" value="'
    assert marker in page, "the page is not polling"
    return page.split(marker, 1)[1].split('"', 1)[0]


def _sync_ended_after(waiting_since: str):
    """A sync that started after the page asked has ended (the worker's own first pass may come before)."""
    return lambda: SyncRun.objects.filter(id__gt=int(waiting_since)).exclude(finished_at=None).exists()


def test_refresh_shows_progress_and_then_the_new_rows(hostup, start_worker, viewer_client):
    start_worker(queues=["sync"])

    asked = viewer_client.post(reverse("inventory:refresh"), **HTMX).content.decode()
    assert "Refreshing from HostUp" in asked
    wait_for(_sync_ended_after(_waiting_since(asked)))
    done = viewer_client.post(reverse("inventory:refresh"), {"waiting_since": _waiting_since(asked)}, **HTMX)

    page = done.content.decode()
    assert "Refreshing from HostUp" not in page
    assert all(vps.name in page for vps in VpsSnapshot.objects.all())


def test_a_failed_refresh_says_so_in_words_and_stops_polling(hostup, start_worker, viewer_client):
    # Every inventory read fails: the worker's own periodic pass may come first and would use up a one-off fault.
    hostup.fail_next("internal", count=10_000, path_prefix="/api/v2/vps")
    start_worker(queues=["sync"])

    asked = viewer_client.post(reverse("inventory:refresh"), **HTMX).content.decode()
    wait_for(_sync_ended_after(_waiting_since(asked)))
    page = viewer_client.post(reverse("inventory:refresh"), {"waiting_since": _waiting_since(asked)}, **HTMX)

    assert "The last sync failed" in page.content.decode()
    assert "Refreshing from HostUp" not in page.content.decode()
