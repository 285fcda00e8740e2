"""What people see of the trail: /audit/'s timeline of both sides and its source filter, the VPS page's
history, the list's badge and filter, the exports, and the words when HostUp's side is not imported."""

import csv
import io
import json
from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.urls import reverse
from django.utils import timezone

from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.selectors import CSV_COLUMNS
from hostup_dash.checkpoints import offline
from hostup_dash.inventory import services as inventory
from hostup_dash.trail import services
from hostup_dash.trail.models import EventImport, HostupEvent
from hostup_dash.trail.services.imports import SCOPE_MISSING
from tests.trail.conftest import settle

pytestmark = pytest.mark.django_db(transaction=True)
HOSTUP_LINE_FIELDS = {
    "hostup_event_id",
    "actor_type",
    "actor_id",
    "request_id",
    "path",
    "status_code",
    "success",
    "occurred_at",
    "outside_dashboard",
}


@pytest.fixture
def outside_release(trail_hostup, allocated_vps) -> HostupEvent:
    """HostUp staff released a VPS's prefix a minute ago, and the import has read it."""
    trail_hostup.outside_change(allocated_vps, "release", "staff", occurred_at=timezone.now() - timedelta(minutes=1))
    services.events_import()
    return HostupEvent.objects.get(outside_dashboard=True)


@pytest.fixture
def confirmed_allocate(trail_hostup, operator, free_vps) -> AuditRecord:
    """An allocate of ours, imported from HostUp's log with its request id."""
    record = inventory.ipv6_allocate(actor=operator, vps_id=free_vps).record
    settle()
    services.events_import()
    return record


def _body(response) -> str:
    return b"".join(response.streaming_content).decode()


def test_audit_shows_hostup_events_with_their_facts(auditor_client, outside_release):
    page = auditor_client.get(reverse("audit:audit-list")).content.decode()

    event = outside_release
    for shown in (event.id, event.actor_type, event.summary, event.path, str(event.status_code), event.request_id):
        assert shown in page
    assert "outside the dashboard" in page


def test_our_action_shows_confirmed_by_hostup(auditor_client, confirmed_allocate):
    event = HostupEvent.objects.get(request_id=confirmed_allocate.hostup_request_id)

    page = auditor_client.get(reverse("audit:audit-list")).content.decode()

    assert f'confirmed by HostUp <span class="mono">{event.id}</span>' in page


def test_the_source_filter_picks_a_side(auditor_client, confirmed_allocate, outside_release):
    ours = HostupEvent.objects.get(request_id=confirmed_allocate.hostup_request_id)
    url = reverse("audit:audit-list")

    def shown(source: str) -> tuple[bool, bool, bool]:
        page = auditor_client.get(url, {"source": source}).content.decode()
        record_shown = f'href="/audit/{confirmed_allocate.id}/"' in page
        return (record_shown, ours.id + "</td>" in page, outside_release.id in page)

    assert shown("") == (True, True, True)
    assert shown("dashboard") == (True, False, False)
    assert shown("hostup") == (False, True, True)
    assert shown("outside") == (False, False, True)


def test_timeline_pages_through_both_sides_newest_first(auditor_client, trail_hostup, allocated_vps, operator):
    now = timezone.now()
    for minutes in range(40):
        at = (now - timedelta(minutes=minutes + 1)).isoformat()
        trail_hostup.add_audit_event(
            {
                "occurredAt": at,
                "method": "POST",
                "path": f"/api/v2/vps/{allocated_vps}/routed-ipv6",
                "endpoint": "/api/v2/vps/{id}/routed-ipv6",
                "success": False,
                "statusCode": 409,
            }
        )
    services.events_import()
    for _ in range(30):
        inventory.ipv6_allocate(actor=operator, vps_id=allocated_vps)  # HostUp answers "already allocated"
    outcomes = AuditRecord.objects.filter(action="allocate").exclude(outcome="pending")
    events = HostupEvent.objects.all()
    expected = sorted(
        [(r.created_at, f"/audit/{r.id}/") for r in outcomes] + [(e.occurred_at, e.id) for e in events],
        reverse=True,
    )
    seen, query, pages = [], {"vps": allocated_vps}, 0
    while True:
        page = auditor_client.get(reverse("audit:audit-list"), query).content.decode()
        pages += 1
        seen += [key for _, key in expected if (f'href="{key}"' if key.startswith("/") else f">{key}<") in page]
        if "&amp;older=" not in page:
            break
        query = {"vps": allocated_vps, "older": unquote(page.split("&amp;older=")[1].split('"')[0])}
    assert seen == [key for _, key in expected] and pages == 2
    newer = unquote(page.split("&amp;newer=")[1].split('"')[0])  # back from the last page
    back = auditor_client.get(reverse("audit:audit-list"), {"vps": allocated_vps, "newer": newer}).content.decode()
    first_page = [key for _, key in expected][:50]
    assert [key for key in first_page if (f'href="{key}"' if key.startswith("/") else f">{key}<") in back] == first_page
    assert "&amp;newer=" not in back


def test_vps_page_history_marks_the_outside_change(operator_client, outside_release):
    page = operator_client.get(reverse("inventory:vps-history", args=[outside_release.vps_id])).content.decode()

    assert outside_release.id in page and "outside the dashboard" in page


def test_the_list_badges_and_filters_vpses_changed_outside(viewer_client, outside_release):
    everyone = viewer_client.get(reverse("inventory:vps-list")).content.decode()
    changed = viewer_client.get(reverse("inventory:vps-list"), {"state": "outside"}).content.decode()

    assert "changed outside</span>" in everyone
    assert outside_release.vps_id in changed and changed.count('name="vps"') <= 1 and changed.count("<tr>") == 2


def test_without_audit_read_audit_says_why_hostups_side_is_missing(auditor_client, trail_hostup, settings):
    settings.HOSTUP_API_TOKEN = trail_hostup.config.no_audit_token
    services.events_import()

    page = auditor_client.get(reverse("audit:audit-list")).content.decode()

    assert "HostUp&#x27;s side of the trail is not being imported" in page and "audit:read" in page
    assert SCOPE_MISSING.split(":")[0].replace("'", "&#x27;") in page


def test_jsonl_export_carries_both_sources(auditor_client, confirmed_allocate, outside_release, tmp_path):
    # Filtered (today), so the offline check below takes it as a subset of our chain.
    body = _body(auditor_client.get(reverse("audit:audit-export-jsonl"), {"date_from": timezone.now().date()}))

    lines = [json.loads(line) for line in body.splitlines()[1:]]
    assert {line["source"] for line in lines} == {"dashboard", "hostup"}
    hostup = [line for line in lines if line["source"] == "hostup"]
    assert all(HOSTUP_LINE_FIELDS <= set(line) for line in hostup)
    assert {line["hostup_event_id"]: line["outside_dashboard"] for line in hostup} == {
        outside_release.id: True,
        HostupEvent.objects.get(request_id=confirmed_allocate.hostup_request_id).id: False,
    }
    export = tmp_path / "export.jsonl"
    export.write_text(body)
    assert offline.export_verify(export, []).records == len(lines) - len(hostup)  # our chain still checks


def test_csv_export_has_the_same_columns(auditor_client, outside_release):
    body = _body(auditor_client.get(reverse("audit:audit-export-csv")))

    rows = list(csv.DictReader(io.StringIO("".join(body.splitlines(keepends=True)[1:]))))
    assert tuple(rows[0]) == CSV_COLUMNS and set(HOSTUP_LINE_FIELDS) | {"source"} <= set(CSV_COLUMNS)
    (hostup,) = [row for row in rows if row["source"] == "hostup"]
    assert (hostup["hostup_event_id"], hostup["outside_dashboard"], hostup["success"]) == (
        outside_release.id,
        "true",
        "true",
    )
    assert {row["source"] for row in rows} == {"dashboard", "hostup"}


def test_a_reconcile_record_exports_its_action_and_intent(auditor_client, trail_hostup, operator, free_vps):
    from hostup_dash.audit import services as audit
    from hostup_dash.hostup import HostupError

    intent = audit.audit_intent_record(
        actor=operator, action="allocate", vps_id=free_vps, vps_name="x", request_body={}, client_ip=None
    )
    stopped = HostupError(code="worker_stopped", title="No answer was recorded")
    audit.audit_outcome_record(intent=intent, outcome="unknown", duration_ms=1, problem=stopped)
    settle(3 * services.imports.event_settle())
    services.events_import()

    body = _body(auditor_client.get(reverse("audit:audit-export-jsonl")))
    lines = [json.loads(line) for line in body.splitlines()[1:]]

    (reconcile,) = [line for line in lines if line.get("action") == "reconcile"]
    assert reconcile["intent_id"] == intent.id and reconcile["source"] == "dashboard"


@pytest.mark.parametrize(
    "cursor",
    [
        "x",
        "2026-01-01T00:00:00~1~5",  # no zone
        "2026-01-01T00:00:00+00:00~2~5",
        "2026-01-01T00:00:00+00:00~1~99999999999999999999",
        "2026-01-01T00:00:00+00:00~1~٣",
        "2026-01-01T00:00:00+00:00~0~",
    ],
)
def test_a_cursor_the_pager_did_not_write_gives_the_first_page(auditor_client, outside_release, cursor):
    for name in ("older", "newer"):
        response = auditor_client.get(reverse("audit:audit-list"), {name: cursor})

        assert response.status_code == 200 and outside_release.id in response.content.decode()


def test_audit_says_when_no_import_has_run_for_a_while(auditor_client, trail_hostup, settings):
    services.events_import()
    settings.HOSTUP_EVENTS_EVERY = 1
    EventImport.objects.update(started_at=timezone.now() - timedelta(seconds=5))

    page = auditor_client.get(reverse("audit:audit-list")).content.decode()

    assert "none has run since (is the worker running?)" in page


def test_hostups_text_is_escaped_on_audit_and_defused_in_the_csv(auditor_client, trail_hostup, allocated_vps):
    hostile = '=HYPERLINK("https://evil.example","x")'
    trail_hostup.add_audit_event(
        {
            "id": hostile,
            "occurredAt": (timezone.now() - timedelta(minutes=3)).isoformat(),
            "method": "DELETE",
            "path": f"/api/v2/vps/{allocated_vps}/routed-ipv6",
            "endpoint": "/api/v2/vps/{id}/routed-ipv6",
            "summary": "<script>alert(1)</script>",
            "actorType": "+staff",
            "success": True,
            "statusCode": 200,
        }
    )
    services.events_import()

    page = auditor_client.get(reverse("audit:audit-list")).content.decode()
    body = _body(auditor_client.get(reverse("audit:audit-export-csv")))

    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    rows = list(csv.DictReader(io.StringIO("".join(body.splitlines(keepends=True)[1:]))))
    (row,) = [row for row in rows if row["source"] == "hostup"]
    assert (row["hostup_event_id"], row["actor_type"]) == ("'" + hostile, "'+staff")


def test_timeline_pages_events_at_one_instant_without_skipping_or_repeating(auditor_client, trail_hostup):
    at = (timezone.now() - timedelta(minutes=2)).replace(microsecond=0).isoformat()
    ids = sorted((f"evt_{n:026d}" for n in range(75)), reverse=True)  # HostUp's ties: id descending
    for event_id in ids:
        trail_hostup.add_audit_event({"id": event_id, "occurredAt": at, "method": "POST", "category": "api"})
    services.events_import()

    seen, query = [], {"source": "hostup-all"}
    while True:
        page = auditor_client.get(reverse("audit:audit-list"), query).content.decode()
        seen += [event_id for event_id in ids if f">{event_id}<" in page]
        if "&amp;older=" not in page:
            break
        query = {"source": "hostup-all", "older": unquote(page.split("&amp;older=")[1].split('"')[0])}

    assert seen == ids
