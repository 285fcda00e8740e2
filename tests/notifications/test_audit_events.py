"""Audit records become events: each delivery row commits with the record it tells of."""

import json

import pytest
from django.db import connection

from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from hostup_dash.hostup import HostupError
from hostup_dash.inventory import services as inventory
from hostup_dash.inventory.services.outcomes import NOT_TAKEN, TOOK_EFFECT
from hostup_dash.notifications.models import Delivery
from tests.factories import pick_vps, synced

pytestmark = pytest.mark.django_db
Action = AuditRecord.Action


def _bodies() -> list[dict]:
    return [json.loads(bytes(payload)) for payload in Delivery.objects.order_by("id").values_list("payload", flat=True)]


def _intent(make_user, action: str, *, vps_id: str = "vps-1", vps_name: str = "web-1", **fields) -> AuditRecord:
    return audit.audit_intent_record(
        actor=make_user("operator"),
        action=action,
        vps_id=vps_id,
        vps_name=vps_name,
        request_body={},
        client_ip=None,
        **fields,
    )


@pytest.fixture
def free_vps(hostup) -> str:
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    return vps_id


def test_a_succeeded_allocate_is_action_succeeded_with_a_link(settings, webhook_for, make_user, free_vps):
    settings.DASHBOARD_URL = "https://dash.example"
    webhook_for("action.succeeded,action.failed")
    operator = make_user("operator")

    result = inventory.ipv6_allocate(actor=operator, vps_id=free_vps)

    [body] = _bodies()  # the intent record told of nothing
    record = result.record
    assert body["event"] == "action.succeeded" and body["audit_record"] == record.id
    assert (body["actor"], body["action"], body["outcome"]) == ("operator", "allocate", "succeeded")
    assert (body["vps_id"], body["vps_name"]) == (free_vps, record.vps_name)
    assert body["link"] == f"https://dash.example/vps/{free_vps}/"
    assert body["text"] == (
        f"Allocate on {record.vps_name} ({free_vps}) by operator succeeded: {record.result_prefix}. "
        f"https://dash.example/vps/{free_vps}/"
    )


def test_a_failed_allocate_is_action_failed_with_the_problem(hostup, webhook_for, make_user, free_vps):
    webhook_for("action.failed")
    hostup.fail_next("conflict", path_prefix=f"/api/v2/vps/{free_vps}/routed-ipv6")
    with pytest.raises(HostupError):
        inventory.ipv6_allocate(actor=make_user("operator"), vps_id=free_vps)
    [body] = _bodies()
    assert body["event"] == "action.failed" and body["outcome"] == "failed"
    assert AuditRecord.objects.get(pk=body["audit_record"]).problem_detail in body["text"]


def test_an_unanswered_allocate_is_action_unknown(hostup, webhook_for, make_user, free_vps):
    webhook_for("action.unknown")
    hostup.fail_next("bad_gateway", count=5, path_prefix=f"/api/v2/vps/{free_vps}/routed-ipv6")
    with pytest.raises(HostupError):
        inventory.ipv6_allocate(actor=make_user("operator"), vps_id=free_vps)
    [body] = _bodies()
    assert body["event"] == "action.unknown" and "unknown outcome" in body["text"]


def test_a_refused_release_tells_of_nothing(webhook_for, make_user):
    webhook_for()
    refused = Refusal(code="not_confirmed", title="Not confirmed", status=400)
    audit.audit_refusal_record(
        actor=make_user("admin"), action=Action.RELEASE, vps_id="vps-1", client_ip=None, problem=refused
    )
    assert AuditRecord.objects.filter(outcome=AuditRecord.Outcome.REFUSED).exists()
    assert not Delivery.objects.exists()


def test_the_reason_and_ticket_are_in_the_body_and_the_text(webhook_for, make_user):
    webhook_for("action.succeeded")
    intent = _intent(make_user, Action.REFRESH_NEXT_HOP, reason="router swap", ticket="OPS-7")
    audit.audit_outcome_record(intent=intent, outcome=AuditRecord.Outcome.SUCCEEDED, duration_ms=5)
    [body] = _bodies()
    assert (body["reason"], body["ticket"]) == ("router swap", "OPS-7")
    assert "succeeded. Reason: router swap, OPS-7. http" in body["text"]


def test_a_hostile_reason_or_vps_name_can_neither_ping_a_room_nor_hide_a_link(settings, webhook_for, make_user):
    settings.DASHBOARD_URL = "https://dash.example.net"
    webhook_for("action.succeeded")
    hostile = "see [https://dash.example.net/vps/vps-1/](https://evil.example/login) @channel"
    intent = _intent(make_user, Action.REFRESH_NEXT_HOP, vps_name="@here web-1", reason=hostile)
    audit.audit_outcome_record(intent=intent, outcome=AuditRecord.Outcome.SUCCEEDED, duration_ms=5)
    [body] = _bodies()
    # Mattermost renders Markdown: "[words](url)" would show the dashboard's address and lead elsewhere.
    assert "](" not in body["text"] and "]\u200b(https://evil.example/login)" in body["text"]
    assert "@here" not in body["text"] and "@channel" not in body["text"]
    assert body["link"].startswith("https://dash.example.net/") and body["text"].endswith(" " + body["link"])
    assert body["reason"] == intent.reason  # the JSON field keeps what was written


def _change_record(action: str, **fields) -> AuditRecord:
    return audit.audit_change_record(
        actor=fields.pop("actor", None),
        action=action,
        change_request_id=fields.pop("change_request_id", 5),
        vps_id="vps-1",
        vps_name="web-1",
        request_body={"action": "release", "requested_by": "alice"},
        client_ip=None,
        reason="decommission",
        **fields,
    )


def test_a_change_request_is_approval_requested_linking_to_it(settings, webhook_for, make_user):
    settings.DASHBOARD_URL = "https://dash.example/"
    webhook_for("approval.requested")
    _change_record(Action.CHANGE_REQUEST, actor=make_user("admin", "alice"))
    [body] = _bodies()
    assert body["event"] == "approval.requested" and body["reason"] == "decommission"
    assert body["link"] == "https://dash.example/approvals/5/"
    assert body["text"] == (
        "alice asks for approval to release on web-1 (vps-1). Reason: decommission. https://dash.example/approvals/5/"
    )


@pytest.mark.parametrize(
    ("action", "decision"),
    [(Action.CHANGE_APPROVE, "approved"), (Action.CHANGE_REJECT, "rejected"), (Action.CHANGE_EXPIRE, "expired")],
)
def test_a_decision_is_approval_decided(webhook_for, make_user, action, decision):
    webhook_for("approval.decided")
    actor = make_user("admin", "bob") if action != Action.CHANGE_EXPIRE else None
    _change_record(action, actor=actor)
    [body] = _bodies()
    assert body["event"] == "approval.decided" and body["outcome"] == decision
    assert body["text"].startswith(f"The request of alice to release on web-1 (vps-1) was {decision}")


def test_an_emergency_change_and_a_break_glass_login_are_break_glass(webhook_for, make_user):
    webhook_for("break_glass")
    _change_record(Action.BREAK_GLASS, actor=make_user("admin", "carol"), change_request_id=None)
    audit.audit_auth_record(action=Action.LOGIN_BREAK_GLASS, username="carol", actor=None, client_ip="10.0.0.1")
    emergency, login = _bodies()
    assert emergency["event"] == login["event"] == "break_glass"
    assert emergency["text"].startswith("carol made an emergency change (release) on web-1 (vps-1) without approval.")
    assert login["text"].startswith("carol logged in with a break-glass account")


def test_records_of_no_event_tell_of_nothing(webhook_for, make_user):
    webhook_for()
    user = make_user("viewer")
    audit.audit_auth_record(action=Action.LOGIN, username="viewer", actor=user, client_ip=None)
    assert not Delivery.objects.exists()


def test_a_failure_to_queue_never_fails_the_audit_record(webhook_for, make_user):
    webhook_for("break_glass")
    with connection.cursor() as cursor:  # as if the outbox were unwritable
        cursor.execute("ALTER TABLE notifications_delivery ADD CONSTRAINT refuse_all CHECK (false)")
    record = _change_record(Action.BREAK_GLASS, actor=make_user("admin"), change_request_id=None)
    assert AuditRecord.objects.filter(pk=record.pk).exists()
    assert not Delivery.objects.exists()


@pytest.mark.parametrize("outcome", ["succeeded", "failed"])
def test_an_unknown_outcome_reconciled_from_hostups_log_is_that_outcome(webhook_for, make_user, outcome):
    webhook_for("action.succeeded,action.failed")
    intent = _intent(make_user, Action.ALLOCATE)
    audit.audit_follow_up_record(
        intent=intent, actor_name="hostup-log", action=Action.RECONCILE, outcome=outcome, problem_detail="In the log."
    )
    [body] = _bodies()
    assert (body["event"], body["action"], body["outcome"], body["actor"]) == (
        f"action.{outcome}",
        "allocate",
        outcome,
        "operator",
    )


@pytest.mark.parametrize(
    ("code", "event"), [(TOOK_EFFECT, "action.succeeded"), (NOT_TAKEN, "action.failed"), ("still_unknown", None)]
)
def test_the_workers_state_check_of_an_unknown_outcome_is_that_outcome(webhook_for, make_user, code, event):
    webhook_for()
    intent = _intent(make_user, Action.RELEASE)
    audit.audit_outcome_record(intent=intent, outcome=AuditRecord.Outcome.UNKNOWN, duration_ms=5)
    audit.audit_follow_up_record(
        intent=intent,
        actor_name="outcome checker",
        action=Action.RESOLVE_OUTCOME,
        outcome=AuditRecord.Outcome.SUCCEEDED,
        problem_code=code,
        problem_detail="HostUp shows no active prefix.",
    )
    bodies = _bodies()
    assert bodies[0]["event"] == "action.unknown"
    if event is None:  # a check that could not tell: nothing settled, nothing to tell
        assert len(bodies) == 1
        return
    [_, body] = bodies
    assert (body["event"], body["action"], body["actor"]) == (event, "release", "operator")
    assert "checked after an unknown outcome: HostUp shows no active prefix." in body["text"]


def test_an_account_pool_write_settled_from_hostups_log_names_no_vps(webhook_for, make_user):
    webhook_for("action.succeeded")
    intent = _intent(make_user, Action.POOL_ALLOCATE, vps_id="", vps_name="")
    audit.audit_follow_up_record(
        intent=intent, actor_name="hostup-log", action=Action.RECONCILE, outcome="succeeded", problem_detail="Logged."
    )
    [body] = _bodies()
    assert (body["action"], body["vps_id"]) == ("pool_allocate", "")
    assert body["text"].startswith("Allocate pool by operator, checked after an unknown outcome: Logged.")


def test_a_bulk_runs_item_is_an_action_event_like_a_single_one(webhook_for, make_user):
    webhook_for("action.succeeded")
    intent = _intent(make_user, Action.REFRESH_NEXT_HOP, bulk_run_id=7)
    audit.audit_outcome_record(intent=intent, outcome=AuditRecord.Outcome.SUCCEEDED, duration_ms=5)
    [body] = _bodies()
    assert (body["event"], body["vps_id"], body["action"]) == ("action.succeeded", "vps-1", "refresh_next_hop")
