"""Reads of the audit log: newest first, keyset-paged, every filter served by an index."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection, models
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, TextField, Value, When
from django.db.models.functions import Cast, Concat, Upper

from hostup_dash.hostup import is_valid_vps_id

from .models import GENESIS_HASH, AuditRecord

Outcome = AuditRecord.Outcome
PAGE_SIZE = 50
VPS_HISTORY_LIMIT = 50


class Source(models.TextChoices):
    """Which side of the trail /audit/ shows: our records, HostUp's imported log (hostup_dash.trail), or both."""

    DASHBOARD = "dashboard", "Dashboard"
    HOSTUP = "hostup", "HostUp (routed IPv6)"
    HOSTUP_ALL = "hostup-all", "HostUp, every category"
    OUTSIDE = "outside", "Outside the dashboard only"


@dataclass(frozen=True)
class AuditFilters:
    source: str = ""  # a Source, or both sides
    vps: str = ""  # a VPS id or a name (any case)
    actor: str = ""
    action: str = ""
    outcome: str = ""
    prefix: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    reason: str = ""  # words anywhere in the reason, any case
    ticket: str = ""  # the whole ticket, any case

    def as_dict(self) -> dict[str, str]:
        """The filters that are set, as strings (for URLs, export headers and audit bodies)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        return {name: str(value) for name, value in values.items() if value}


def _visible() -> QuerySet[AuditRecord]:
    """All records but the intents whose outcome is recorded: the outcome record repeats them."""
    has_outcome = Exists(AuditRecord.objects.filter(intent=OuterRef("pk")))
    return AuditRecord.objects.exclude(Q(outcome=Outcome.PENDING) & has_outcome)


def _first_id_at_or_after(moment: datetime) -> int | None:
    return (
        AuditRecord.objects.filter(created_at__gte=moment).order_by("created_at").values_list("id", flat=True).first()
    )


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def audit_filtered(filters: AuditFilters, *, every_record: bool = False) -> QuerySet[AuditRecord]:
    """Records matching the filters, unordered. Pages leave out the intents an outcome repeats;
    exports (`every_record`) keep them, or an unfiltered export would not be the whole chain."""
    if filters.source not in ("", Source.DASHBOARD):
        return AuditRecord.objects.none()
    records = AuditRecord.objects.all() if every_record else _visible()
    if filters.vps:
        if is_valid_vps_id(filters.vps):
            records = records.filter(vps_id=filters.vps)
        else:
            records = records.annotate(vps_name_upper=Upper("vps_name")).filter(vps_name_upper=filters.vps.upper())
    if filters.actor:
        records = records.filter(actor_name=filters.actor)
    if filters.action:
        records = records.filter(action=filters.action)
    if filters.outcome == Outcome.UNKNOWN:
        # An intent with no outcome record (a killed worker, or still in flight) is unknown too.
        records = records.filter(outcome__in=[Outcome.UNKNOWN, Outcome.PENDING])
    elif filters.outcome:
        records = records.filter(outcome=filters.outcome)
    if filters.prefix:
        records = records.filter(result_prefix=filters.prefix)
    if filters.reason:  # UPPER(reason) LIKE '%…%': served by the trigram index audit_reason_trgm_idx
        records = records.filter(reason__icontains=filters.reason)
    if filters.ticket:
        records = records.annotate(ticket_upper=Upper("ticket")).filter(ticket_upper=filters.ticket.upper())
    # Ids grow with time (appends are serialised), so a date range is an id range: one
    # short look-up in the created_at index, then the id order serves the page.
    if filters.date_from:
        first = _first_id_at_or_after(_day_start(filters.date_from))
        records = records.filter(id__gte=first) if first is not None else records.none()
    if filters.date_to:
        after = _first_id_at_or_after(_day_start(filters.date_to + timedelta(days=1)))
        if after is not None:
            records = records.filter(id__lt=after)
    return records


@dataclass(frozen=True)
class AuditPage:
    records: list[AuditRecord]
    older_than: int | None  # pass as `before` for the next older page, None on the oldest
    newer_than: int | None  # pass as `after` for the next newer page, None on the newest


def audit_page(
    filters: AuditFilters, *, before: int | None = None, after: int | None = None, size: int = PAGE_SIZE
) -> AuditPage:
    """One page, newest first, found by keyset (no OFFSET, no COUNT)."""
    records = audit_filtered(filters)
    if after is not None:
        # Walking towards newer records: read upwards, then flip to newest-first.
        rows = list(records.filter(id__gt=after).order_by("id")[: size + 1])
        has_newer, rows = len(rows) > size, rows[:size][::-1]
        has_older = bool(rows) and records.filter(id__lt=rows[-1].id).exists()
    else:
        if before is not None:
            records = records.filter(id__lt=before)
        rows = list(records.order_by("-id")[: size + 1])
        has_older, rows = len(rows) > size, rows[:size]
        has_newer = before is not None and bool(rows) and audit_filtered(filters).filter(id__gt=rows[0].id).exists()
    return AuditPage(
        records=rows,
        older_than=rows[-1].id if has_older else None,
        newer_than=rows[0].id if has_newer else None,
    )


EXPORT_COLUMNS = (
    "id",
    "created_at",
    "actor_name",
    "actor_role",
    "client_ip",
    "vps_id",
    "vps_name",
    "action",
    "outcome",
    "http_status",
    "problem_code",
    "problem_detail",
    "hostup_request_id",
    "result_prefix",
    "result_next_hop",
    "duration_ms",
    "reason",
    "ticket",
    "request_body",
    "intent_id",
    "prev_hash",
    "hash",
)
# Both sides of the trail in one CSV (issue 11): each row's source, then a HostUp event's own facts
# (empty on our records, whose actor_id is the user's id).
HOSTUP_EXPORT_COLUMNS = (
    "hostup_event_id",
    "actor_type",
    "actor_id",
    "request_id",
    "path",
    "status_code",
    "success",
    "occurred_at",
    "outside_dashboard",
)
CSV_COLUMNS = (*EXPORT_COLUMNS, "source", *HOSTUP_EXPORT_COLUMNS)
# The JSON Lines export also carries the hashed fields the CSV leaves out, so anyone can recompute each
# record's hash from the file alone (`audit_verify --export`).
JSONL_COLUMNS = (*EXPORT_COLUMNS, "actor_id", "problem", "bulk_run_id", "change_request_id")


# Text a spreadsheet would run as a formula. Anyone can put such text in a record, e.g. as the
# username of a failed login, so the CSV export starts those cells with a quote (OWASP's advice).
FORMULA_START = r"^[-=+@\t\r]"
# The columns whose text comes from outside: people, HostUp, the network. The others are
# our own choices, validated ids or hex hashes.
OUTSIDE_TEXT = {
    "actor_name",
    "client_ip",
    "vps_name",
    "problem_code",
    "problem_detail",
    "hostup_request_id",
    "result_prefix",
    "result_next_hop",
    "reason",
    "ticket",
}


def _defused(name: str) -> Case:
    return Case(
        When(**{f"{name}__regex": FORMULA_START}, then=Concat(Value("'"), F(name))),
        default=F(name),
        output_field=TextField(),
    )


def _export_query(
    filters: AuditFilters, *, for_spreadsheet: bool = False, names: tuple[str, ...] = EXPORT_COLUMNS
) -> QuerySet:
    # The request body as Postgres's JSON text, so no row needs decoding and re-encoding.
    records = audit_filtered(filters, every_record=True).annotate(request_body_text=Cast("request_body", TextField()))
    columns = []
    for name in names:
        if name == "source":
            records = records.annotate(source_cell=Value(Source.DASHBOARD, output_field=TextField()))
            columns.append("source_cell")
        elif name in HOSTUP_EXPORT_COLUMNS and name != "actor_id":
            records = records.annotate(**{f"{name}_cell": Value(None, output_field=TextField())})
            columns.append(f"{name}_cell")
        elif name == "request_body":
            columns.append("request_body_text")
        elif for_spreadsheet and name in OUTSIDE_TEXT:
            records = records.annotate(**{f"{name}_cell": _defused(name)})
            columns.append(f"{name}_cell")
        else:
            columns.append(name)
    return records.order_by("-id").values_list(*columns)


def audit_export_rows(filters: AuditFilters) -> Iterator[tuple]:
    """Every matching record as a tuple of JSONL_COLUMNS, newest first, through a server-side cursor."""
    return _export_query(filters, names=JSONL_COLUMNS).iterator(chunk_size=5000)


def audit_export_csv_blocks(filters: AuditFilters) -> Generator[bytes, None, int]:
    """Every matching record as CSV rows (no header), newest first, written by Postgres itself;
    returns how many rows it wrote.

    COPY streams in blocks of a few kB: constant memory, and no Python object per row.
    """
    return queryset_csv_blocks(_export_query(filters, for_spreadsheet=True, names=CSV_COLUMNS))


def queryset_csv_blocks(rows: QuerySet) -> Generator[bytes, None, int]:
    """A values_list query as CSV rows written by Postgres's COPY; returns how many rows it wrote."""
    try:
        sql, params = rows.query.sql_with_params()
    except EmptyResultSet:  # Django knows the filter matches nothing, so it writes no SQL
        return 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for block in copy:
                yield bytes(block)
        return cursor.cursor.rowcount  # the count in COPY's own "COPY n" answer


def audit_for_vps(*, vps_id: str, limit: int = VPS_HISTORY_LIMIT) -> list[AuditRecord]:
    """A VPS's own action history, newest first."""
    return list(_visible().filter(vps_id=vps_id).order_by("-id")[:limit])


@dataclass(frozen=True)
class ChainCheck:
    """Whether one record's hash and its link to the record before it hold."""

    hash_matches: bool
    link_matches: bool
    previous_id: int | None

    @property
    def is_intact(self) -> bool:
        return self.hash_matches and self.link_matches


def audit_record_chain_check(record: AuditRecord) -> ChainCheck:
    previous = AuditRecord.objects.filter(id__lt=record.id).order_by("-id").values_list("id", "hash").first()
    expected_prev = previous[1] if previous else GENESIS_HASH
    return ChainCheck(
        hash_matches=record.compute_hash() == record.hash,
        link_matches=record.prev_hash == expected_prev,
        previous_id=previous[0] if previous else None,
    )


@dataclass(frozen=True)
class AuditRecordDetail:
    """One record with what its page shows beside it."""

    record: AuditRecord
    chain: ChainCheck
    outcomes: list[AuditRecord]  # the outcome records of an intent, empty for any other record
    # For a record of a change request: who asked for it and who decided it (four eyes), oldest first.
    change_people: list[AuditRecord]


# The steps of a change request that name its people.
CHANGE_PEOPLE = (AuditRecord.Action.CHANGE_REQUEST, AuditRecord.Action.CHANGE_APPROVE, AuditRecord.Action.CHANGE_REJECT)


def audit_record_detail(*, record_id: int) -> AuditRecordDetail | None:
    record = AuditRecord.objects.filter(id=record_id).select_related("intent").first()
    if record is None:
        return None
    outcomes = list(record.outcomes.all())
    people = []
    if record.change_request_id is not None:  # the VPS's index serves this read
        people = list(
            AuditRecord.objects.filter(
                vps_id=record.vps_id,
                change_request_id=record.change_request_id,
                action__in=CHANGE_PEOPLE,
                outcome=Outcome.SUCCEEDED,
            ).order_by("id")
        )
    chain = audit_record_chain_check(record)
    return AuditRecordDetail(record=record, chain=chain, outcomes=outcomes, change_people=people)
