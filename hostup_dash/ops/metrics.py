"""/metrics: the HostUp calls of this host's processes, and facts read from Postgres at scrape time."""

from __future__ import annotations

import hmac
import os
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.db.models.functions import Greatest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateEvent, ProcrastinateJob
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.jobs import worker_last_heartbeat
from hostup_dash.inventory.models import VpsSnapshot

# Upper bounds of the state-age buckets; a state read 3 minutes ago counts under age="5m".
STATE_AGE_BUCKETS = (("1m", 60), ("5m", 300), ("15m", 900), ("1h", 3600), ("1d", 86400))
STATE_NEVER_READ = "never"
STATE_OLDER = "older"
# The events that put a job (back) in the queue: it has waited since the newest of them.
QUEUED_EVENTS = ("deferred", "deferred_for_retry", "retried")


def token_matches(authorization: str, token: str) -> bool:
    """`Authorization: Bearer <token>` with the configured token; never true while none is configured."""
    scheme, _, credentials = authorization.partition(" ")
    # Bytes: compare_digest refuses non-ASCII text, and a header may carry any.
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(credentials.encode(), token.encode())


def exposition() -> bytes:
    """Every metric in Prometheus' text format. Raises DatabaseError when Postgres cannot be read."""
    registry = CollectorRegistry()
    registry.register(_HostRuns() if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else REGISTRY)
    registry.register(_PostgresFacts())
    return generate_latest(registry)


class _HostRuns:
    """The HostUp-call metrics of every process on this host, from prometheus-client's files.

    Each run (make serve, make worker, bin/run-dev) writes in its own PROMETHEUS_MULTIPROC_DIR, emptied as it
    starts; the runs' directories sit side by side, so the web's scrape adds up the worker's calls too.
    """

    def collect(self) -> Iterator[Metric]:
        runs = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).resolve().parent
        yield from MultiProcessCollector.merge([str(path) for path in runs.glob("*/*.db")])


class _AuditCounts:
    """Audit records by (action, outcome), each record counted once per process.

    The log is append-only and its ids become visible in order (appends hold one lock until they
    commit), so a scrape counts only the records after the newest it has seen: the first scrape
    reads the whole log once, the next ones a few index pages of the primary key.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # gunicorn threads may scrape at once
        self._seen_id = 0
        self._counts: Counter[tuple[str, str]] = Counter()

    def current(self) -> dict[tuple[str, str], int]:
        with self._lock:
            rows = (
                AuditRecord.objects.filter(id__gt=self._seen_id)
                .values_list("action", "outcome")
                .annotate(records=Count("id"), newest=Max("id"))
                .order_by()
            )
            for action, outcome, records, newest in rows:
                self._counts[action, outcome] += records
                self._seen_id = max(self._seen_id, newest)
            return dict(self._counts)


_audit_counts = _AuditCounts()


class _PostgresFacts:
    """What the database knows, read at each scrape, so every web process answers the same."""

    def collect(self) -> Iterator[Metric]:
        yield self._audit_records()
        yield self._states_by_age()
        yield from self._queue()
        heartbeat = worker_last_heartbeat()
        if heartbeat:
            yield GaugeMetricFamily(
                "hostup_dash_worker_last_heartbeat_timestamp_seconds",
                "When a worker last wrote its heartbeat (Unix time), the newest of all workers.",
                value=heartbeat.timestamp(),
            )

    def _audit_records(self) -> Metric:
        family = CounterMetricFamily(
            "hostup_dash_audit_records",
            "Audit records by action and outcome: an action's intent counts as pending, its outcome once more.",
            labels=["action", "outcome"],
        )
        for (action, outcome), records in sorted(_audit_counts.current().items()):
            family.add_metric([action, outcome], records)
        return family

    def _states_by_age(self) -> Metric:
        now = timezone.now()
        buckets = {STATE_NEVER_READ: Q(state_checked_at__isnull=True)}
        previous_bound = None
        for label, seconds in STATE_AGE_BUCKETS:
            bound = now - timedelta(seconds=seconds)
            buckets[label] = Q(state_checked_at__gt=bound)
            if previous_bound:
                buckets[label] &= Q(state_checked_at__lte=previous_bound)
            previous_bound = bound
        buckets[STATE_OLDER] = Q(state_checked_at__lte=previous_bound)
        counts = VpsSnapshot.objects.aggregate(**{label: Count("pk", filter=rule) for label, rule in buckets.items()})
        family = GaugeMetricFamily(
            "hostup_dash_vps_states",
            'VPSes by the age of their stored routed-IPv6 state: age="5m" read 1 to 5 minutes ago, "never" not yet.',
            labels=["age"],
        )
        for label, count in counts.items():
            family.add_metric([label], count)
        return family

    def _queue(self) -> Iterator[Metric]:
        now = timezone.now()
        queued_at = ProcrastinateEvent.objects.filter(job=OuterRef("pk"), type__in=QUEUED_EVENTS).order_by("-at")
        waiting = (
            ProcrastinateJob.objects.filter(Q(scheduled_at__isnull=True) | Q(scheduled_at__lte=now), status="todo")
            .alias(waiting_since=Greatest("scheduled_at", Subquery(queued_at.values("at")[:1])))
            .values_list("queue_name")
            .annotate(jobs=Count("id"), oldest=Min("waiting_since"))
            .order_by()
        )
        depth = GaugeMetricFamily(
            "hostup_dash_queue_depth", "Jobs waiting for a worker (due now), by queue.", labels=["queue"]
        )
        oldest = GaugeMetricFamily(
            "hostup_dash_queue_oldest_job_age_seconds", "How long the oldest waiting job has waited.", labels=["queue"]
        )
        for queue, jobs, since in waiting:
            depth.add_metric([queue], jobs)
            if since:
                oldest.add_metric([queue], (now - since).total_seconds())
        yield depth
        yield oldest
