"""A real worker re-reads each VPS every STATE_PASS_MIN_AGE, and runs no slice that has nothing to claim
(the acceptance bug: each VPS re-read after the 2-minute claim lease, with 60-90 empty slices a second between)."""

import time

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.inventory.tasks import STATE_PASS_SLICE
from tests.factories import synced
from tests.worker.harness import state_reads, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

MIN_AGE_S = 3
WATCH_S = 20


def _slices_run() -> int:
    return ProcrastinateJob.objects.filter(task_name=STATE_PASS_SLICE, status="succeeded").count()


def test_each_vps_is_read_again_every_min_age_with_no_empty_slices(hostup, start_worker):
    synced(hostup)
    start_worker(queues=["sync"], STATE_PASS_MIN_AGE=str(MIN_AGE_S), INVENTORY_SYNC_EVERY=str(10**6))
    wait_for(lambda: not VpsSnapshot.objects.filter(state_checked_at=None).exists(), timeout=30)
    hostup.reset_calls()
    slices_before = _slices_run()

    time.sleep(WATCH_S)

    reads = state_reads(hostup)
    assert len(reads) == len(hostup.vps_ids())
    # Due every 3 s, queued for then, picked up within the worker's 5 s poll: 3 to 8.5 s apart.
    assert min(reads.values()) >= WATCH_S // 9
    # One slice per round of reads, give or take the tick's: never hundreds that claim nothing.
    assert _slices_run() - slices_before <= 2 * WATCH_S // MIN_AGE_S
