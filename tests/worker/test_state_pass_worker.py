"""The worker keeps every VPS's routed-IPv6 state fresh with no page open, within the shared budget."""

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from hostup_dash.core.jobs import job_defer
from hostup_dash.inventory.models import SyncRun, VpsSnapshot
from hostup_dash.inventory.tasks import STATE_PASS_SLICE
from tests.factories import synced
from tests.worker.harness import state_reads, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _slices_running() -> int:
    return ProcrastinateJob.objects.filter(task_name=STATE_PASS_SLICE, status="doing").count()


def _all_states_read() -> bool:
    return VpsSnapshot.objects.exists() and not VpsSnapshot.objects.filter(state_checked_at=None).exists()


def test_worker_syncs_and_reads_every_state_with_no_page_open(hostup, start_worker):
    start_worker(queues=["sync"])

    wait_for(_all_states_read, timeout=40)

    assert SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).exists()
    reads = state_reads(hostup)
    assert len(reads) == len(hostup.vps_ids())
    assert set(reads.values()) == {1}


def test_two_workers_share_one_budget_and_read_each_vps_once(hostup, start_worker):
    hostup.config.rate_limit = 10
    hostup.config.rate_window_s = 2.0
    synced(hostup)
    start_worker(queues=["sync"])
    start_worker(queues=["sync"])

    # One slice per worker, side by side (a queueing lock keeps only one waiting at a time).
    wait_for(lambda: job_defer(STATE_PASS_SLICE) and False or _slices_running() == 2, timeout=10)
    wait_for(_all_states_read, timeout=40)

    assert all(call.status != 429 for call in hostup.calls)
    assert set(state_reads(hostup).values()) == {1}


def test_a_429_pauses_the_pass_and_it_carries_on_after_retry_after(hostup, start_worker):
    synced(hostup)
    hostup.fail_next("rate_limit", path_prefix="/api/v2/vps/", retry_after=2)
    start_worker(queues=["sync"])
    job_defer(STATE_PASS_SLICE)

    wait_for(_all_states_read, timeout=40)

    assert [call.status for call in hostup.calls].count(429) == 1
    reads = state_reads(hostup)
    assert len(reads) == len(hostup.vps_ids())
    assert set(reads.values()) == {1}
