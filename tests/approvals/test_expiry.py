"""Requests nobody decides within APPROVAL_TTL expire: marked by the worker, and never approvable once past."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from hostup_dash.approvals import selectors, sweeps
from hostup_dash.approvals.models import ChangeRequest
from hostup_dash.audit.models import AuditRecord
from hostup_dash.inventory.services import ipv6_release
from hostup_dash.inventory.services.outcomes import outcome_resolve
from tests.factories import action_trail
from tests.worker.harness import wait_for

from .conftest import HTMX, decision_url, deletes

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome
Status = ChangeRequest.Status


def _overdue(change: ChangeRequest) -> None:
    ChangeRequest.objects.filter(id=change.id).update(expires_at=timezone.now() - timedelta(seconds=1))


@pytest.mark.django_db
def test_a_request_expires_after_the_ttl(settings, requested):
    assert requested.expires_at - requested.created_at == timedelta(seconds=settings.APPROVAL_TTL)


@pytest.mark.django_db
def test_an_overdue_request_cannot_be_approved_before_the_job_runs(hostup, requested, bob_client, allocated_vps):
    _overdue(requested)

    response = bob_client.post(decision_url("approve", requested), **HTMX)

    assert response.status_code == 409
    assert "expired" in response.content.decode()
    requested.refresh_from_db()
    assert requested.status == Status.EXPIRED and requested.decided_by is None
    assert deletes(hostup, allocated_vps) == []
    assert action_trail()[-2:] == [(Action.CHANGE_EXPIRE, Outcome.SUCCEEDED), (Action.CHANGE_APPROVE, Outcome.REFUSED)]


@pytest.mark.django_db
def test_an_overdue_request_is_listed_as_expired_and_not_counted(requested):
    _overdue(requested)

    lists = selectors.change_request_lists()

    assert ([c.id for c in lists.expired], lists.pending) == ([requested.id], [])
    assert selectors.change_request_pending_count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_worker_marks_overdue_requests_expired(start_worker, requested):
    _overdue(requested)

    start_worker()

    wait_for(lambda: ChangeRequest.objects.filter(id=requested.id, status=Status.EXPIRED).exists(), timeout=30)
    record = AuditRecord.objects.get(action=Action.CHANGE_EXPIRE)
    assert (record.change_request_id, record.actor_name, record.actor_id) == (requested.id, "system", None)
    assert record.vps_id == requested.vps_id and record.reason == requested.reason


@pytest.mark.django_db(transaction=True)
def test_the_worker_leaves_requests_still_in_time(start_worker, requested):
    start_worker()
    # Two ticks of the 10 s expiry job have run once the next one has.
    wait_for(lambda: AuditRecord.objects.filter(action=Action.CHANGE_EXPIRE).exists() or _ticks() >= 2, timeout=30)

    requested.refresh_from_db()
    assert requested.status == Status.PENDING


def _ticks() -> int:
    from procrastinate.contrib.django.models import ProcrastinateJob

    return ProcrastinateJob.objects.filter(task_name="change_requests_expire", status="succeeded").count()


def _cut_off(change: ChangeRequest, decider) -> None:
    """Approved eleven minutes ago, and the approver's process died before the request was ended."""
    ChangeRequest.objects.filter(id=change.id).update(
        status=Status.APPROVED,
        decided_by=decider,
        decided_by_name=decider.username,
        decided_at=timezone.now() - sweeps.INTERRUPTED_AFTER - timedelta(minutes=1),
    )


@pytest.mark.django_db
def test_an_approval_cut_off_before_sending_is_settled_as_failed(hostup, requested, bob, allocated_vps):
    _cut_off(requested, bob)

    assert sweeps.change_requests_settle() == 1

    requested.refresh_from_db()
    assert requested.status == Status.FAILED and "before anything was sent" in requested.status_detail
    assert action_trail()[-1] == (Action.CHANGE_EXECUTE, Outcome.FAILED)
    assert deletes(hostup, allocated_vps) == []


@pytest.mark.django_db
def test_an_approval_cut_off_after_sending_is_settled_from_the_actions_outcome(hostup, requested, bob, allocated_vps):
    # What the approval had sent before its process died: the release, tagged with the request.
    result = ipv6_release(
        actor=bob,
        vps_id=allocated_vps,
        confirm=requested.seen_prefix,
        reason=requested.reason,
        change_request_id=requested.id,
    )
    _cut_off(requested, bob)

    sweeps.change_requests_settle()

    requested.refresh_from_db()
    assert (requested.status, requested.outcome_record_id) == (Status.EXECUTED, result.record.id)
    assert len(deletes(hostup, allocated_vps)) == 1  # the one release; settling sends nothing


@pytest.mark.django_db
def test_an_approval_still_running_is_left_alone(requested, bob):
    ChangeRequest.objects.filter(id=requested.id).update(status=Status.APPROVED, decided_at=timezone.now())

    assert sweeps.change_requests_settle() == 0


@pytest.mark.django_db
def test_an_unknown_outcome_found_later_by_the_worker_ends_the_request(
    hostup, settings, requested, bob_client, allocated_vps
):
    settings.HOSTUP_TIMEOUT = 0.3
    hostup.config.latency_ms = 1000
    bob_client.post(decision_url("approve", requested), **HTMX)
    requested.refresh_from_db()
    assert requested.status == Status.UNKNOWN
    hostup.config.latency_ms = 0
    time.sleep(1.0)  # the simulator carries out the DELETE the dashboard stopped waiting for
    intent = AuditRecord.objects.get(action=Action.RELEASE, outcome=Outcome.PENDING)
    assert sweeps.change_requests_settle() == 0  # nothing found yet: left as it is

    finding = outcome_resolve(intent_id=intent.id)  # the outcome check job's work: HostUp shows it released
    assert sweeps.change_requests_settle() == 1

    requested.refresh_from_db()
    assert (requested.status, requested.outcome_record_id) == (Status.EXECUTED, finding.id)
    assert action_trail()[-1] == (Action.CHANGE_EXECUTE, Outcome.SUCCEEDED)
    assert len(deletes(hostup, allocated_vps)) == 1  # the one release; settling sends nothing
    assert sweeps.change_requests_settle() == 0
