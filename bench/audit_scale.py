"""How /audit/ and its export hold up at 1,000,000 records (and as many imported HostUp events), beside the
Django admin changelist.

    .venv/bin/python bench/audit_scale.py [--records 1000000] [--events 1000000] [--repeat 5]

Uses its own database (hostup_dash_bench_audit), filled once and reused. Times are
server time: requests go through Django's test client in this process, no network.
The export runs in a child process so its peak memory is its own.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import ROOT, django_for_bench, median_ms  # noqa: E402

DATABASE = "hostup_dash_bench_audit"
VPS_COUNT = 2000
ACTORS = [f"user{n:02d}" for n in range(20)]
# Every 5th record has a reason (one of these, numbered), every 10th a ticket: the reason search's cases.
REASONS = [
    "Planned maintenance",
    "Customer asked for a new prefix",
    "Next hop moved after the rack swap",
    "Decommissioning",
    "Cleanup of unused allocations",
]


def fill(total: int) -> None:
    """Append synthetic records with a valid hash chain, by COPY (the triggers allow inserts)."""
    from django.db import connection

    from hostup_dash.audit.models import GENESIS_HASH, AuditRecord

    have = AuditRecord.objects.count()
    if have >= total:
        return
    head = AuditRecord.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    columns = [
        "created_at",
        "actor_name",
        "actor_role",
        "client_ip",
        "vps_id",
        "vps_name",
        "action",
        "request_body",
        "outcome",
        "http_status",
        "problem_code",
        "problem_detail",
        "problem",
        "hostup_request_id",
        "result_prefix",
        "result_next_hop",
        "duration_ms",
        "reason",
        "ticket",
        "prev_hash",
        "hash",
    ]
    start = datetime(2025, 11, 27, tzinfo=UTC)
    step = timedelta(seconds=365 * 86400 / total)
    actions = ["allocate", "allocate", "refresh_next_hop", "release", "login"]
    outcomes = ["succeeded"] * 8 + ["failed", "refused"]
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY audit_auditrecord ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for n in range(have, total):
            vps = n % VPS_COUNT
            outcome = outcomes[n % len(outcomes)]
            record = AuditRecord(
                created_at=start + step * n,
                actor_name=ACTORS[n % len(ACTORS)],
                actor_role="operator",
                client_ip="192.0.2.10",
                vps_id=f"vps_{vps:026d}",
                vps_name=f"web-{vps:04d}",
                action=actions[n % len(actions)],
                request_body={"action": "allocate"},
                outcome=outcome,
                http_status=201 if outcome == "succeeded" else None,
                problem_code="" if outcome == "succeeded" else "routed_ipv6_cooldown",
                problem_detail="",
                problem={},
                hostup_request_id=f"req_{n:026d}",
                result_prefix=f"2001:db8:42:{vps:x}::/64" if outcome == "succeeded" else "",
                result_next_hop="2001:db8:42::1",
                duration_ms=40 + n % 50,
                reason=f"{REASONS[n // 5 % len(REASONS)]} (batch {n % 997})" if n % 5 == 0 else "",
                ticket=f"OPS-{n % 50_000}" if n % 10 == 0 else "",
                prev_hash=head,
            )
            record.hash = head = record.compute_hash()
            copy.write_row(
                [
                    getattr(record, c) if c not in ("request_body", "problem") else json.dumps(getattr(record, c))
                    for c in columns
                ]
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditrecord")
    print(f"filled {total - have:,} records in {time.perf_counter() - started:.0f} s")


def fill_events(total: int) -> None:
    """Imported HostUp events over the same year as the records (issue 11), by COPY: most of them our own
    routed-IPv6 writes, 1 in 20 a change made outside the dashboard, 1 in 7 another category (DNS, billing)."""
    from django.db import connection

    from hostup_dash.trail.models import HostupEvent

    have = HostupEvent.objects.count()
    if have >= total:
        return
    columns = [field.column for field in HostupEvent._meta.concrete_fields]
    start = datetime(2025, 11, 27, tzinfo=UTC) + timedelta(seconds=365 * 86400 / total / 2)
    step = timedelta(seconds=365 * 86400 / total)
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY audit_hostupevent ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for n in range(have, total):
            row = _event_row(n, start + step * n)
            copy.write_row([row[column] for column in columns])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_hostupevent")
    print(f"filled {total - have:,} HostUp events in {time.perf_counter() - started:.0f} s")


OUR_KEY = "key_" + "b" * 26
RAW_KEYS = (
    "id",
    "event_source",
    "method",
    "path",
    "status_code",
    "success",
    "action",
    "summary",
    "actor_type",
    "actor_id",
    "request_id",
)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _event_row(n: int, at: datetime) -> dict:
    vps_id = f"vps_{n % VPS_COUNT:026d}"
    routed = n % 7 != 0
    outside = routed and n % 20 == 1
    actor_type, actor_id, auth = ("staff", "1042", "staff_session") if outside else ("api", OUR_KEY, "api_key")
    row = {
        "id": f"evt_{n:026d}",
        "event_source": "request_audit" if routed else "dns_history",
        "occurred_at": at,
        "method": "POST",
        "endpoint": "/api/v2/vps/{id}/routed-ipv6" if routed else "/api/v2/domains/{id}/dns",
        "path": f"/api/v2/vps/{vps_id}/routed-ipv6" if routed else "/api/v2/domains/example.se/dns",
        "status_code": 200,
        "duration_ms": 30 + n % 40,
        "success": True,
        "severity": "info",
        "category": "api" if routed else "dns",
        "action": "routed_ipv6.refresh_next_hop" if routed else "dns.record_update",
        "summary": "Refreshed the routed IPv6 next hop" if routed else "Updated a DNS record",
        "resource_label": f"web-{n % VPS_COUNT:04d}" if routed else "example.se",
        "changes": [{"field": "nextHop", "before": "2001:db8:42::1", "after": "2001:db8:42::2"}] if routed else [],
        "actor_type": actor_type,
        "actor_id": actor_id,
        "auth_method": auth,
        "request_id": f"req_e{n:025d}",
        "ip_address": "192.0.2.10",
        "user_agent": "hostup-dash",
        "error_message": "",
        "vps_id": vps_id if routed else "",
        "is_routed_ipv6": routed,
        "outside_dashboard": outside,
        "imported_at": at + timedelta(minutes=5),
    }
    # The event as HostUp sent it, in its camelCase.
    row["raw"] = json.dumps({_camel(name): row[name] for name in RAW_KEYS} | {"occurredAt": at.isoformat()})
    row["changes"] = json.dumps(row["changes"])
    return row


def admin_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    return client


def time_pages(repeat: int) -> list[tuple[str, float, float | None]]:
    from hostup_dash.audit.models import AuditRecord

    client = admin_client()
    total = AuditRecord.objects.count()
    deep_id = AuditRecord.objects.order_by("id").values_list("id", flat=True)[10_000]
    deep_page = (total - 10_000) // 100  # the admin changelist shows 100 a page

    def get(url: str, params: dict | None = None):
        def run():
            response = client.get(url, params or {})
            assert response.status_code == 200, (url, response.status_code)

        return run

    ours, admin = "/audit/", "/admin/audit/auditrecord/"
    cases = [
        ("first page", get(ours), get(admin)),
        (
            "deep page (10,000 from the oldest)",
            get(ours, {"source": "dashboard", "before": deep_id}),  # `before` pages our records alone
            get(admin, {"p": deep_page}),
        ),
        ("filter: one VPS", get(ours, {"vps": "vps_" + "7".zfill(26)}), get(admin, {"q": "vps_" + "7".zfill(26)})),
        ("filter: VPS by name", get(ours, {"vps": "WEB-0007"}), get(admin, {"q": "web-0007"})),
        ("filter: actor", get(ours, {"actor": "user07"}), get(admin, {"q": "user07"})),
        ("filter: action=release", get(ours, {"action": "release"}), get(admin, {"action__exact": "release"})),
        ("filter: outcome=refused", get(ours, {"outcome": "refused"}), get(admin, {"outcome__exact": "refused"})),
        ("filter: prefix", get(ours, {"prefix": "2001:db8:42:7::/64"}), get(admin, {"q": "2001:db8:42:7::/64"})),
        ("filter: one day", get(ours, {"date_from": "2026-03-01", "date_to": "2026-03-01"}), None),
        ("filter: actor + deep", get(ours, {"actor": "user07", "before": deep_id}), None),
        *reason_cases(get),
        *trail_cases(get),
    ]
    return [
        (name, median_ms(mine, repeat), median_ms(theirs, repeat) if theirs else None) for name, mine, theirs in cases
    ]


def export_in_child() -> dict:
    """Run the full CSV export in a fresh process and report its time, size and peak memory."""
    output = subprocess.run(
        [sys.executable, __file__, "--export-child"], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(output.stdout.strip().splitlines()[-1])


def export_child() -> None:
    client = admin_client()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get("/audit/export.csv")
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "bytes": size,
                "lines": lines,
                "peak_rss_mb": peak / 1024,
                "rss_before_mb": before / 1024,
            }
        )
    )


def trail_cases(get) -> list:
    """Both sides of the trail (issue 11): the default view already merges them (the first-page, VPS and
    day cases above); here each source alone and a deep page by the timeline's own cursor."""
    from hostup_dash.audit.models import AuditRecord
    from hostup_dash.trail.selectors import DASHBOARD, Place

    ours = "/audit/"
    deep = AuditRecord.objects.order_by("id").values_list("created_at", "id")[10_000]
    deep_cursor = Place(at=deep[0], rank=DASHBOARD, key=str(deep[1])).text()
    return [
        ("both: deep page (10,000 from the oldest)", get(ours, {"older": deep_cursor}), None),
        ("source: dashboard only", get(ours, {"source": "dashboard"}), None),
        ("source: HostUp (routed IPv6)", get(ours, {"source": "hostup"}), None),
        ("source: HostUp, every category", get(ours, {"source": "hostup-all"}), None),
        ("source: outside the dashboard", get(ours, {"source": "outside"}), None),
        ("source: outside + one VPS", get(ours, {"source": "outside", "vps": "vps_" + "21".zfill(26)}), None),
    ]


def reason_cases(get) -> list:
    """The reason and ticket search (issue 12): many matches, few, none, a ticket, a reason on a deep page."""
    ours = "/audit/"
    return [
        ("reason: common words (1 in 25)", get(ours, {"reason": "rack swap"}), None),
        ("reason: rare words (1 in 5,000)", get(ours, {"reason": "batch 123)"}), None),
        ("reason: no match", get(ours, {"reason": "no such words"}), None),
        ("ticket (2 records)", get(ours, {"ticket": "ops-4242"}), None),
        ("reason + actor", get(ours, {"reason": "rack swap", "actor": "user07"}), None),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--events", type=int, default=1_000_000, help="imported HostUp events beside the records")
    parser.add_argument("--export-child", action="store_true")
    args = parser.parse_args()
    django_for_bench(DATABASE)
    if args.export_child:
        export_child()
        return
    fill(args.records)
    fill_events(args.events)
    from hostup_dash.audit.models import AuditRecord
    from hostup_dash.trail.models import HostupEvent

    print(
        f"\n/audit/ vs Django admin changelist, {AuditRecord.objects.count():,} records and "
        f"{HostupEvent.objects.count():,} HostUp events, median of {args.repeat}, server time"
    )
    print(f"{'case':40} {'/audit/ ms':>11} {'admin ms':>10} {'admin / ours':>13}")
    for name, mine, theirs in time_pages(args.repeat):
        ratio = f"{theirs / mine:12.1f}x" if theirs else f"{'—':>13}"
        print(f"{name:40} {mine:11.1f} {theirs if theirs else float('nan'):10.1f} {ratio}")
    export = export_in_child()
    print(
        f"\nfull CSV export: {export['lines'] - 2:,} records, {export['bytes'] / 1e6:.0f} MB in "
        f"{export['seconds']:.1f} s; peak RSS {export['peak_rss_mb']:.0f} MB "
        f"(process at start {export['rss_before_mb']:.0f} MB)"
    )


if __name__ == "__main__":
    main()
