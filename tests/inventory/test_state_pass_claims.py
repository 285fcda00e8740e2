"""The state pass's claims: a slice is queued only for rows it can claim, a read ends its claim,
and a killed worker's claim still ends with its lease (the acceptance bug: empty slices, 60-90 a second)."""

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from hostup_dash.core.clients import hostup_client
from hostup_dash.inventory import selectors, services, tasks
from hostup_dash.inventory.models import SyncRun, VpsSnapshot
from hostup_dash.inventory.selectors import CLAIM_LEASE
from hostup_dash.inventory.services.state_pass import CLAIM_BATCH, _claim_batch, state_pass_batch
from tests.factories import synced

MIN_AGE = 60


@pytest.fixture
def slice_done(hostup, settings):
    """Every VPS read by one slice, with STATE_PASS_MIN_AGE as `make run` has it."""
    settings.STATE_PASS_MIN_AGE = MIN_AGE
    synced(hostup)
    tally = services.state_pass_run()
    assert tally.read == len(hostup.vps_ids()) and not tally.stop
    return hostup


def age_reads(seconds: float) -> None:
    """Every row read `seconds` ago, its claim untouched (as time passing would leave it)."""
    VpsSnapshot.objects.update(state_checked_at=timezone.now() - timedelta(seconds=seconds))


@pytest.fixture
def slices_waiting(db):
    """The slices queued during the test and not yet started: Procrastinate's tables are not
    flushed between tests, so older jobs may be another test's."""
    jobs_before = ProcrastinateJob.objects.order_by("-id").values_list("id", flat=True).first() or 0

    def waiting() -> list[ProcrastinateJob]:
        jobs = ProcrastinateJob.objects.filter(id__gt=jobs_before, task_name=tasks.STATE_PASS_SLICE, status="todo")
        return list(jobs)

    return waiting


def assert_work_and_claim_agree() -> list[str]:
    has_work = selectors.state_pass_has_work()
    claimed = _claim_batch().vps_ids
    assert has_work == bool(claimed)
    return claimed


@pytest.mark.django_db
def test_a_read_ends_its_claim(slice_done):
    assert not VpsSnapshot.objects.exclude(state_claimed_at=None).exists()


@pytest.mark.django_db
def test_rows_due_again_by_age_are_claimable_and_there_is_work(slice_done):
    age_reads(MIN_AGE + 1)

    assert assert_work_and_claim_agree()


@pytest.mark.django_db
def test_right_after_a_slice_nothing_is_due_claimed_or_queued(slice_done, slices_waiting):
    assert not selectors.state_pass_has_work()
    assert services.state_pass_run().read == 0
    assert not VpsSnapshot.objects.exclude(state_claimed_at=None).exists()
    assert MIN_AGE - 30 < selectors.state_pass_due_in() <= MIN_AGE  # the upper bound is the check

    tasks.state_pass_slice()

    assert slices_waiting() == []  # the next tick queues it, nearer the time


@pytest.mark.django_db
def test_each_vps_is_read_again_after_min_age_not_after_the_lease(slice_done):
    age_reads(MIN_AGE + 1)

    assert services.state_pass_run().read == len(slice_done.vps_ids())


@pytest.mark.django_db
def test_a_failed_read_ends_its_claim_too(hostup, settings):
    settings.STATE_PASS_MIN_AGE = MIN_AGE
    synced(hostup)
    bad = sorted(hostup.vps_ids())[3]
    hostup.fail_next("internal", count=1000, path_prefix=f"/api/v2/vps/{bad}/routed-ipv6")

    assert services.state_pass_run().failed == 1
    age_reads(MIN_AGE + 1)

    assert bad in assert_work_and_claim_agree()


@pytest.mark.django_db
def test_a_killed_workers_claim_holds_for_its_lease_then_ends(hostup, settings):
    settings.STATE_PASS_MIN_AGE = MIN_AGE
    synced(hostup)
    held = _claim_batch().vps_ids  # claimed, and the worker dies before reading them
    VpsSnapshot.objects.exclude(vps_id__in=held).update(state_checked_at=timezone.now())

    assert held and assert_work_and_claim_agree() == []

    VpsSnapshot.objects.filter(vps_id__in=held).update(state_claimed_at=timezone.now() - CLAIM_LEASE - timedelta(1))
    assert sorted(assert_work_and_claim_agree()) == sorted(held)


@pytest.mark.django_db
def test_a_slice_queues_no_next_slice_for_rows_another_holds(slice_done, slices_waiting):
    age_reads(MIN_AGE + 1)
    VpsSnapshot.objects.update(state_claimed_at=timezone.now())  # another worker's slice holds every row

    tasks.state_pass_slice()
    tasks.background_tick(timestamp=0)

    assert slices_waiting() == []


@pytest.mark.django_db
def test_a_row_due_before_the_next_tick_gets_a_slice_then(slice_done, slices_waiting):
    age_reads(MIN_AGE - 4)

    tasks.background_tick(timestamp=0)

    [waiting] = slices_waiting()
    due_in = (waiting.scheduled_at - timezone.now()).total_seconds()
    assert 0 < due_in <= 4 + tasks.DUE_MARGIN_S


def slice_running() -> None:
    """A slice running on a live worker, as Procrastinate's tables show it."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now()) RETURNING id")
        worker = cursor.fetchone()[0]
        cursor.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args, status, worker_id)"
            " VALUES (%s, %s, %s, '{}', 'doing', %s)",
            [tasks.SYNC_QUEUE, tasks.STATE_PASS_SLICE, tasks.STATE_PASS_SLICE, worker],
        )


@pytest.mark.django_db
def test_no_slice_is_queued_for_later_while_one_runs(slice_done, slices_waiting):
    """Queued for later, it would hold the queueing lock: a slice for never-read rows would be refused."""
    age_reads(MIN_AGE - 4)
    slice_running()

    tasks.background_tick(timestamp=0)
    assert slices_waiting() == []

    slice_running()  # the slice below, as the worker runs it, ends beside the other
    tasks.state_pass_slice()
    assert slices_waiting() == []


@pytest.mark.django_db
def test_the_last_slice_to_end_queues_the_next_for_when_a_row_falls_due(slice_done, slices_waiting):
    slice_running()  # the slice below, as the worker runs it
    age_reads(MIN_AGE - 4)  # ...then it finds no row due, the first in 4 s

    tasks.state_pass_slice()

    [waiting] = slices_waiting()
    assert 0 < (waiting.scheduled_at - timezone.now()).total_seconds() <= 4 + tasks.DUE_MARGIN_S


def slow_read(hostup, vps_id: str, seconds: float, then=lambda: None) -> None:
    """HostUp takes `seconds` to answer the next read of `vps_id` (after running `then`)."""
    hostup.before_next("GET", f"/api/v2/vps/{vps_id}/routed-ipv6", lambda: (then(), time.sleep(seconds)))


@pytest.mark.django_db
def test_a_slice_ends_on_time_with_budget_to_spare_and_frees_the_rows_it_did_not_read(hostup, settings):
    settings.STATE_PASS_MIN_AGE = MIN_AGE
    synced(hostup)
    slow_read(hostup, min(hostup.vps_ids()), seconds=1.0)  # the first claimed; past the slice's time

    assert services.state_pass_run(seconds=0.5).read == 1

    assert not VpsSnapshot.objects.exclude(state_claimed_at=None).exists()
    assert VpsSnapshot.objects.filter(state_checked_at=None).count() == len(hostup.vps_ids()) - 1
    assert selectors.state_pass_has_work()


@pytest.mark.django_db(transaction=True)
def test_a_slice_whose_lease_ran_out_leaves_the_claims_another_took_since(hostup, settings):
    """Here the first read takes so long that another worker's slice takes over the rows (committed: it is
    another connection), and the slice's time runs out: neither its read nor its release ends their claims."""
    settings.STATE_PASS_MIN_AGE = MIN_AGE
    synced(hostup)
    taken_at = timezone.now() + timedelta(seconds=1)

    def taken_over() -> None:
        VpsSnapshot.objects.exclude(state_claimed_at=None).update(state_claimed_at=taken_at)
        connection.close()  # the simulator's thread's own connection

    slow_read(hostup, min(hostup.vps_ids()), seconds=1.0, then=taken_over)

    assert services.state_pass_run(seconds=0.5).read == 1

    claims = list(VpsSnapshot.objects.values_list("state_claimed_at", flat=True))
    assert claims.count(taken_at) == CLAIM_BATCH
    assert claims.count(None) == len(claims) - CLAIM_BATCH


@pytest.mark.django_db
def test_the_sync_commands_batch_leaves_live_claims_alone(hostup, settings):
    settings.STATE_PASS_MIN_AGE = MIN_AGE
    synced(hostup)
    held = _claim_batch().vps_ids  # a worker's slice, reading them now
    hostup.fail_next("internal", path_prefix=f"/api/v2/vps/{held[0]}/routed-ipv6")
    client = hostup_client()
    try:
        state_pass_batch(client, SyncRun.objects.create(), limit=None)
    finally:
        client.close()

    assert VpsSnapshot.objects.get(vps_id=held[0]).state_error  # failed, and kept on the row
    assert set(VpsSnapshot.objects.exclude(state_claimed_at=None).values_list("vps_id", flat=True)) == set(held)
