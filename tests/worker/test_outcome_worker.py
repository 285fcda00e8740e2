"""A real worker resolves unknown outcomes: it reads what HostUp shows and appends a follow-up record."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.clients import hostup_client
from hostup_dash.inventory.models import VpsSnapshot
from hostup_dash.inventory.services import outcomes
from hostup_dash.inventory.tasks import ACTIONS_QUEUE
from tests.factories import pick_vps, synced
from tests.worker.harness import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome


@pytest.fixture
def free_vps(hostup) -> str:
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    return vps_id


@pytest.fixture
def quick_first_check(monkeypatch):
    """The first check a second or two after the action (the deferral happens in this process)."""
    monkeypatch.setattr(outcomes, "FIRST_CHECK_DELAY_S", 2)


def _allocate(client, vps_id: str):
    return client.post(reverse("inventory:ipv6-allocate", args=[vps_id]), HTTP_HX_REQUEST="true")


def _follow_up(vps_id: str) -> AuditRecord | None:
    return AuditRecord.objects.filter(vps_id=vps_id, action=Action.RESOLVE_OUTCOME).first()


def _prefix_shown(vps_id: str) -> str:
    client = hostup_client()
    try:
        active = client.get_routed_ipv6(vps_id).active_allocation
    finally:
        client.close()
    return active.prefix if active else ""


def test_worker_resolves_a_timed_out_allocate_that_went_through(
    hostup, settings, start_worker, operator_client, free_vps, quick_first_check
):
    start_worker(queues=[ACTIONS_QUEUE])
    settings.HOSTUP_TIMEOUT = 0.3
    hostup.config.latency_ms = 1000  # the POST times out here; HostUp allocates a second later

    assert _allocate(operator_client, free_vps).status_code == 504
    hostup.config.latency_ms = 0
    record = wait_for(lambda: _follow_up(free_vps), timeout=30)

    intent = AuditRecord.objects.get(vps_id=free_vps, action=Action.ALLOCATE, outcome=Outcome.PENDING)
    prefix = _prefix_shown(free_vps)
    assert (record.intent_id, record.outcome, record.problem_code) == (intent.id, Outcome.SUCCEEDED, "took_effect")
    assert record.result_prefix == prefix
    assert record.problem_detail.startswith(f"HostUp shows {prefix} allocated at ")
    assert record.problem_detail.endswith(" UTC: the allocation took effect.")
    assert VpsSnapshot.objects.get(vps_id=free_vps).routed_prefix == prefix


def test_worker_says_an_allocate_lost_at_the_gateway_did_not_take_effect(
    hostup, start_worker, operator_client, free_vps, quick_first_check
):
    start_worker(queues=[ACTIONS_QUEUE])
    hostup.fail_next("bad_gateway", path_prefix=f"/api/v2/vps/{free_vps}")

    assert _allocate(operator_client, free_vps).status_code == 502
    record = wait_for(lambda: _follow_up(free_vps), timeout=30)

    assert record.problem_code == outcomes.NOT_TAKEN
    assert record.problem_detail == "HostUp shows no active prefix: the allocation did not take effect."


def test_worker_backs_off_while_hostup_cannot_be_read_then_resolves(
    hostup, start_worker, operator_client, free_vps, quick_first_check
):
    start_worker(queues=[ACTIONS_QUEUE])
    hostup.fail_next("bad_gateway", path_prefix=f"/api/v2/vps/{free_vps}")  # the POST
    hostup.fail_next("unavailable", path_prefix=f"/api/v2/vps/{free_vps}")  # the first check's read
    _allocate(operator_client, free_vps)

    retry = wait_for(
        lambda: ProcrastinateJob.objects.filter(
            task_name=outcomes.OUTCOME_RESOLVE_TASK, status="todo", args__attempt=2
        ).first(),
        timeout=30,
    )

    assert _follow_up(free_vps) is None
    wait = retry.scheduled_at - timezone.now()
    assert timedelta(seconds=outcomes.RETRY_DELAYS_S[0] - 10) < wait <= timedelta(seconds=outcomes.RETRY_DELAYS_S[0])
    with connection.cursor() as cursor:  # the back-off has passed
        cursor.execute("UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = %s", [retry.id])
    record = wait_for(lambda: _follow_up(free_vps), timeout=30)
    assert record.problem_code == outcomes.NOT_TAKEN


def test_worker_resolves_an_intent_left_without_outcome_found_by_the_sweep(
    hostup, start_worker, make_user, free_vps, monkeypatch
):
    start_worker(queues=[ACTIONS_QUEUE])
    intent = audit.audit_intent_record(
        actor=make_user("operator"),
        action=Action.ALLOCATE,
        vps_id=free_vps,
        vps_name="",
        request_body={"action": "allocate"},
        client_ip=None,
    )
    client = hostup_client()
    client.allocate_routed_ipv6(free_vps)  # it reached HostUp; then the process died
    client.close()
    monkeypatch.setattr(outcomes, "ORPHAN_AFTER_TIMEOUTS", 0)

    assert outcomes.outcome_sweep() == 1
    record = wait_for(lambda: _follow_up(free_vps), timeout=30)

    assert (record.intent_id, record.problem_code) == (intent.id, outcomes.TOOK_EFFECT)
    assert record.result_prefix == _prefix_shown(free_vps)
