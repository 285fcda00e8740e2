"""Reasons and tickets in the audit log: in the hash, copied to outcomes, searchable, exported."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from hostup_dash.audit import services
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from tests.audit.test_audit_list import record

pytestmark = pytest.mark.django_db


def _tamper(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE audit_auditrecord DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditrecord ENABLE TRIGGER USER")


def test_a_record_without_reason_hashes_as_records_did_before_reasons():
    plain = AuditRecord(actor_name="alice", action="login", outcome="succeeded", prev_hash="0" * 64)

    content = plain.canonical_content()

    assert "reason" not in content and "ticket" not in content and "change_request_id" not in content


def test_reason_ticket_and_change_request_are_in_the_hash():
    fields = {"actor_name": "alice", "action": "release", "outcome": "succeeded", "prev_hash": "0" * 64}
    plain = AuditRecord(**fields).compute_hash()

    for extra in ({"reason": "x"}, {"ticket": "OPS-1"}, {"change_request_id": 7}):
        assert AuditRecord(**fields, **extra).compute_hash() != plain


@pytest.mark.parametrize(("column", "value"), [("reason", "a different story"), ("ticket", "OPS-9999")])
def test_an_altered_reason_or_ticket_is_caught(column, value):
    record()
    victim = record(reason="planned maintenance", ticket="OPS-1234")
    record()
    assert call_command("audit_verify", stdout=StringIO()) == "3 records, chain intact"

    _tamper(f"UPDATE audit_auditrecord SET {column} = %s WHERE id = %s", [value, victim.id])

    with pytest.raises(CommandError, match=f"#{victim.id}: its content does not match its hash"):
        call_command("audit_verify", stdout=StringIO())


def test_outcome_copies_the_intents_reason_ticket_and_change_request(make_user):
    actor = make_user("operator")
    intent = services.audit_intent_record(
        actor=actor,
        action="release",
        vps_id="vps_" + "a" * 26,
        vps_name="web-001",
        request_body={},
        client_ip=None,
        reason="decommissioning",
        ticket="OPS-42",
        change_request_id=5,
    )

    outcome = services.audit_outcome_record(intent=intent, outcome="succeeded", duration_ms=3)

    assert (outcome.reason, outcome.ticket, outcome.change_request_id) == ("decommissioning", "OPS-42", 5)


def test_refusal_carries_reason_and_ticket(make_user):
    refusal = services.audit_refusal_record(
        actor=make_user("operator"),
        action="release",
        client_ip=None,
        problem=Refusal(code="test", title="Refused", detail="No."),
        reason="why",
        ticket="OPS-1",
    )

    refusal.refresh_from_db()
    assert (refusal.reason, refusal.ticket, refusal.change_request_id) == ("why", "OPS-1", None)
    assert refusal.compute_hash() == refusal.hash
