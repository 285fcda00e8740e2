"""Reads for bulk runs: which VPSes a run would cover, and a run's progress."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, IntegerField, Q, Value, When

from hostup_dash.audit.models import AuditRecord
from hostup_dash.inventory import selectors as inventory_selectors

from .models import BulkItem, BulkRun

State = BulkItem.State
# A run page lists this many items, the ones that need a reader's eye first.
ITEMS_SHOWN = 200
RUNS_SHOWN = 50
# Failures, unknowns and skips first: they are what a reader of a big run looks for.
ATTENTION_ORDER = Case(
    When(state=State.FAILED, then=Value(0)),
    When(state=State.UNKNOWN, then=Value(1)),
    When(state=State.SKIPPED, then=Value(2)),
    When(state=State.RUNNING, then=Value(3)),
    default=Value(4),
    output_field=IntegerField(),
)


def bulk_targets(
    *, query: str = "", power_state: str = "", has_routed_ipv6: bool | None = None, state: str = "", limit: int
) -> list[str]:
    """The VPS ids the list shows for these filters (a state: one of inventory's VpsState), by name; at most `limit`."""
    rows = inventory_selectors.vps_list(
        query=query, power_state=power_state, has_routed_ipv6=has_routed_ipv6, state=state
    )
    return list(rows.order_by("name", "vps_id").values_list("vps_id", flat=True)[:limit])


@dataclass(frozen=True)
class BulkCounts:
    pending: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    unknown: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        return self.pending + self.running + self.done

    @property
    def done(self) -> int:
        return self.succeeded + self.failed + self.unknown + self.skipped

    @property
    def percent(self) -> int:
        return 100 if not self.total else self.done * 100 // self.total

    @property
    def has_trouble(self) -> bool:
        """Something failed or may or may not have happened: a script should hear about it."""
        return bool(self.failed or self.unknown)


def _count_columns() -> dict[str, Count]:
    return {state.value: Count("items", filter=Q(items__state=state)) for state in State}


def bulk_counts(*, run_id: int) -> BulkCounts:
    per_state = dict(BulkItem.objects.filter(run_id=run_id).values_list("state").annotate(Count("id")).order_by())
    return BulkCounts(**per_state)


@dataclass(frozen=True)
class BulkRunDetail:
    run: BulkRun
    counts: BulkCounts
    items: list[BulkItem]  # at most ITEMS_SHOWN, failures first


def bulk_run_get(*, run_id: int) -> BulkRun | None:
    return BulkRun.objects.filter(pk=run_id).first()


def bulk_run_detail(*, run_id: int) -> BulkRunDetail | None:
    """A run, its counts per state and the items to show; three queries."""
    run = bulk_run_get(run_id=run_id)
    if run is None:
        return None
    items = list(run.items.order_by(ATTENTION_ORDER, "id")[:ITEMS_SHOWN])
    return BulkRunDetail(run=run, counts=bulk_counts(run_id=run_id), items=items)


def bulk_run_list(*, limit: int = RUNS_SHOWN) -> list[tuple[BulkRun, BulkCounts]]:
    """The newest runs with their counts per state, in one query."""
    runs = BulkRun.objects.annotate(**{f"count_{name}": column for name, column in _count_columns().items()})
    return [
        (run, BulkCounts(**{state.value: getattr(run, f"count_{state.value}") for state in State}))
        for run in runs.order_by("-id")[:limit]
    ]


def bulk_item_last_record_id(*, run_id: int, vps_id: str) -> int | None:
    """The newest audit record an item's action left (its outcome, or an intent whose outcome never came)."""
    records = AuditRecord.objects.filter(bulk_run_id=run_id, vps_id=vps_id).order_by("-id")
    return records.values_list("id", flat=True).first()
