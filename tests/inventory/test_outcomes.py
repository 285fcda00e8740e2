"""Unknown outcomes resolved (services/outcomes.py), in process: the follow-up record, its words, its pacing.

tests/worker/test_outcome_worker.py runs the same checks on a real worker.
"""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.clients import hostup_client
from hostup_dash.core.locks import lock_key
from hostup_dash.hostup import HostupError
from hostup_dash.inventory import services
from hostup_dash.inventory.models import RateBudget, VpsSnapshot
from hostup_dash.inventory.services import outcomes
from hostup_dash.inventory.services.budget import BUDGET_KEY
from tests.factories import pick_vps, synced

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome


@pytest.fixture
def free_vps(hostup) -> str:
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    return vps_id


@pytest.fixture
def operator(make_user):
    return make_user("operator")


def _lost_at_the_gateway(hostup, vps_id: str, action) -> AuditRecord:
    """Run an action whose answer HostUp's gateway loses (502: outcome unknown); returns its intent."""
    hostup.fail_next("bad_gateway", path_prefix=f"/api/v2/vps/{vps_id}")
    with pytest.raises(HostupError):
        action()
    return AuditRecord.objects.filter(vps_id=vps_id, outcome=Outcome.PENDING).latest("id")


def _orphan_intent(actor, *, action: str, vps_id: str) -> AuditRecord:
    """An intent whose process died before it could record the outcome."""
    return audit.audit_intent_record(
        actor=actor, action=action, vps_id=vps_id, vps_name="", request_body={}, client_ip=None
    )


def _checks_waiting() -> list[dict]:
    return list(
        ProcrastinateJob.objects.filter(task_name=outcomes.OUTCOME_RESOLVE_TASK, status="todo").values(
            "args", "scheduled_at"
        )
    )


def _state_reads(hostup, vps_id: str) -> int:
    return len(hostup.calls_to("GET", f"/api/v2/vps/{vps_id}/routed-ipv6"))


@pytest.mark.django_db
def test_an_unknown_outcome_queues_a_check_after_a_short_delay(hostup, operator, free_vps):
    intent = _lost_at_the_gateway(hostup, free_vps, lambda: services.ipv6_allocate(actor=operator, vps_id=free_vps))

    [check] = _checks_waiting()

    assert check["args"] == {"intent_id": intent.id, "attempt": 1}
    delay = (check["scheduled_at"] - timezone.now()).total_seconds()
    assert outcomes.FIRST_CHECK_DELAY_S - 2 < delay <= outcomes.FIRST_CHECK_DELAY_S


@pytest.mark.django_db
def test_a_second_check_of_one_intent_is_not_queued_while_one_waits(hostup, operator, free_vps):
    intent = _orphan_intent(operator, action=Action.ALLOCATE, vps_id=free_vps)

    assert outcomes.outcome_check_queue(intent_id=intent.id) is True
    assert outcomes.outcome_check_queue(intent_id=intent.id) is False
    assert len(_checks_waiting()) == 1


@pytest.mark.django_db
def test_the_follow_up_says_an_allocate_lost_at_the_gateway_did_not_take_effect(hostup, operator, free_vps):
    intent = _lost_at_the_gateway(hostup, free_vps, lambda: services.ipv6_allocate(actor=operator, vps_id=free_vps))

    record = outcomes.outcome_resolve(intent_id=intent.id)

    assert (record.action, record.outcome, record.intent_id) == (Action.RESOLVE_OUTCOME, Outcome.SUCCEEDED, intent.id)
    assert record.problem_code == outcomes.NOT_TAKEN
    assert record.problem_detail == "HostUp shows no active prefix: the allocation did not take effect."
    assert (record.actor_name, record.vps_id) == (outcomes.OUTCOME_CHECKER, free_vps)
    assert VpsSnapshot.objects.get(vps_id=free_vps).state_checked_at is not None


@pytest.mark.django_db
def test_a_second_check_of_a_resolved_intent_appends_nothing(hostup, operator, free_vps):
    intent = _lost_at_the_gateway(hostup, free_vps, lambda: services.ipv6_allocate(actor=operator, vps_id=free_vps))
    outcomes.outcome_resolve(intent_id=intent.id)
    reads = _state_reads(hostup, free_vps)

    assert outcomes.outcome_resolve(intent_id=intent.id) is None
    assert AuditRecord.objects.filter(intent=intent, action=Action.RESOLVE_OUTCOME).count() == 1
    assert _state_reads(hostup, free_vps) == reads


@pytest.mark.django_db
def test_the_follow_up_leaves_the_original_records_as_they_were(hostup, operator, free_vps):
    intent = _lost_at_the_gateway(hostup, free_vps, lambda: services.ipv6_allocate(actor=operator, vps_id=free_vps))
    before = [model_to_dict(record) | {"hash": record.hash} for record in AuditRecord.objects.order_by("id")]

    outcomes.outcome_resolve(intent_id=intent.id)

    after = [model_to_dict(record) | {"hash": record.hash} for record in AuditRecord.objects.order_by("id")]
    assert after[: len(before)] == before and len(after) == len(before) + 1
    assert "chain intact" in call_command("audit_verify", stdout=StringIO())


@pytest.mark.django_db
def test_the_follow_up_of_a_refresh_names_the_next_hop_it_did_not_reach(hostup, operator):
    client = hostup_client()
    stale = next(vps for vps in hostup.vps_ids() if client.get_routed_ipv6(vps).is_next_hop_stale)
    state = client.get_routed_ipv6(stale)
    client.close()
    synced(hostup)
    intent = _lost_at_the_gateway(hostup, stale, lambda: services.ipv6_next_hop_refresh(actor=operator, vps_id=stale))

    record = outcomes.outcome_resolve(intent_id=intent.id)

    active = state.active_allocation
    assert record.problem_code == outcomes.NOT_TAKEN
    assert record.problem_detail == (
        f"HostUp shows {active.prefix} routed to {active.next_hop}, not to the suggested "
        f"{state.suggested_next_hop}: the next-hop refresh did not take effect."
    )
    assert (record.result_prefix, record.result_next_hop) == (active.prefix, active.next_hop)


@pytest.mark.django_db
def test_the_follow_up_of_a_release_that_went_through_says_it_took_effect(hostup, make_user):
    vps_id = pick_vps(hostup, allocated=True)
    synced(hostup)
    intent = _orphan_intent(make_user("admin"), action=Action.RELEASE, vps_id=vps_id)
    client = hostup_client()
    client.release_routed_ipv6(vps_id)  # it reached HostUp; then the process died
    client.close()

    record = outcomes.outcome_resolve(intent_id=intent.id)

    assert record.problem_code == outcomes.TOOK_EFFECT
    assert " released at " in record.problem_detail
    assert record.problem_detail.endswith(": the release took effect.")
    assert record.result_prefix == ""


@pytest.mark.django_db
def test_the_last_failed_check_records_that_the_outcome_could_not_be_checked(hostup, operator, free_vps):
    intent = _orphan_intent(operator, action=Action.ALLOCATE, vps_id=free_vps)
    hostup.fail_next("unavailable", path_prefix=f"/api/v2/vps/{free_vps}")
    last = len(outcomes.RETRY_DELAYS_S) + 1

    record = outcomes.outcome_resolve(intent_id=intent.id, attempt=last)

    assert (record.outcome, record.problem_code, record.http_status) == (Outcome.FAILED, outcomes.NOT_CHECKED, 503)
    assert record.problem_detail.startswith(
        f"HostUp could not be read in {last} tries: whether the allocation took effect is still unknown."
    )
    assert _checks_waiting() == []


@pytest.mark.django_db
def test_a_check_waits_for_the_shared_budget_without_calling_hostup(hostup, operator, free_vps):
    RateBudget.objects.update_or_create(
        key=BUDGET_KEY, defaults={"limit": 10, "remaining": 0, "resets_at": timezone.now() + timedelta(seconds=20)}
    )
    intent = _orphan_intent(operator, action=Action.ALLOCATE, vps_id=free_vps)

    assert outcomes.outcome_resolve(intent_id=intent.id, attempt=2) is None

    assert _state_reads(hostup, free_vps) == 0
    [check] = _checks_waiting()
    assert check["args"] == {"intent_id": intent.id, "attempt": 2}
    assert 15 < (check["scheduled_at"] - timezone.now()).total_seconds() <= 21


@pytest.mark.django_db
def test_the_sweep_records_an_orphan_intent_as_unknown_in_words_and_checks_it(hostup, operator, free_vps, monkeypatch):
    intent = _orphan_intent(operator, action=Action.ALLOCATE, vps_id=free_vps)
    monkeypatch.setattr(outcomes, "ORPHAN_AFTER_TIMEOUTS", 0)

    assert outcomes.outcome_sweep() == 1
    assert outcomes.outcome_sweep() == 0  # its check is already waiting; no second unknown record

    [outcome] = AuditRecord.objects.filter(intent=intent)
    assert (outcome.outcome, outcome.problem_code) == (Outcome.UNKNOWN, outcomes.WORKER_STOPPED)
    assert outcomes.WORKER_STOPPED_DETAIL in outcome.problem_detail
    assert [check["args"] for check in _checks_waiting()] == [{"intent_id": intent.id, "attempt": 1}]


@pytest.mark.django_db
def test_the_sweep_leaves_an_intent_that_may_still_be_in_flight(hostup, operator, free_vps):
    _orphan_intent(operator, action=Action.ALLOCATE, vps_id=free_vps)

    assert outcomes.outcome_sweep() == 0


@pytest.mark.django_db
def test_the_sweep_skips_intents_whose_outcome_is_known(hostup, operator, free_vps, monkeypatch):
    monkeypatch.setattr(outcomes, "ORPHAN_AFTER_TIMEOUTS", 0)
    services.ipv6_allocate(actor=operator, vps_id=free_vps)

    assert outcomes.outcome_sweep() == 0


@pytest.mark.django_db
def test_the_sweep_finds_an_unknown_outcome_whose_check_was_never_queued(hostup, operator, free_vps, monkeypatch):
    intent = _lost_at_the_gateway(hostup, free_vps, lambda: services.ipv6_allocate(actor=operator, vps_id=free_vps))
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")  # as if the job table had been unreachable
    monkeypatch.setattr(outcomes, "ORPHAN_AFTER_TIMEOUTS", 0)

    assert outcomes.outcome_sweep() == 1
    assert [check["args"] for check in _checks_waiting()] == [{"intent_id": intent.id, "attempt": 1}]


@pytest.mark.django_db(transaction=True)
def test_an_unknown_outcome_is_answered_even_when_the_check_cannot_be_queued(hostup, operator_client, free_vps):
    hostup.fail_next("bad_gateway", path_prefix=f"/api/v2/vps/{free_vps}")
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE procrastinate_jobs RENAME TO procrastinate_jobs_away")
    try:
        response = operator_client.post(reverse("inventory:ipv6-allocate", args=[free_vps]), HTTP_HX_REQUEST="true")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE procrastinate_jobs_away RENAME TO procrastinate_jobs")

    assert response.status_code == 502
    assert "outcome is unknown" in response.content.decode()
    assert AuditRecord.objects.filter(vps_id=free_vps, outcome=Outcome.UNKNOWN).exists()


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_an_intent_whose_action_still_holds_its_lock(hostup, operator, free_vps, monkeypatch):
    intent = _orphan_intent(operator, action=Action.ALLOCATE, vps_id=free_vps)
    monkeypatch.setattr(outcomes, "ORPHAN_AFTER_TIMEOUTS", 0)
    holder = connections.create_connection("default")  # the web process still waiting on HostUp
    try:
        with holder.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [lock_key(f"vps-action:{free_vps}")])
        assert outcomes.outcome_sweep() == 0
    finally:
        holder.close()

    assert not AuditRecord.objects.filter(intent=intent).exists()
