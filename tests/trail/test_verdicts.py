"""Whose request each imported event was: linked to our records by request id, or a change outside the
dashboard (flagged on the VPS, its state re-read); unknown outcomes reconciled from HostUp's log."""

import json
import threading
import time
from datetime import timedelta

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from procrastinate.contrib.django.models import ProcrastinateJob

from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.locks import lock_key
from hostup_dash.hostup import HostupError
from hostup_dash.inventory import services as inventory
from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.pools import services as pools
from hostup_dash.trail import selectors, services
from hostup_dash.trail.models import HostupEvent, OwnApiKey
from hostup_dash.trail.services.reconcile import IN_HOSTUP_LOG, NO_RECORD, NOT_IN_HOSTUP_LOG
from tests.pools.helpers import account_state, eligible_vps
from tests.trail.conftest import settle

pytestmark = pytest.mark.django_db(transaction=True)
Action, Outcome = AuditRecord.Action, AuditRecord.Outcome


def _reconciles() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=Action.RECONCILE).order_by("id"))


class RereadJobs:
    """The re-read jobs waiting. Procrastinate's tables are not flushed between tests, and its models are
    read-only, so a waiting job a test left behind (it would hold the queueing lock) is removed in SQL."""

    def clear(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo'", [services.VPS_REREAD_TASK]
            )

    def rereads(self) -> list[dict]:
        return [job.args for job in ProcrastinateJob.objects.filter(task_name=services.VPS_REREAD_TASK, status="todo")]


@pytest.fixture
def jobs() -> RereadJobs:
    waiting = RereadJobs()
    waiting.clear()
    return waiting


def test_our_action_is_confirmed_by_its_request_id_and_is_not_outside(trail_hostup, operator, free_vps, jobs):
    result = inventory.ipv6_allocate(actor=operator, vps_id=free_vps)
    settle()

    services.events_import()

    (event,) = HostupEvent.objects.filter(vps_id=free_vps)
    assert event.request_id == result.record.hostup_request_id and not event.outside_dashboard
    newest_first = selectors.vps_history(vps_id=free_vps)
    assert newest_first == [result.record, event] and newest_first[0].confirmed_by == event.id
    assert set(OwnApiKey.objects.values_list("actor_id", flat=True)) == {event.actor_id}
    assert not jobs.rereads()


def test_a_failed_write_of_ours_is_linked_by_the_request_id_of_its_problem(trail_hostup, operator, allocated_vps):
    trail_hostup.fail_next("conflict", path_prefix=f"/api/v2/vps/{allocated_vps}")
    with pytest.raises(HostupError) as refused:
        inventory.ipv6_next_hop_refresh(actor=operator, vps_id=allocated_vps)
    settle()

    services.events_import()

    (event,) = HostupEvent.objects.filter(vps_id=allocated_vps)
    assert event.request_id == refused.value.request_id and not event.outside_dashboard


@pytest.mark.parametrize("actor", ["customer", "staff", "system", "api_key_other"])
def test_a_change_made_outside_the_dashboard_is_flagged_and_its_vps_reread(trail_hostup, allocated_vps, actor, jobs):
    trail_hostup.outside_change(allocated_vps, "release", actor, occurred_at=timezone.now() - timedelta(minutes=1))

    run = services.events_import()

    (event,) = HostupEvent.objects.filter(vps_id=allocated_vps)
    assert event.outside_dashboard and run.outside_found == 1
    assert VpsSnapshot.objects.get(vps_id=allocated_vps).is_changed_outside
    assert jobs.rereads() == [{"vps_id": allocated_vps}]


def test_a_failed_attempt_outside_the_dashboard_changed_nothing_and_is_not_flagged(trail_hostup, free_vps):
    trail_hostup.outside_change(
        free_vps, "refresh_next_hop", "customer", occurred_at=timezone.now() - timedelta(minutes=1)
    )

    services.events_import()

    (event,) = HostupEvent.objects.filter(vps_id=free_vps)
    assert event.success is False and not event.outside_dashboard
    assert not VpsSnapshot.objects.get(vps_id=free_vps).is_changed_outside


def test_a_reimported_outside_change_is_acted_on_once(trail_hostup, allocated_vps, jobs):
    trail_hostup.outside_change(allocated_vps, "release", "staff", occurred_at=timezone.now() - timedelta(minutes=1))
    services.events_import()
    jobs.clear()

    again = services.events_import()

    assert again.outside_found == 0 and not jobs.rereads()


def _timed_out_allocate(sim, operator, vps_id: str) -> None:
    """An allocate whose reply never reached us (HostUp answers after our client gave up, and logs its answer),
    after one linked by its request id (so our key is known)."""
    inventory.ipv6_allocate(actor=operator, vps_id=sim.vps_ids()[-1])
    sim.config.latency_ms = 1500
    with pytest.raises(HostupError) as timed_out:
        inventory.ipv6_allocate(actor=operator, vps_id=vps_id)
    assert timed_out.value.is_outcome_unknown
    sim.config.latency_ms = 0


def test_a_timed_out_allocate_is_reconciled_from_hostups_log(trail_hostup, settings, operator, free_vps):
    _timed_out_allocate(trail_hostup, operator, free_vps)
    settle(timedelta(seconds=1.5))

    run = services.events_import()

    (reconcile,) = _reconciles()
    intent = AuditRecord.objects.get(action=Action.ALLOCATE, vps_id=free_vps, outcome=Outcome.PENDING)
    event = HostupEvent.objects.get(vps_id=free_vps)
    assert (reconcile.intent, reconcile.outcome, reconcile.http_status) == (intent, Outcome.SUCCEEDED, 201)
    assert reconcile.problem_code == IN_HOSTUP_LOG and event.id in reconcile.problem_detail
    assert reconcile.request_body["hostup_event_id"] == event.id and run.reconciled == 1
    assert not event.outside_dashboard  # our own request, whose reply never reached us


def test_a_timed_out_route_create_is_reconciled_and_not_taken_for_an_outside_change(trail_hostup, operator):
    # An account write names no VPS in its path: its event is found by method, action and time.
    inventory.ipv6_allocate(actor=operator, vps_id=trail_hostup.vps_ids()[-1])  # our key, learned from its link
    state = account_state()
    trail_hostup.before_next("POST", "/api/v2/routed-ipv6", lambda: time.sleep(1.5))  # answered after we gave up
    with pytest.raises(HostupError) as timed_out:
        pools.route_create(actor=operator, pool_id=state.pools[0].id, vps_id=eligible_vps(state), prefix_length=64)
    assert timed_out.value.is_outcome_unknown
    settle(timedelta(seconds=1.5))

    services.events_import()

    (reconcile,) = _reconciles()
    intent = AuditRecord.objects.get(action=Action.ROUTE_CREATE, outcome=Outcome.PENDING)
    event = HostupEvent.objects.get(action="routed_ipv6_route.create")
    assert (reconcile.intent, reconcile.outcome, reconcile.http_status) == (intent, Outcome.SUCCEEDED, 201)
    assert reconcile.request_body["hostup_event_id"] == event.id
    assert not event.outside_dashboard


def test_an_unknown_outcome_hostup_never_logged_says_so_once_the_window_is_read(trail_hostup, operator, free_vps):
    # The worker died after the intent, before the request left: HostUp never saw it.
    intent = audit.audit_intent_record(
        actor=operator, action=Action.ALLOCATE, vps_id=free_vps, vps_name="x", request_body={}, client_ip=None
    )
    stopped = HostupError(code="worker_stopped", title="No answer was recorded")
    audit.audit_outcome_record(intent=intent, outcome=Outcome.UNKNOWN, duration_ms=1, problem=stopped)
    services.events_import()
    assert not _reconciles()  # the window is not read to its end yet

    settle(3 * services.imports.event_settle())
    services.events_import()
    services.events_import()

    (reconcile,) = _reconciles()
    assert (reconcile.intent, reconcile.outcome, reconcile.problem_code) == (intent, Outcome.FAILED, NOT_IN_HOSTUP_LOG)
    assert reconcile.problem_detail.startswith(NO_RECORD)


def test_an_outside_change_is_sent_to_the_webhooks_that_asked_for_it(trail_hostup, allocated_vps):
    from hostup_dash.notifications.models import Delivery, Event
    from hostup_dash.notifications.services import webhook_create

    webhook_create(url="https://hooks.example.net/ops", events=[Event.CHANGE_OUTSIDE], actor=None, via="test")
    trail_hostup.outside_change(allocated_vps, "release", "customer", occurred_at=timezone.now() - timedelta(minutes=1))

    services.events_import()
    services.events_import()  # read again by the overlap: sent once

    (delivery,) = Delivery.objects.all()
    body = json.loads(bytes(delivery.payload))
    assert delivery.event == Event.CHANGE_OUTSIDE and body["vps_id"] == allocated_vps and "customer" in body["actor"]


def test_our_write_whose_outcome_record_is_written_late_is_not_outside(trail_hostup, operator, free_vps, jobs):
    # Another append holds the chain's lock for 3 s just as HostUp answers: our outcome record is written late.
    def hold_the_chain() -> None:
        holder = psycopg.connect(**connection.get_connection_params(), autocommit=True)
        holder.execute("SELECT pg_advisory_lock(%s)", [lock_key(audit.CHAIN_LOCK)])
        threading.Timer(3.0, holder.close).start()

    trail_hostup.before_next("POST", f"/api/v2/vps/{free_vps}", hold_the_chain)
    result = inventory.ipv6_allocate(actor=operator, vps_id=free_vps)
    (event,) = [e for e in trail_hostup.audit_events() if e["requestId"] == result.record.hostup_request_id]
    assert result.record.created_at - parse_datetime(event["occurredAt"]) > timedelta(seconds=2.5)
    settle()

    run = services.events_import()

    assert run.outside_found == 0 and not HostupEvent.objects.get(id=event["id"]).outside_dashboard
    assert not jobs.rereads()


def test_an_outside_change_whose_event_has_no_success_field_is_flagged_by_its_status(trail_hostup, allocated_vps, jobs):
    # NOTES.md: nullable fields may be absent; HostUp's status below 400 still says the change was made.
    trail_hostup.add_audit_event(
        {
            "occurredAt": (timezone.now() - timedelta(minutes=1)).isoformat(),
            "method": "DELETE",
            "path": f"/api/v2/vps/{allocated_vps}/routed-ipv6",
            "endpoint": "/api/v2/vps/{id}/routed-ipv6",
            "action": "routed_ipv6.release",
            "statusCode": 200,
            "actorType": "staff",
            "actorId": "staff_7",
        }
    )

    run = services.events_import()

    (event,) = HostupEvent.objects.filter(vps_id=allocated_vps)
    assert event.success is None and event.outside_dashboard and run.outside_found == 1
    assert jobs.rereads() == [{"vps_id": allocated_vps}]


def test_an_outcome_the_state_check_settled_is_reconciled_but_told_to_the_webhooks_once(
    trail_hostup, operator, free_vps
):
    from hostup_dash.inventory.services.outcomes import OUTCOME_CHECKER, TOOK_EFFECT
    from hostup_dash.notifications.models import Delivery, Event
    from hostup_dash.notifications.services import webhook_create

    webhook_create(url="https://hooks.example.net/ops", events=[Event.ACTION_SUCCEEDED], actor=None, via="test")
    _timed_out_allocate(trail_hostup, operator, free_vps)
    intent = AuditRecord.objects.get(action=Action.ALLOCATE, vps_id=free_vps, outcome=Outcome.PENDING)
    # What the worker's outcome check appends ten seconds later.
    audit.audit_follow_up_record(
        intent=intent,
        actor_name=OUTCOME_CHECKER,
        action=Action.RESOLVE_OUTCOME,
        outcome=Outcome.SUCCEEDED,
        problem_code=TOOK_EFFECT,
        problem_detail="HostUp shows an allocation: the allocation took effect.",
    )
    settle(timedelta(seconds=1.5))

    services.events_import()

    (reconcile,) = _reconciles()
    assert reconcile.intent == intent and reconcile.outcome == Outcome.SUCCEEDED
    told = [json.loads(bytes(d.payload)) for d in Delivery.objects.filter(event=Event.ACTION_SUCCEEDED)]
    assert [body["vps_id"] for body in told if body["vps_id"] == free_vps] == [free_vps]
