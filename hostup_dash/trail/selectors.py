"""Reads of the trail: /audit/'s timeline of both sides, a VPS's history, the import's state, the exports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cached_property

from django.conf import settings
from django.db.models import F, Q, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from hostup_dash.audit.models import AuditRecord
from hostup_dash.audit.selectors import (
    CSV_COLUMNS,
    PAGE_SIZE,
    VPS_HISTORY_LIMIT,
    AuditFilters,
    Source,
    _defused,
    _first_id_at_or_after,
    audit_filtered,
    audit_for_vps,
)
from hostup_dash.hostup import is_valid_vps_id
from hostup_dash.inventory.models import VpsSnapshot

from .models import EventGap, EventImport, HostupEvent

# The filters a HostUp event can be matched by; any other (actor, outcome, …) is about our records alone.
SHARED_FILTERS = {"source", "vps", "date_from", "date_to"}
DASHBOARD, HOSTUP = 1, 0  # each side's rank among entries at the same instant (newest first: ours first)
CURSOR_SEPARATOR = "~"
RECENT_GAPS = 5
RETRY_FAILED_AFTER = timedelta(minutes=1)
KEY_REFUSED = (401, 403)  # no key, or one without audit:read
# Imports missed in a row before /audit/ says none are running.
STALE_AFTER_RUNS = 3
# The words a killed run's row is closed with (services.imports): not a reason imports are failing.
IMPORT_ABANDONED = (
    "The worker stopped during this import (killed, or its host went away); the next import reads it again."
)


def last_succeeded(*, before: datetime | None = None) -> EventImport | None:
    """The newest succeeded import (started before `before`): its end_at is the checkpoint."""
    runs = EventImport.objects.filter(status=EventImport.Status.SUCCEEDED)
    if before is not None:
        runs = runs.filter(started_at__lt=before)
    return runs.order_by("-end_at").first()


def events_import_is_due() -> bool:
    """No import started within the last HOSTUP_EVENTS_EVERY seconds. One that failed on HostUp being away or
    busy is tried again after RETRY_FAILED_AFTER (the worker may start before HostUp answers); a key HostUp
    refuses waits its turn (someone must fix the key)."""
    last = EventImport.objects.order_by("-started_at").values_list("started_at", "status", "problem_status").first()
    if last is None:
        return True
    started_at, status, problem_status = last
    every = timedelta(seconds=settings.HOSTUP_EVENTS_EVERY)
    if status == EventImport.Status.FAILED and problem_status not in KEY_REFUSED:
        every = min(every, RETRY_FAILED_AFTER)
    return timezone.now() - started_at >= every


@dataclass
class TrailStatus:
    """What /audit/ says about HostUp's side: why it is not being imported, and what may be missing."""

    last_import: EventImport | None
    gaps: list[EventGap]

    @property
    def not_importing(self) -> str:
        """In words, why HostUp's side is not being imported now; blank while it is."""
        last = self.last_import
        if last is None:
            return "HostUp's audit log has not been imported yet: the worker imports it every few minutes."
        if last.status == EventImport.Status.FAILED and last.message != IMPORT_ABANDONED:
            return f"HostUp's side of the trail is not being imported: {last.message}"
        if timezone.now() - last.started_at > STALE_AFTER_RUNS * timedelta(seconds=settings.HOSTUP_EVENTS_EVERY):
            return (
                f"HostUp's side of the trail is not being imported: the last import began at "
                f"{last.started_at:%Y-%m-%d %H:%M} UTC and none has run since (is the worker running?)."
            )
        return ""

    @cached_property
    def last_success(self) -> EventImport | None:
        """Read only when the page says imports are failing (one query fewer on every other view)."""
        return last_succeeded()


def trail_status() -> TrailStatus:
    return TrailStatus(
        last_import=EventImport.objects.order_by("-started_at").first(),
        gaps=list(EventGap.objects.order_by("-from_at")[:RECENT_GAPS]),
    )


def includes_hostup(filters: AuditFilters) -> bool:
    """The filters can match HostUp events: not "dashboard", and none of the filters only our records have."""
    return filters.source != Source.DASHBOARD and not set(filters.as_dict()) - SHARED_FILTERS


def _day_start(day) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def events_filtered(filters: AuditFilters) -> QuerySet[HostupEvent]:
    """Imported events matching the filters, unordered; routed-IPv6 events only unless every category is asked for."""
    if not includes_hostup(filters):
        return HostupEvent.objects.none()
    events = HostupEvent.objects.all()
    if filters.source == Source.OUTSIDE:
        events = events.filter(outside_dashboard=True)
    elif filters.source != Source.HOSTUP_ALL:
        events = events.filter(is_routed_ipv6=True)
    if filters.vps:
        if is_valid_vps_id(filters.vps):
            events = events.filter(vps_id=filters.vps)
        else:
            named = VpsSnapshot.objects.filter(name__iexact=filters.vps).values("vps_id")
            events = events.filter(vps_id__in=named)
    if filters.date_from:
        events = events.filter(occurred_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        events = events.filter(occurred_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    return events


# --- the timeline of both sides ---------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """An entry's place in the timeline, newest first: (time, rank, key) descending."""

    at: datetime
    rank: int
    key: str  # a record's id or an event's id

    def text(self) -> str:
        return CURSOR_SEPARATOR.join([self.at.isoformat(), str(self.rank), self.key])

    @classmethod
    def parse(cls, text: str) -> Place | None:
        """The place a cursor names; None for anything the pager did not write."""
        at, _, rest = text.partition(CURSOR_SEPARATOR)
        rank, _, key = rest.partition(CURSOR_SEPARATOR)
        try:
            moment = datetime.fromisoformat(at)
        except ValueError:
            return None
        if moment.tzinfo is None or rank not in ("0", "1") or not key:
            return None
        if rank == "1" and not (key.isascii() and key.isdecimal() and int(key) < 2**63):  # a record id is a bigint
            return None
        return cls(at=moment, rank=int(rank), key=key)


def _events_past(place: Place, *, older: bool) -> Q:
    """The events past `place`, older or newer. At one instant our entry ranks newer than HostUp's.

    The outer bound on the time alone lets PostgreSQL start its index scan there.
    """
    way = "lt" if older else "gt"
    bound, strictly = Q(**{f"occurred_at__{way}e": place.at}), Q(**{f"occurred_at__{way}": place.at})
    if place.rank == HOSTUP:
        return bound & (strictly | Q(occurred_at=place.at, **{f"id__{way}": place.key}))
    return bound if older else strictly


def _records_past(place: Place, *, older: bool) -> Q:
    """Our records past `place`, as an id range: ids grow with time (appends are serialised, audit.services),
    so the id index serves every page, and HostUp's instant becomes the first id at or after it."""
    if place.rank == DASHBOARD:
        return Q(id__lt=int(place.key)) if older else Q(id__gt=int(place.key))
    first = _first_id_at_or_after(place.at)
    if first is None:  # nothing of ours at or after that instant
        return Q() if older else Q(pk__in=[])
    return Q(id__lt=first) if older else Q(id__gte=first)


@dataclass(frozen=True)
class TimelinePage:
    records: list  # AuditRecord and HostupEvent, newest first (`is_hostup` tells them apart)
    older_than: str | None  # pass as `older` for the next older page
    newer_than: str | None  # pass as `newer` for the next newer page
    older_param: str = "older"
    newer_param: str = "newer"


def _page_of(rows: QuerySet, *, time_field: str, older: bool, size: int) -> QuerySet:
    """At most `size` entries of one side, nearest first: our records by id (ids follow time), events by time."""
    way = "-" if older else ""
    order = [f"{way}id"] if time_field == "created_at" else [f"{way}{time_field}", f"{way}id"]
    return rows.order_by(*order).values_list(time_field, "id")[:size]


def timeline_page(filters: AuditFilters, *, older: str = "", newer: str = "", size: int = PAGE_SIZE) -> TimelinePage:
    """One page of both sides, newest first, by keyset: each side reads at most a page from its own
    index, and the two are merged in Python (no OFFSET, no COUNT). A cursor not written by the
    pager gives the first page."""
    place = Place.parse(newer or older) if (newer or older) else None
    going_older = not (newer and place)
    records, events = audit_filtered(filters), events_filtered(filters)
    if place is not None:
        records = records.filter(_records_past(place, older=going_older))
        events = events.filter(_events_past(place, older=going_older))
    sides = [
        (DASHBOARD, _page_of(records, time_field="created_at", older=going_older, size=size + 1)),
        (HOSTUP, _page_of(events, time_field="occurred_at", older=going_older, size=size + 1)),
    ]
    # Ties of time and side keep the order PostgreSQL gave (a stable sort): its collation, not
    # Python's, orders event ids, and the next page's cursor is compared by PostgreSQL.
    places = sorted(
        (Place(at=at, rank=rank, key=str(key)) for rank, rows in sides for at, key in rows),
        key=lambda p: (p.at, p.rank),
        reverse=going_older,
    )
    has_more = len(places) > size
    places = places[:size]
    if not going_older:
        places.reverse()
    entries = _entries(places)
    if going_older:
        older_than = places[-1].text() if has_more else None
        newer_than = places[0].text() if place is not None and places else None
    else:
        older_than = places[-1].text() if places else None
        newer_than = places[0].text() if has_more else None
    return TimelinePage(records=entries, older_than=older_than, newer_than=newer_than)


def _entries(places: list[Place]) -> list:
    record_ids = [int(p.key) for p in places if p.rank == DASHBOARD]
    event_ids = [p.key for p in places if p.rank == HOSTUP]
    records = AuditRecord.objects.in_bulk(record_ids) if record_ids else {}
    events = HostupEvent.objects.in_bulk(event_ids) if event_ids else {}
    entries = [records[int(p.key)] if p.rank == DASHBOARD else events[p.key] for p in places]
    confirmations_attach([entry for entry in entries if not getattr(entry, "is_hostup", False)])
    return entries


def confirmations_attach(records: list[AuditRecord]) -> None:
    """Set `confirmed_by` on each record: the id of HostUp's event for its request, or "" (one query)."""
    request_ids = {record.hostup_request_id for record in records if record.hostup_request_id}
    found = dict(
        HostupEvent.objects.filter(request_id__in=request_ids).values_list("request_id", "id") if request_ids else ()
    )
    for record in records:
        record.confirmed_by = found.get(record.hostup_request_id, "") if record.hostup_request_id else ""


def vps_history(*, vps_id: str, limit: int = VPS_HISTORY_LIMIT) -> list:
    """A VPS's action history and HostUp's events on it, newest first."""
    records = audit_for_vps(vps_id=vps_id, limit=limit)
    confirmations_attach(records)
    events = list(HostupEvent.objects.filter(vps_id=vps_id).order_by("-occurred_at", "-id")[:limit])
    merged = sorted(
        [*records, *events], key=lambda e: e.occurred_at if getattr(e, "is_hostup", False) else e.created_at
    )
    return merged[::-1][:limit]


# --- exports ------------------------------------------------------------------------------------------

# Each export column from an event; the dashboard's own columns it has no value for stay empty.
EVENT_CSV_COLUMNS = {
    "vps_id": F("vps_id"),
    "source": Value(Source.HOSTUP.value, output_field=TextField()),
    "hostup_event_id": F("id"),
    "actor_type": F("actor_type"),
    "actor_id": F("actor_id"),
    "request_id": F("request_id"),
    "path": F("path"),
    "status_code": F("status_code"),
    # true/false, as the JSON Lines export writes them (COPY would write t/f)
    "success": Cast("success", TextField()),
    "occurred_at": F("occurred_at"),
    "outside_dashboard": Cast("outside_dashboard", TextField()),
}
# An event's text comes from HostUp, and from whoever acted there.
EVENT_OUTSIDE_TEXT = {
    "hostup_event_id": "id",  # only its evt_ form is assumed (NOTES.md): it is HostUp's text like the rest
    "vps_name": "resource_label",
    "actor_type": "actor_type",
    "actor_id": "actor_id",
    "request_id": "request_id",
    "path": "path",
}
# Every column of an event but the raw JSON (its facts are the other columns) and our own bookkeeping.
NOT_EXPORTED = ("raw", "is_routed_ipv6", "imported_at")
JSONL_EVENT_FIELDS = tuple(field.name for field in HostupEvent._meta.concrete_fields if field.name not in NOT_EXPORTED)


def events_export_csv_query(filters: AuditFilters) -> QuerySet:
    """The matching events as rows of CSV_COLUMNS, newest first, outside text defused for spreadsheets."""
    events = events_filtered(filters)
    columns = []
    for name in CSV_COLUMNS:
        if name in EVENT_OUTSIDE_TEXT:
            expression = _defused(EVENT_OUTSIDE_TEXT[name])
        else:
            expression = EVENT_CSV_COLUMNS.get(name, Value(None, output_field=TextField()))
        events = events.annotate(**{f"{name}_cell": expression})
        columns.append(f"{name}_cell")
    return events.order_by("-occurred_at", "-id").values_list(*columns)


def events_export_lines(filters: AuditFilters) -> Iterator[dict]:
    """The matching events as JSON Lines objects, newest first, through a server-side cursor."""
    rows = events_filtered(filters).order_by("-occurred_at", "-id").values_list(*JSONL_EVENT_FIELDS)
    for row in rows.iterator(chunk_size=5000):
        event = dict(zip(JSONL_EVENT_FIELDS, row, strict=True))
        hostup_id = event.pop("id")
        yield {
            "source": Source.HOSTUP.value,
            "hostup_event_id": hostup_id,
            **event,
            "occurred_at": event["occurred_at"].isoformat(),
        }
