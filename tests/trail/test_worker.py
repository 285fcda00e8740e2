"""The import as the worker runs it: on its own schedule, surviving SIGKILL, and the re-read it queues."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.inventory.services.snapshot import vps_state_refresh
from hostup_dash.trail.models import EventImport, HostupEvent
from hostup_dash.trail.tasks import TRAIL_QUEUE
from tests.worker.harness import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
Status = EventImport.Status
HOUSEKEEPING_QUEUE = "default"  # retry_stalled_jobs (core.tasks)


def test_an_outside_change_reaches_the_list_within_a_minute_of_the_import(trail_hostup, allocated_vps, start_worker):
    vps_state_refresh(vps_id=allocated_vps)
    trail_hostup.outside_change(allocated_vps, "release", "customer", occurred_at=timezone.now() - timedelta(minutes=1))
    assert VpsSnapshot.objects.get(vps_id=allocated_vps).has_active_allocation  # what the list still says

    start_worker(queues=[TRAIL_QUEUE], HOSTUP_EVENTS_EVERY="1")

    wait_for(lambda: EventImport.objects.filter(status=Status.SUCCEEDED).exists(), timeout=30)
    imported_at = EventImport.objects.get(status=Status.SUCCEEDED).finished_at
    row = wait_for(
        lambda: VpsSnapshot.objects.filter(vps_id=allocated_vps, allocation_status="cooldown").first(), timeout=60
    )
    assert row.is_changed_outside and row.state_checked_at - imported_at < timedelta(minutes=1)


def test_an_import_killed_half_way_is_run_again_and_stores_nothing_twice(trail_hostup, allocated_vps, start_worker):
    now = timezone.now()
    # The last import's end anchors the window: startAt is that minus the overlap, however often it is run.
    hour_ago = now - timedelta(hours=1)
    EventImport.objects.create(status=Status.SUCCEEDED, started_at=hour_ago, start_at=hour_ago, end_at=hour_ago)
    for number in range(1200):
        at = now - timedelta(minutes=5, seconds=number)
        trail_hostup.add_audit_event({"id": f"evt_{number:026d}", "occurredAt": at.isoformat(), "method": "POST"})
    trail_hostup.config.latency_ms = 300  # twelve pages: long enough to be killed between them
    worker = start_worker(queues=[TRAIL_QUEUE])

    running = EventImport.objects.filter(status=Status.RUNNING, events_seen__gt=0)
    killed = wait_for(running.first, timeout=30)
    worker.kill()
    stored_before = HostupEvent.objects.count()
    assert 0 < stored_before < 1200
    trail_hostup.config.latency_ms = 0
    start_worker(queues=[TRAIL_QUEUE, HOUSEKEEPING_QUEUE])  # its housekeeping retries the killed worker's job

    finished = EventImport.objects.filter(status=Status.SUCCEEDED, started_at__gt=killed.started_at)
    done = wait_for(finished.first, timeout=90, every=0.5)
    assert HostupEvent.objects.count() == 1200 and done.events_new == 1200 - stored_before
    assert done.start_at == killed.start_at  # the same window: the checkpoint had not moved
    assert EventImport.objects.get(pk=killed.pk).status == Status.FAILED
