"""Reads of the inventory snapshot. The list page never calls HostUp."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from .models import OUTSIDE_CHANGE_RECENT, AllocationStatus, StateCounts, SyncRun, VpsSnapshot

PAGE_SIZE = 50
# A filtered list counts its matches up to here and then says "more than": an exact
# count of a broad search would read most of the table on every keystroke. Up to here,
# too, the matches are read through the search's indexes and sorted (see vps_page).
COUNT_CAP = 2000
# A cursor is a row's place in the list's order, "key|vps_id", the key being the sorted
# column's value. A VPS id never holds the separator and a key may, so the id is whatever follows the last one.
CURSOR_SEPARATOR = "|"
# The counts above the list are recounted when older than this, by the first request or worker tick to see it.
STATE_COUNTS_MAX_AGE = timedelta(seconds=10)
STATE_COUNTS_KEY = "fleet"

Key = tuple[str, str]  # (sort key as the cursor writes it, vps_id)


class VpsState(models.TextChoices):
    """The states the list filters by and counts, named as the rows' badges name them."""

    ACTIVE = "active", "active"
    DRIFTED = "drifted", "next hop differs"
    UNAVAILABLE = "unavailable", "unavailable"
    COOLDOWN = "cooldown", "in cooldown"
    NEVER_CHECKED = "never-checked", "never checked"
    UNREADABLE = "unreadable", "could not read"
    OUTSIDE = "outside", "changed outside the dashboard"


def state_filters() -> dict[str, Q]:
    """Each state as a filter; each agrees with the VpsSnapshot property its badge reads (a test holds them to it)."""
    active = Q(allocation_status=AllocationStatus.ACTIVE)  # has_active_allocation
    cooldown = Q(allocation_status=AllocationStatus.COOLDOWN, cooldown_until__gt=timezone.now())  # is_in_cooldown
    return {
        VpsState.ACTIVE: active,
        VpsState.DRIFTED: active
        & ~Q(suggested_next_hop="")
        & ~Q(next_hop=F("suggested_next_hop")),  # is_next_hop_stale
        VpsState.UNAVAILABLE: Q(routed_available=False) & ~cooldown,  # is_unavailable
        VpsState.COOLDOWN: cooldown,
        VpsState.NEVER_CHECKED: Q(state_checked_at__isnull=True),  # is_never_checked
        VpsState.UNREADABLE: ~Q(state_error=""),  # has_state_error
        VpsState.OUTSIDE: Q(outside_changed_at__gt=timezone.now() - OUTSIDE_CHANGE_RECENT),  # is_changed_outside
    }


def state_counts_count() -> dict[str, int]:
    """How many VPSes are in each state: one pass over the table, COUNT(*) FILTER (WHERE …) per state."""
    return VpsSnapshot.objects.aggregate(**{state: Count("pk", filter=q) for state, q in state_filters().items()})


def state_counts() -> dict[str, int]:
    """The counts above the list, from a one-row table; recounted when older than STATE_COUNTS_MAX_AGE.

    A read-through cache of derived numbers, so the list never counts the table on a render.
    Whoever moves counted_at on recounts; a request that loses that race shows the counts it read.
    """
    now = timezone.now()
    cached = StateCounts.objects.filter(key=STATE_COUNTS_KEY).first()
    if cached is not None:
        if now - cached.counted_at < STATE_COUNTS_MAX_AGE:
            return cached.counts
        rows = StateCounts.objects.filter(key=STATE_COUNTS_KEY, counted_at=cached.counted_at)
        if not rows.update(counted_at=now):
            return cached.counts
    counts = state_counts_count()
    fresh = StateCounts(key=STATE_COUNTS_KEY, counts=counts, counted_at=now)
    StateCounts.objects.bulk_create(
        [fresh], update_conflicts=True, unique_fields=["key"], update_fields=["counts", "counted_at"]
    )
    return counts


@dataclass(frozen=True)
class Sort:
    """One order of the list: a column, then vps_id to break ties, each served by an index."""

    column: str
    descending: bool = False
    nullable: bool = False  # NULLs (never read) come first ascending, last descending, as vps_state_queue_idx has them

    def order(self, *, few: bool = False) -> tuple:
        """ORDER BY. `few` asks for the same order in a form no index gives, so PostgreSQL finds the rows
        first and sorts them (see vps_page): NULLS FIRST ascending (LAST descending) on a NOT NULL column
        moves no row, but the indexes keep such NULLs the other way."""
        direction = "desc" if self.descending else "asc"
        nulls = {"nulls_last": True} if self.descending else {"nulls_first": True}
        column = getattr(F(self.column), direction)(**(nulls if self.nullable or few else {}))
        return column, getattr(F("vps_id"), direction)(**(nulls if few else {}))

    def key_of(self, vps: VpsSnapshot) -> str:
        value = getattr(vps, self.column)
        return "" if value is None else value.isoformat() if isinstance(value, datetime) else value

    def parse(self, text: str):
        """The column's value a cursor's key stands for; raises ValueError when it stands for none."""
        if not self.nullable:
            return text
        if text == "":
            return None
        value = datetime.fromisoformat(text)
        if value.tzinfo is None:  # the cursors the pager writes carry their zone
            raise ValueError(text)
        return value

    def beyond(self, value, vps_id: str, *, later: bool) -> Q:
        """Rows after (later) or before this place in the column's ascending order, NULLs first.

        The outer __gte / __lte repeats what the OR says: it gives PostgreSQL the index bound
        to start the scan from, where the OR alone would make it walk the index from the beginning.
        """
        column, nulls = self.column, Q(**{f"{self.column}__isnull": True})
        if value is None:
            return (nulls & Q(vps_id__gt=vps_id)) | ~nulls if later else nulls & Q(vps_id__lt=vps_id)
        bound, strict = ("gte", "gt") if later else ("lte", "lt")
        place = Q(**{f"{column}__{bound}": value}) & (
            Q(**{f"{column}__{strict}": value}) | Q(**{f"vps_id__{strict}": vps_id})
        )
        return place | nulls if self.nullable and not later else place


SORTS = {
    "name": Sort("name"),
    "-name": Sort("name", descending=True),
    "checked": Sort("state_checked_at", nullable=True),  # never read, then the oldest state first
    "-checked": Sort("state_checked_at", descending=True, nullable=True),
    "prefix": Sort("routed_prefix"),
    "-prefix": Sort("routed_prefix", descending=True),
}
DEFAULT_SORT = "name"


def vps_list(
    *, query: str = "", power_state: str = "", has_routed_ipv6: bool | None = None, state: str = ""
) -> QuerySet[VpsSnapshot]:
    """Snapshot rows matching a search (name, IP or prefix) and filters (a state: one of VpsState)."""
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
    if state:
        rows = rows.filter(state_filters()[state])
    return rows


def cursor_key(cursor: str) -> Key | None:
    """The (key, vps_id) a cursor points at; None when the text is not a cursor."""
    key, separator, vps_id = cursor.rpartition(CURSOR_SEPARATOR)
    return (key, vps_id) if separator and vps_id else None


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
    sort: Sort = SORTS[DEFAULT_SORT],
    after: Key | None = None,
    before: Key | None = None,
    size: int = PAGE_SIZE,
    few: bool = False,
) -> VpsPage:
    """One page by keyset on (the sort's column, vps_id): no OFFSET, no COUNT, one query.

    `few` says the rows are known to be few (a filter counted in full): they are then picked by the
    search's trigram indexes and sorted. Walking vps_name_idx instead, PostgreSQL expects the
    matches spread over the alphabet, but names of one kind cluster ("web-…" sort last), and
    it would filter most of the table before the first of them.

    A page reached through a cursor has a page on the side it came from, so that side needs no
    query. A cursor that leads nowhere (crafted, from another sort, or its rows are gone) gives the
    first page, and so does walking back to the start: a full page, not the few rows left before the
    cursor. Either costs a second query.
    """
    ordered = rows.order_by(*sort.order(few=few))

    def cursor(vps: VpsSnapshot) -> str:
        return f"{sort.key_of(vps)}{CURSOR_SEPARATOR}{vps.vps_id}"

    def beyond(key: Key, *, forward: bool) -> Q | None:
        try:
            value = sort.parse(key[0])
        except ValueError:
            return None
        return sort.beyond(value, key[1], later=forward != sort.descending)

    if before is not None and (back := beyond(before, forward=False)) is not None:
        # Walking back: read against the list's order from the cursor, then flip into it.
        found = list(ordered.filter(back).reverse()[: size + 1])
        if len(found) > size:
            page = found[:size][::-1]
            return VpsPage(page, next_cursor=cursor(page[-1]), previous_cursor=cursor(page[0]))
    elif after is not None and (on := beyond(after, forward=True)) is not None:
        found = list(ordered.filter(on)[: size + 1])
        if found:
            page = found[:size]
            next_cursor = cursor(page[-1]) if len(found) > size else None
            return VpsPage(page, next_cursor=next_cursor, previous_cursor=cursor(page[0]))
    found = list(ordered[: size + 1])
    next_cursor = cursor(found[size - 1]) if len(found) > size else None
    return VpsPage(found[:size], next_cursor=next_cursor, previous_cursor=None)


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


# A row a worker claimed and never finished (it was killed) may be read by another after this.
CLAIM_LEASE = timedelta(minutes=2)


def state_queue() -> Q:
    """Rows due for a state read: never read, or read longer than STATE_PASS_MIN_AGE ago."""
    cutoff = timezone.now() - timedelta(seconds=settings.STATE_PASS_MIN_AGE)
    return Q(state_checked_at__isnull=True) | Q(state_checked_at__lt=cutoff)


def state_claimable() -> QuerySet[VpsSnapshot]:
    """Rows a worker's slice may claim now: due, and held by no live claim (a killed worker's ends with its lease).

    The one definition both the claim and `state_pass_has_work` use: were they to differ, a
    slice would be queued for rows it cannot claim, again and again.
    """
    unclaimed = Q(state_claimed_at__isnull=True) | Q(state_claimed_at__lt=timezone.now() - CLAIM_LEASE)
    return VpsSnapshot.objects.filter(state_queue() & unclaimed)


def state_pass_has_work() -> bool:
    return state_claimable().exists()


def state_pass_due_in() -> float | None:
    """Seconds until the oldest unclaimed row is due again (0 when one is); None with no rows.

    Claimed rows are left out: a live slice reads them, and a killed worker's come back with
    the worker's next tick after their lease. Walks vps_state_queue_idx to the first unclaimed row.
    """
    oldest = list(
        VpsSnapshot.objects.filter(state_claimed_at__isnull=True)
        .order_by(*STATE_QUEUE_ORDER)
        .values_list("state_checked_at", flat=True)[:1]
    )
    if not oldest:
        return None
    if oldest[0] is None:
        return 0.0
    due_at = oldest[0] + timedelta(seconds=settings.STATE_PASS_MIN_AGE)
    return max(0.0, (due_at - timezone.now()).total_seconds())


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
