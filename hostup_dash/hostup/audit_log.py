"""HostUp's account audit log (GET /api/v2/audit-log): typed events and the calls that page through them.

HostUp documents little of an event's shape (NOTES.md "Account audit log"), so only `id` and
`occurredAt` are required here; every other field may be null, absent or a value we have never
seen, and the event as sent is kept in `raw` for storage.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .types import Reply, _list, _malformed, _object, _opt_bool, _opt_datetime, _opt_int, _opt_str, _str

READ_AUDIT = ("audit:read",)
AUDIT_PAGE_SIZE = 100
MAX_AUDIT_PAGE_SIZE = 100

# The route templates of routed-IPv6 calls; HostUp's `category` has no value for them, so pick by endpoint.
ROUTED_IPV6_ENDPOINTS = frozenset(
    {
        "/api/v2/vps/{id}/routed-ipv6",
        "/api/v2/routed-ipv6",
        "/api/v2/routed-ipv6/routes/{id}",
        "/api/v2/routed-ipv6/{id}",
    }
)
# The same routes with ids filled in, for an event whose endpoint is the path itself or missing.
_ROUTED_IPV6_PATH = re.compile(r"^/api/v2/(vps/[^/]+/routed-ipv6|routed-ipv6(/routes)?(/[^/]+)?)/?$")
_VPS_IN_EVENT_PATH = re.compile(r"^/api/v2/vps/(vps_[0-9a-hjkmnp-tv-z]{26})(/|$)")


@dataclass(frozen=True)
class AuditChange:
    """One changed field, as HostUp reports it; before/after are whatever JSON it sent."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AuditEvent:
    id: str
    event_source: str
    occurred_at: datetime
    method: str | None
    endpoint: str | None
    path: str | None
    status_code: int | None
    duration_ms: int | None
    success: bool | None
    severity: str | None
    category: str | None
    action: str | None
    summary: str | None
    resource_label: str | None
    changes: tuple[AuditChange, ...]
    actor_type: str | None
    actor_id: str | None
    auth_method: str | None
    request_id: str | None
    ip_address: str | None
    user_agent: str | None
    error_message: str | None
    raw: dict[str, Any]  # the event exactly as HostUp sent it

    @classmethod
    def from_json(cls, value: Any) -> AuditEvent:
        data = _object(value, "audit event")
        occurred_at = _opt_datetime(data, "occurredAt")
        if occurred_at is None:
            raise _malformed("occurredAt is missing")
        method = _opt_str(data, "method")
        return cls(
            id=_str(data, "id"),
            # Documented as required; an event without it is read as the common kind, one API request.
            event_source=_opt_str(data, "eventSource") or "request_audit",
            occurred_at=occurred_at,
            method=method.upper() if method else None,
            endpoint=_opt_str(data, "endpoint"),
            path=_opt_str(data, "path"),
            status_code=_opt_int(data, "statusCode"),
            duration_ms=_opt_int(data, "durationMs"),
            success=_opt_bool(data, "success"),
            severity=_opt_str(data, "severity"),
            category=_opt_str(data, "category"),
            action=_opt_str(data, "action"),
            summary=_opt_str(data, "summary"),
            resource_label=_opt_str(data, "resourceLabel"),
            changes=_changes(data.get("changes")),
            actor_type=_opt_str(data, "actorType"),
            actor_id=_opt_str(data, "actorId"),
            auth_method=_opt_str(data, "authMethod"),
            request_id=_opt_str(data, "requestId"),
            ip_address=_opt_str(data, "ipAddress"),
            user_agent=_opt_str(data, "userAgent"),
            error_message=_opt_str(data, "errorMessage"),
            raw=data,
        )


def _changes(value: Any) -> tuple[AuditChange, ...]:
    """A list of {field, before, after}; the docs leave the shape open, so an object maps field -> change."""
    if isinstance(value, list):
        return tuple(
            AuditChange(field=item["field"], before=item.get("before"), after=item.get("after"))
            for item in value
            if isinstance(item, dict) and isinstance(item.get("field"), str)
        )
    if isinstance(value, dict):
        return tuple(
            AuditChange(field=str(name), before=change.get("before"), after=change.get("after"))
            if isinstance(change, dict)
            else AuditChange(field=str(name), before=None, after=change)
            for name, change in value.items()
        )
    return ()  # null, absent, or a shape we cannot read: `raw` still holds it


@dataclass(frozen=True)
class AuditEventPage:
    events: tuple[AuditEvent, ...]
    has_more: bool
    next_cursor: str | None

    @classmethod
    def from_json(cls, value: Any) -> AuditEventPage:
        data = _object(value, "audit-log page")
        next_cursor = _opt_str(data, "nextCursor") or None
        has_more = _opt_bool(data, "hasMore")
        return cls(
            events=tuple(AuditEvent.from_json(item) for item in _list(data, "data")),
            # Only `data` is documented: without hasMore, a cursor alone says another page follows.
            has_more=bool(next_cursor) if has_more is None else has_more,
            next_cursor=next_cursor,
        )


def is_routed_ipv6(event: AuditEvent) -> bool:
    """A call to one of the routed-IPv6 routes (per VPS or account-level), read or write."""
    return event.endpoint in ROUTED_IPV6_ENDPOINTS or bool(_ROUTED_IPV6_PATH.match(event.path or ""))


def vps_id_of(event: AuditEvent) -> str | None:
    """The VPS a per-VPS call was about, from its path; None for account-level and other calls."""
    match = _VPS_IN_EVENT_PATH.match(event.path or "")
    return match.group(1) if match else None


def _timestamp(moment: datetime, name: str) -> str:
    if moment.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class AuditLogCalls:
    """HostupClient's audit-log calls (a mixin: it uses the client's own GET, retries included)."""

    if TYPE_CHECKING:
        _get: Callable[..., Reply[Any]]

    def list_audit_events(
        self,
        start_at: datetime,
        end_at: datetime | None = None,
        hide_get: bool = True,
        cursor: str | None = None,
        limit: int = AUDIT_PAGE_SIZE,
    ) -> AuditEventPage:
        """listAuditEvents: one page, newest first. startAt is always sent: HostUp's default is only 12 hours."""
        if not 1 <= limit <= MAX_AUDIT_PAGE_SIZE:
            raise ValueError(f"limit must be from 1 to {MAX_AUDIT_PAGE_SIZE}")
        params: dict[str, Any] = {
            "startAt": _timestamp(start_at, "start_at"),
            "hideGet": "true" if hide_get else "false",
            "limit": limit,
        }
        if end_at is not None:
            params["endAt"] = _timestamp(end_at, "end_at")
        if cursor:
            params["cursor"] = cursor
        return AuditEventPage.from_json(self._get("/api/v2/audit-log", READ_AUDIT, params=params).value)

    def iter_audit_events(
        self,
        start_at: datetime,
        end_at: datetime | None = None,
        hide_get: bool = True,
        before_page: Callable[[], None] | None = None,
    ) -> Iterator[AuditEvent]:
        """Every event of the window over all pages, each once; `before_page` runs before each page is asked for
        (a background caller waits there for its share of the rate limit).

        Pass a fixed `end_at`: without it the window moves between pages, and HostUp's offset
        cursor then repeats events (dropped here by id) where newer ones pushed them down.
        """
        seen: set[str] = set()
        cursor: str | None = None
        while True:
            if before_page is not None:
                before_page()
            page = self.list_audit_events(start_at, end_at, hide_get, cursor)
            for event in page.events:
                if event.id not in seen:
                    seen.add(event.id)
                    yield event
            if not (page.has_more and page.next_cursor and page.events):
                return
            cursor = page.next_cursor
