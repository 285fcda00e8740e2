"""Bulk runs done by a real worker: to the end, cancelled, after a SIGKILL, through a 429."""

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from hostup_dash.audit.models import AuditRecord
from hostup_dash.bulk import services
from hostup_dash.bulk.models import BulkItem, BulkRun
from hostup_dash.core.jobs import job_defer
from tests.bulk.helpers import drifted, posts_to
from tests.factories import pick_vps
from tests.worker.harness import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
State = BulkItem.State


def _start(make_user, vps_ids: list[str]) -> BulkRun:
    return services.bulk_run_create(
        actor=make_user("operator"), action=BulkRun.Action.REFRESH_NEXT_HOP, vps_ids=vps_ids
    )


def _finished(run: BulkRun, *, timeout: float = 40) -> BulkRun:
    wait_for(lambda: BulkRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists(), timeout=timeout)
    run.refresh_from_db()
    return run


def _states(run: BulkRun) -> dict[str, str]:
    return dict(run.items.values_list("vps_id", "state"))


def test_a_run_of_ten_drifted_vpses_completes_and_each_item_is_audited_with_the_run_id(hostup, make_user, start_worker):
    vps_ids = drifted(hostup, 10)
    run = _start(make_user, vps_ids)
    start_worker(queues=[services.ACTIONS_QUEUE])

    run = _finished(run)

    assert run.status == BulkRun.Status.FINISHED
    assert set(_states(run).values()) == {State.SUCCEEDED}
    assert [posts_to(hostup, vps_id) for vps_id in vps_ids] == [1] * 10
    for vps_id in vps_ids:
        records = AuditRecord.objects.filter(vps_id=vps_id, bulk_run_id=run.id)
        assert sorted(records.values_list("outcome", flat=True)) == ["pending", "succeeded"]


def test_the_worker_skips_a_vps_that_needs_nothing_and_says_why(hostup, make_user, start_worker):
    [vps_id] = drifted(hostup, 1)
    idle = pick_vps(hostup, allocated=False)
    hostup.reset_calls()
    run = _start(make_user, [vps_id, idle])
    start_worker(queues=[services.ACTIONS_QUEUE])

    run = _finished(run)

    skipped = run.items.get(vps_id=idle)
    assert (skipped.state, skipped.detail) == (State.SKIPPED, services.SKIP_NOT_ALLOCATED)
    assert posts_to(hostup, idle) == 0


def test_cancel_skips_what_has_not_started_and_lets_the_item_in_flight_finish(hostup, make_user, start_worker):
    vps_ids = drifted(hostup, 8)
    hostup.config.latency_ms = 300
    run = _start(make_user, vps_ids)
    start_worker(queues=[services.ACTIONS_QUEUE])
    wait_for(lambda: run.items.filter(state=State.SUCCEEDED).exists())

    services.bulk_run_cancel(run=run, actor=run.requested_by)

    run = _finished(run)
    states = _states(run)
    assert run.status == BulkRun.Status.CANCELLED
    assert State.PENDING not in states.values() and State.RUNNING not in states.values()
    cancelled = run.items.filter(state=State.SKIPPED, detail=services.CANCELLED_DETAIL)
    assert cancelled.exists()
    assert all(posts_to(hostup, item.vps_id) == 0 for item in cancelled)


def test_a_worker_killed_mid_run_leaves_that_item_unknown_and_another_worker_does_the_rest(
    hostup, make_user, start_worker
):
    vps_ids = drifted(hostup, 5)
    hostup.config.latency_ms = 400
    run = _start(make_user, vps_ids)
    first = start_worker(queues=[services.ACTIONS_QUEUE])
    in_flight = wait_for(lambda: run.items.filter(state=State.RUNNING).values_list("vps_id", flat=True).first())

    first.kill()
    start_worker(queues=[services.ACTIONS_QUEUE])
    # What retry_stalled_jobs does once the dead worker's heartbeat is 30 s old.
    job_defer(services.BULK_RUN_PROCESS, queueing_lock=f"bulk-run-{run.id}", run_id=run.id)

    run = _finished(run)
    lost = run.items.get(vps_id=in_flight)
    assert (lost.state, lost.detail) == (State.UNKNOWN, services.LOST_DETAIL)
    assert {vps_id: state for vps_id, state in _states(run).items() if vps_id != in_flight} == dict.fromkeys(
        set(vps_ids) - {in_flight}, State.SUCCEEDED
    )
    assert all(posts_to(hostup, vps_id) <= 1 for vps_id in vps_ids)


def test_a_429_mid_run_defers_the_job_and_the_run_then_finishes(hostup, make_user, start_worker):
    # A short window: a 429 holds background calls until the window HostUp last reported ends.
    hostup.config.rate_window_s = 3.0
    vps_ids = drifted(hostup, 4)
    hostup.fail_next("rate_limit", path_prefix=f"/api/v2/vps/{vps_ids[2]}/", retry_after=2)
    run = _start(make_user, vps_ids)
    start_worker(queues=[services.ACTIONS_QUEUE])

    run = _finished(run)

    assert set(_states(run).values()) == {State.SUCCEEDED}
    assert [call.status for call in hostup.calls].count(429) == 1
    assert [posts_to(hostup, vps_id) for vps_id in vps_ids] == [1] * 4
    assert ProcrastinateJob.objects.filter(task_name=services.BULK_RUN_PROCESS, args__run_id=run.id).count() == 2
