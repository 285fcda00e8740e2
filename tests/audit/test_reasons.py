"""Reasons and tickets in the audit log: in the hash, copied to outcomes, searchable, exported."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from hostup_dash.audit import services
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.errors import Refusal
from tests.audit.test_audit_list import _ids, record
from tests.audit.test_export import EXPORTS, _body, _rows

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


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"reason": "rack swap"}, ["swap-upper", "swap"]),  # words anywhere, any case
        ({"reason": "RACK SWAP"}, ["swap-upper", "swap"]),
        ({"ticket": "ops-1234"}, ["ticket"]),  # the whole ticket, any case
        ({"ticket": "OPS-12"}, []),
        ({"reason": "rack", "ticket": "OPS-1234"}, ["ticket"]),
    ],
)
def test_search_by_reason_and_ticket(auditor_client, params, expected):
    found = {
        "swap": record(reason="after the rack swap on Monday").id,
        "swap-upper": record(reason="RACK SWAP, second pass").id,
        "ticket": record(reason="rack move", ticket="OPS-1234").id,
    }
    record(reason="nothing to see")

    page = auditor_client.get(reverse("audit:audit-list"), params).content.decode()

    assert _ids(page) == [found[name] for name in expected]


def test_a_reason_search_shorter_than_three_characters_is_a_field_error(auditor_client):
    record(reason="ab")

    page = auditor_client.get(reverse("audit:audit-list"), {"reason": "ab"}).content.decode()

    assert "Search the reason for at least 3 characters." in page


def test_reason_search_keeps_keyset_paging(auditor_client):
    ids = [record(reason=f"planned maintenance {number}").id for number in range(5)]
    record(reason="other")

    first = auditor_client.get(reverse("audit:audit-list"), {"reason": "maintenance"})
    assert _ids(first.content.decode())[:5] == ids[::-1]
    with_size = auditor_client.get(reverse("audit:audit-list"), {"reason": "maintenance", "before": ids[2]})
    assert _ids(with_size.content.decode()) == [ids[1], ids[0]]


def test_list_and_detail_show_reason_and_ticket(auditor_client):
    shown = record(reason="customer asked <b>now</b>", ticket="OPS-55")

    listing = auditor_client.get(reverse("audit:audit-list")).content.decode()
    detail = auditor_client.get(reverse("audit:audit-detail", args=[shown.id])).content.decode()

    for page in (listing, detail):
        assert "customer asked &lt;b&gt;now&lt;/b&gt;" in page and "OPS-55" in page


@pytest.mark.parametrize("name", EXPORTS)
def test_both_exports_carry_reason_and_ticket(auditor_client, name):
    record(reason="=HYPERLINK(evil)", ticket="OPS-8")

    rows = _rows(name, _body(auditor_client.get(reverse(name), {"ticket": "ops-8"})))

    (row,) = rows
    # The CSV defuses text a spreadsheet would run as a formula.
    expected = "'=HYPERLINK(evil)" if name.endswith("csv") else "=HYPERLINK(evil)"
    assert (row["reason"], row["ticket"]) == (expected, "OPS-8")


def test_the_jsonl_export_carries_the_change_request_and_verifies_offline(auditor_client, tmp_path):
    record(reason="why", ticket="OPS-1", change_request_id=12)
    record()

    body = _body(auditor_client.get(reverse("audit:audit-export-jsonl")))

    lines = [json.loads(line) for line in body.splitlines()[1:]]
    (why,) = [line for line in lines if line["reason"] == "why"]
    assert (why["ticket"], why["change_request_id"]) == ("OPS-1", 12)
    assert {line["change_request_id"] for line in lines if line is not why} == {None}
    from hostup_dash.checkpoints.offline import _record_hash

    assert all(_record_hash(line) == line["hash"] for line in lines)
    altered = {**why, "reason": "another story"}
    assert _record_hash(altered) != altered["hash"]
