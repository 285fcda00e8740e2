"""Exports: the current filter as CSV or JSON Lines, streamed, for auditors and admins, audited."""

import csv
import io
import json

import pytest
from django.urls import reverse

from hostup_dash.audit.models import AuditRecord
from tests.audit.test_audit_list import record


def _body(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode()


@pytest.mark.django_db
def test_csv_export_of_the_current_filter(auditor_client):
    record(actor_name="admin", vps_name="keep-me")
    record(actor_name="operator", vps_name="leave-me")

    response = auditor_client.get(reverse("audit:audit-export-csv"), {"actor": "admin"})

    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *lines = _body(response).splitlines()
    assert header.startswith('# hostup-dash audit export; filter: {"actor": "admin"}; exported at ')
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
def test_each_export_is_audited(admin_client_role):
    admin_client_role.get(reverse("audit:audit-export-csv"), {"outcome": "failed"})

    exported = AuditRecord.objects.filter(action=AuditRecord.Action.EXPORT_AUDIT).get()
    assert exported.actor_name == "admin"
    assert exported.request_body == {"format": "csv", "filters": {"outcome": "failed"}}


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
