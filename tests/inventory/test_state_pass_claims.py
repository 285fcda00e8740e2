"""The state pass's claims: a slice is queued only for rows it can claim, a read ends its claim,
and a killed worker's claim still ends with its lease (the acceptance bug: empty slices, 60-90 a second)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from hostup_dash.inventory import selectors, services, tasks
from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.inventory.selectors import CLAIM_LEASE
from hostup_dash.inventory.services.state_pass import _claim_batch
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
    claimed = _claim_batch()
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
    assert MIN_AGE - 5 < selectors.state_pass_due_in() <= MIN_AGE

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
    held = _claim_batch()  # claimed, and the worker dies before reading them
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
    assert 3 < due_in <= 4 + tasks.DUE_MARGIN_S
