"""Exports: the current filter as CSV or JSON Lines, streamed, for auditors and admins, audited."""

import csv
import io
import json
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone

from hostup_dash.audit import selectors
from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.services import EXPORT_ABANDONED, EXPORT_FAILED
from tests.audit.test_audit_list import record

Outcome = AuditRecord.Outcome
EXPORTS = ["audit:audit-export-csv", "audit:audit-export-jsonl"]


def _body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


def _rows(name: str, body: str) -> list[dict]:
    """The records of an export, read as an auditor's tools read it."""
    if name == "audit:audit-export-csv":
        return list(csv.DictReader(io.StringIO("".join(body.splitlines(keepends=True)[1:]))))
    return [json.loads(line) for line in body.splitlines()[1:]]


def _export_records() -> list[AuditRecord]:
    return list(AuditRecord.objects.filter(action=AuditRecord.Action.EXPORT_AUDIT).order_by("id"))


@pytest.mark.django_db
def test_csv_export_of_the_current_filter(auditor_client):
    record(actor_name="admin", vps_name="keep-me")
    record(actor_name="operator", vps_name="leave-me")

    response = auditor_client.get(reverse("audit:audit-export-csv"), {"actor": "admin"})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    first, *lines = _body(response).splitlines()
    assert next(csv.reader([first]))[:2] == ["# hostup-dash audit export", 'filter: {"actor": "admin"}']
    assert next(csv.reader([first]))[2].startswith("exported at ")
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    assert [row["vps_name"] for row in rows] == ["keep-me"]
    assert rows[0]["hash"] and rows[0]["prev_hash"]


@pytest.mark.django_db
def test_jsonl_export(auditor_client):
    record(vps_name="one", request_body={"action": "allocate"})

    lines = _body(auditor_client.get(reverse("audit:audit-export-jsonl"), {"vps": "one"})).splitlines()

    header = json.loads(lines[0])
    assert header["filter"] == {"vps": "one"} and header["exported_at"]
    (row,) = [json.loads(line) for line in lines[1:]]
    assert row["vps_name"] == "one" and row["request_body"] == {"action": "allocate"}


@pytest.mark.django_db
def test_each_export_is_audited_before_it_streams(admin_client_role):
    admin_client_role.get(reverse("audit:audit-export-csv"), {"outcome": "failed"})

    (intent,) = _export_records()
    assert (intent.actor_name, intent.outcome) == ("admin", Outcome.PENDING)
    assert intent.request_body == {"format": "csv", "filters": {"outcome": "failed"}}


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXPORTS)
def test_a_finished_export_records_succeeded_with_its_row_count(auditor_client, name):
    record(vps_name="counted")
    record(vps_name="counted")

    _body(auditor_client.get(reverse(name), {"vps": "counted"}))

    intent, outcome = _export_records()
    assert (outcome.intent, outcome.outcome, outcome.actor_name) == (intent, Outcome.SUCCEEDED, "auditor")
    assert outcome.request_body == intent.request_body | {"rows": 2}


@pytest.mark.django_db(transaction=True)  # the server's close runs the end-of-request signal, as in production
@pytest.mark.parametrize("name", EXPORTS)
def test_an_export_the_client_stops_reading_records_unknown(auditor_client, name):
    record()
    response = auditor_client.get(reverse(name))

    next(iter(response.streaming_content))
    response.close()  # what the server does when the client goes away

    intent, outcome = _export_records()
    assert (outcome.intent, outcome.outcome, outcome.problem_detail) == (intent, Outcome.UNKNOWN, EXPORT_ABANDONED)
    assert "rows" not in outcome.request_body


def _rows_then_a_lost_connection(filters, real=selectors.audit_export_rows):
    yield from real(filters)
    raise DatabaseError("connection lost")


@pytest.mark.django_db
def test_an_export_that_breaks_records_failed(auditor_client):
    record()
    # One seam, patched with autospec: the database going away in the middle of a stream.
    rows = "hostup_dash.audit.selectors.audit_export_rows"
    with mock.patch(rows, autospec=True, side_effect=_rows_then_a_lost_connection):
        response = auditor_client.get(reverse("audit:audit-export-jsonl"))
        with pytest.raises(DatabaseError):
            _body(response)

    intent, outcome = _export_records()
    assert (outcome.intent, outcome.outcome, outcome.problem_detail) == (intent, Outcome.FAILED, EXPORT_FAILED)


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXPORTS)
def test_an_export_that_matches_nothing_is_complete_and_empty(auditor_client, name):
    record()
    tomorrow = timezone.now().date() + timedelta(days=1)

    body = _body(auditor_client.get(reverse(name), {"date_from": tomorrow.isoformat()}))

    assert len(body.splitlines()) == (2 if name == "audit:audit-export-csv" else 1)
    assert _rows(name, body) == []
    assert _export_records()[-1].request_body["rows"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXPORTS)
def test_a_date_out_of_range_exports_without_that_filter(auditor_client, name):
    record(vps_name="kept")

    body = _body(auditor_client.get(reverse(name), {"date_to": "9999-12-31"}))

    assert [row["vps_name"] for row in _rows(name, body) if row["action"] == "allocate"] == ["kept"]


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["x,=2+5,y", "x,=cmd|' /C calc'!A0,y", 'x",@SUM(1)," -1'])
@pytest.mark.parametrize("field", ["vps", "actor"])
def test_filter_values_in_the_first_line_cannot_run_as_formulas(auditor_client, field, value):
    body = _body(auditor_client.get(reverse("audit:audit-export-csv"), {field: value}))

    first_row = next(csv.reader(io.StringIO(body)))
    assert first_row[0] == "# hostup-dash audit export"
    assert not [cell for cell in first_row if re.match(selectors.FORMULA_START, cell)]
    assert first_row[1] == f"filter: {json.dumps({field: value})}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["audit:audit-export-csv", "audit:audit-export-jsonl"])
@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_export_is_for_auditors_and_admins(role_client, role, name):
    response = role_client(role).get(reverse(name))

    assert response.status_code == 403
    assert AuditRecord.objects.filter(action=AuditRecord.Action.EXPORT_AUDIT, outcome="refused").count() == 1


@pytest.mark.django_db
def test_csv_cells_cannot_run_as_formulas(auditor_client):
    record(
        actor_name='=HYPERLINK("http://example.invalid","x")',
        vps_name="+1",
        problem_detail="-2",
        hostup_request_id="@3",
    )

    lines = _body(auditor_client.get(reverse("audit:audit-export-csv"), {"vps": "+1"})).splitlines()

    (row,) = csv.DictReader(io.StringIO("\n".join(lines[1:])))
    assert row["actor_name"] == '\'=HYPERLINK("http://example.invalid","x")'
    assert (row["vps_name"], row["problem_detail"], row["hostup_request_id"]) == ("'+1", "'-2", "'@3")
