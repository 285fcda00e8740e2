"""Reads of the inventory snapshot. The list page never calls HostUp."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .models import AllocationStatus, SyncRun, VpsSnapshot

PAGE_SIZE = 50
# A filtered list counts its matches up to here and then says "more than": an exact
# count of a broad search would read most of the table on every keystroke. Up to here,
# too, the matches are read through the search's indexes and sorted (see vps_page).
COUNT_CAP = 2000
# A cursor is a row's place in the list's order, "name|vps_id". A VPS id never holds the
# separator and a name may, so the id is whatever follows the last one.
CURSOR_SEPARATOR = "|"

Key = tuple[str, str]  # (name, vps_id): the list's order, served by the vps_name_idx index
# The same order, in a form no index gives: NULLS FIRST on these NOT NULL columns moves no
# row, but vps_name_idx keeps NULLs last, so PostgreSQL must find the rows first and sort them.
SORTED_APART = (F("name").asc(nulls_first=True), F("vps_id").asc(nulls_first=True))


def vps_list(*, query: str = "", power_state: str = "", has_routed_ipv6: bool | None = None) -> QuerySet[VpsSnapshot]:
    """Snapshot rows matching a search (name, IP or prefix) and filters, by name."""
    rows = VpsSnapshot.objects.all()
    if query:
        rows = rows.filter(
            Q(name__icontains=query)
            | Q(primary_ip__icontains=query)
            | Q(vps_id=query)
            | Q(routed_prefix__icontains=query)
            | Q(account_route_prefixes__icontains=query)
        )
    if power_state:
        rows = rows.filter(power_state=power_state)
    if has_routed_ipv6 is not None:
        has = Q(allocation_status=AllocationStatus.ACTIVE) | ~Q(account_route_prefixes="")
        rows = rows.filter(has if has_routed_ipv6 else ~has)
    return rows


def cursor_key(cursor: str) -> Key | None:
    """The (name, vps_id) a cursor points at; None when the text is not a cursor."""
    name, separator, vps_id = cursor.rpartition(CURSOR_SEPARATOR)
    return (name, vps_id) if separator and vps_id else None


def _cursor(vps: VpsSnapshot) -> str:
    return f"{vps.name}{CURSOR_SEPARATOR}{vps.vps_id}"


@dataclass(frozen=True)
class VpsPage:
    rows: list[VpsSnapshot]
    next_cursor: str | None  # pass as `after` for the next page, None on the last
    previous_cursor: str | None  # pass as `before` for the previous page, None on the first

    @property
    def is_first(self) -> bool:
        return self.previous_cursor is None


def vps_page(
    rows: QuerySet[VpsSnapshot],
    *,
    after: Key | None = None,
    before: Key | None = None,
    size: int = PAGE_SIZE,
    few: bool = False,
) -> VpsPage:
    """One page by keyset on (name, vps_id): no OFFSET, no COUNT, one query.

    `few` says the rows are known to be few (a filter counted in full): they are then picked by the
    search's trigram indexes and sorted. Walking vps_name_idx instead, PostgreSQL expects the
    matches spread over the alphabet, but names of one kind cluster ("web-…" sort last), and
    it would filter most of the table before the first of them.

    A page reached through a cursor has a page on the side it came from, so that side needs no
    query. A cursor that leads nowhere (crafted, or its rows are gone) gives the first page, and
    so does walking back to the start: a full page, not the few rows left before the cursor.
    Either costs a second query.
    """
    ordered = rows.order_by(*SORTED_APART) if few else rows.order_by("name", "vps_id")
    if before is not None:
        # Walking back: read downwards from the cursor, then flip into the list's order.
        found = list(ordered.filter(_keyset_before(before)).reverse()[: size + 1])
        if len(found) > size:
            page = found[:size][::-1]
            return VpsPage(page, next_cursor=_cursor(page[-1]), previous_cursor=_cursor(page[0]))
    elif after is not None:
        found = list(ordered.filter(_keyset_after(after))[: size + 1])
        if found:
            page = found[:size]
            next_cursor = _cursor(page[-1]) if len(found) > size else None
            return VpsPage(page, next_cursor=next_cursor, previous_cursor=_cursor(page[0]))
    found = list(ordered[: size + 1])
    next_cursor = _cursor(found[size - 1]) if len(found) > size else None
    return VpsPage(found[:size], next_cursor=next_cursor, previous_cursor=None)


# The outer name__gte / name__lte repeats what the OR says: it gives PostgreSQL the index bound
# to start the scan from, where the OR alone would make it walk the index from the beginning.
def _keyset_after(key: Key) -> Q:
    name, vps_id = key
    return Q(name__gte=name) & (Q(name__gt=name) | Q(vps_id__gt=vps_id))


def _keyset_before(key: Key) -> Q:
    name, vps_id = key
    return Q(name__lte=name) & (Q(name__lt=name) | Q(vps_id__lt=vps_id))


@dataclass(frozen=True)
class RowCount:
    value: int
    estimated: bool = False  # the last sync's count, not a count of the table now
    capped: bool = False  # counting stopped at `value`: more rows match

    @property
    def is_few(self) -> bool:
        """Every matching row was counted, so there are at most COUNT_CAP."""
        return not (self.estimated or self.capped)


def vps_count(rows: QuerySet[VpsSnapshot], *, filtered: bool, sync: SyncStatus) -> RowCount:
    """How many VPSes the list holds: the last sync's count when unfiltered, else a count capped at COUNT_CAP."""
    if not filtered and sync.last_success is not None:
        return RowCount(sync.last_success.vps_count, estimated=True)
    counted = rows.order_by()[: COUNT_CAP + 1].count()
    return RowCount(COUNT_CAP, capped=True) if counted > COUNT_CAP else RowCount(counted)


def vps_get(*, vps_id: str) -> VpsSnapshot | None:
    return VpsSnapshot.objects.filter(vps_id=vps_id).first()


# A skip scan: one probe of vps_power_idx per distinct state instead of reading every row,
# so it costs the same at 100,000 VPSes as at 100. Raw SQL: the ORM has no recursive CTE.
POWER_STATES_SQL = """
WITH RECURSIVE states(power_state) AS (
    SELECT MIN(power_state) FROM inventory_vpssnapshot WHERE power_state > ''
    UNION ALL
    SELECT (SELECT MIN(power_state) FROM inventory_vpssnapshot WHERE power_state > states.power_state)
    FROM states WHERE states.power_state IS NOT NULL
)
SELECT power_state FROM states WHERE power_state IS NOT NULL
"""


def power_states() -> list[str]:
    """Power states present in the snapshot, in order, for the filter's choices."""
    with connection.cursor() as cursor:
        cursor.execute(POWER_STATES_SQL)
        return [state for (state,) in cursor.fetchall()]


@dataclass(frozen=True)
class SyncStatus:
    last_run: SyncRun | None  # the newest run, whatever its outcome
    last_success: SyncRun | None

    @property
    def data_age(self) -> timedelta | None:
        if self.last_success is None or self.last_success.finished_at is None:
            return None
        return timezone.now() - self.last_success.finished_at

    @property
    def is_stale(self) -> bool:
        age = self.data_age
        return age is None or age > timedelta(seconds=settings.INVENTORY_MAX_AGE)


def sync_status() -> SyncStatus:
    last_run = SyncRun.objects.first()
    if last_run is not None and last_run.status == SyncRun.Status.SUCCEEDED:
        return SyncStatus(last_run=last_run, last_success=last_run)  # the usual case: one query
    return SyncStatus(last_run=last_run, last_success=SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).first())


def last_sync_finished_at() -> datetime | None:
    """When the newest successful inventory sync finished, None before the first."""
    return SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).values_list("finished_at", flat=True).first()


def newest_state_checked_at() -> datetime | None:
    """When HostUp last answered for a routed-IPv6 state: every stored state came from an answer."""
    checked = VpsSnapshot.objects.exclude(state_checked_at=None).order_by("-state_checked_at")
    return checked.values_list("state_checked_at", flat=True).first()


# The state pass's order: never-read rows first (Postgres sorts NULLs last), then the oldest (vps_state_queue_idx).
STATE_QUEUE_ORDER = (F("state_checked_at").asc(nulls_first=True), "vps_id")


def state_queue() -> Q:
    """Rows due for a state read: never read, or read longer than STATE_PASS_MIN_AGE ago."""
    cutoff = timezone.now() - timedelta(seconds=settings.STATE_PASS_MIN_AGE)
    return Q(state_checked_at__isnull=True) | Q(state_checked_at__lt=cutoff)


def state_pass_has_work() -> bool:
    return VpsSnapshot.objects.filter(state_queue()).exists()


def inventory_pass_is_due() -> bool:
    """No inventory sync succeeded within the last INVENTORY_SYNC_EVERY seconds."""
    last = last_sync_finished_at()
    return last is None or timezone.now() - last >= timedelta(seconds=settings.INVENTORY_SYNC_EVERY)


def oldest_state_checked_at() -> datetime | None:
    """The stalest routed-IPv6 state that has been read (never-read rows are counted apart)."""
    checked = VpsSnapshot.objects.exclude(state_checked_at=None).order_by(*STATE_QUEUE_ORDER)
    return checked.values_list("state_checked_at", flat=True).first()


def states_never_read() -> int:
    return VpsSnapshot.objects.filter(state_checked_at=None).count()
