"""GET /api/v2/audit-log: the account's events in a window, filtered, newest first, one page at a time.

Rules from NOTES.md "Account audit log": startAt/endAt inclusive (startAt defaults to 12 hours
back, endAt to the moment of the request), hideGet drops GET events, includeDnsEvents=false drops
dns_history ones, limit 1-100 (default 20), an offset cursor, includeStats adds counters.
"""

from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hostup_dash.simulator.config import SimulatorConfig
from hostup_dash.simulator.formats import now
from hostup_dash.simulator.params import decode_cursor, encode_cursor, first, parse_limit
from hostup_dash.simulator.problems import field_error, invalid_request
from hostup_dash.simulator.state import SimState

if TYPE_CHECKING:  # routes.py lists this operation, so it cannot be imported at run time
    from hostup_dash.simulator.routes import ApiRequest

DEFAULT_WINDOW = timedelta(hours=12)
TOP_ENDPOINTS = 5


def list_audit_log(state: SimState, config: SimulatorConfig, request: "ApiRequest") -> tuple[int, object]:
    query = request.query
    arrived = now()
    end = _timestamp(query, "endAt") or arrived
    start = _timestamp(query, "startAt") or arrived - DEFAULT_WINDOW
    if start > end:
        raise invalid_request([field_error("/startAt", "Must not be later than endAt.", "invalid_range")])
    hide_get = _boolean(query, "hideGet", default=False)
    include_dns = _boolean(query, "includeDnsEvents", default=True)
    include_stats = _boolean(query, "includeStats", default=False)
    limit = parse_limit(first(query, "limit"))
    cursor = first(query, "cursor")
    offset = 0 if cursor is None else decode_cursor(cursor)

    kept_from = arrived - timedelta(seconds=config.audit_retention_s)
    events = [
        event
        for event in state.events.events(kept_from=kept_from, start=start, end=end)
        if not (hide_get and event.get("method") == "GET")
        and (include_dns or event.get("eventSource") != "dns_history")
    ]
    has_more = offset + limit < len(events)
    page: dict[str, object] = {
        "data": events[offset : offset + limit],
        "hasMore": has_more,
        "nextCursor": encode_cursor(offset + limit) if has_more else None,
    }
    if include_stats:
        page["stats"] = _stats(events)
    return 200, page


def _timestamp(query: dict[str, list[str]], name: str) -> datetime | None:
    raw = first(query, name)
    if raw is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    # RFC 3339 only: a date alone or a time without its offset is ambiguous.
    if parsed is None or parsed.tzinfo is None or "T" not in raw.upper():
        raise invalid_request([field_error(f"/{name}", "Must be an ISO 8601 timestamp with a time zone.", "invalid")])
    return parsed


def _boolean(query: dict[str, list[str]], name: str, *, default: bool) -> bool:
    raw = first(query, name)
    if raw is None:
        return default
    if raw not in ("true", "false"):
        raise invalid_request([field_error(f"/{name}", "Must be true or false.", "invalid_type")])
    return raw == "true"


def _stats(events: list[dict[str, object]]) -> dict[str, object]:
    """Counters over the whole filtered window (not just the page), named as in the old API's `stats`."""
    requests = [event for event in events if event.get("eventSource") == "request_audit"]
    durations = [event["durationMs"] for event in requests if isinstance(event.get("durationMs"), int)]
    endpoints = Counter(str(event.get("endpoint")) for event in requests)
    days = Counter(str(event.get("occurredAt"))[:10] for event in events)
    return {
        "totalEvents": len(events),
        "apiCalls": len(requests),
        "loginCount": 0,  # the simulator has no panel logins
        "failedLogins": 0,
        "securityEvents": sum(1 for event in events if event.get("category") == "security"),
        "avgResponseTime": round(sum(durations) / len(durations), 1) if durations else 0,
        "topEndpoints": [{"endpoint": name, "count": count} for name, count in endpoints.most_common(TOP_ENDPOINTS)],
        "recentActivity": [{"date": day, "count": count} for day, count in sorted(days.items(), reverse=True)],
    }
