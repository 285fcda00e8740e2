"""The import of HostUp's audit log: every few minutes, the window since the last import.

HostUp keeps only about 12 hours and its pages are newest first, so (NOTES.md "Account audit
log"): startAt is always sent, the last import's endAt minus an overlap (an event is written when
its request ends, so it can appear after a window covering it was read); endAt is fixed for
every page of a run; the checkpoint (the run's end_at, kept by its succeeded row) moves only after
the last page. Events are stored as they come, INSERT … ON CONFLICT DO NOTHING on HostUp's id,
so a run killed half-way and run again stores nothing twice.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import timedelta
from itertools import islice
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hostup_dash.audit.services import _storable as storable  # the audit log's own cleaning of outside text
from hostup_dash.core.clients import hostup_client
from hostup_dash.core.locks import advisory_lock
from hostup_dash.hostup import HostupClient, HostupError
from hostup_dash.hostup.audit_log import AuditEvent, is_routed_ipv6, vps_id_of
from hostup_dash.inventory.services.budget import budget_observe, budget_pause, budget_take
from hostup_dash.inventory.services.state_pass import problem_in_words

from ..models import EventGap, EventImport, HostupEvent
from ..selectors import IMPORT_ABANDONED as ABANDONED
from ..selectors import last_succeeded
from .outside import outside_changes_act
from .ownership import HOSTUP_KEEPS, event_settle, outside_changes
from .reconcile import reconcile_unknown

logger = logging.getLogger(__name__)

Status = EventImport.Status
IMPORT_LOCK = "hostup-events-import"
IMPORT_ACTOR = "hostup-events"  # names the import's HostUp calls in the logs
EVENTS_IMPORT_TASK = "hostup_events_import"
OVERLAP = timedelta(minutes=5)
STORE_BATCH = 500
SCOPE_MISSING = (
    "HostUp refused to show its audit log: the dashboard's API key lacks the audit:read scope. "
    "Add that scope to the key in HostUp's panel; until then HostUp's side of the trail is not imported."
)
KEY_REJECTED = "HostUp did not accept the dashboard's API key, so its audit log could not be read."
KEY_REMOVED = "[the dashboard's API key, removed]"
KEY_MIN_LENGTH = 12
NO_IMPORT_RAN = "No import ran while HostUp still kept these events (no worker was running)."


def events_import() -> EventImport | None:
    """Import the window since the last import; None when another import holds the lock.

    A HostUp failure ends the run as failed, in words (a missing audit:read scope says so); it
    is not raised. After a succeeded run, unknown outcomes are reconciled from what it stored.
    """
    with advisory_lock(IMPORT_LOCK) as acquired:
        if not acquired:
            return None
        now = timezone.now()
        # Under the lock no other import runs: a row still "running" lost its worker.
        EventImport.objects.filter(status=Status.RUNNING).update(
            status=Status.FAILED, finished_at=now, message=ABANDONED
        )
        last = last_succeeded()
        start_at = last.end_at - OVERLAP if last else now - HOSTUP_KEEPS
        run = EventImport.objects.create(started_at=now, start_at=start_at, end_at=now - event_settle())
        client = hostup_client(actor=IMPORT_ACTOR)
        try:
            events = client.iter_audit_events(
                run.start_at, run.end_at, hide_get=True, before_page=lambda: _budget_wait(client)
            )
            while batch := list(islice(events, STORE_BATCH)):
                _store(batch, run)
            run.status = Status.SUCCEEDED
        except HostupError as problem:
            run.status, run.problem_status, run.problem_code = Status.FAILED, problem.status, problem.code
            run.message = _failure_words(problem)
            logger.warning("HostUp audit-log import failed: %s (%s)", problem.code, problem.status)
            if problem.is_rate_limited:  # every background caller holds off, as after the state pass's 429
                budget_pause(seconds=problem.retry_after or 1.0)
        except Exception:
            run.status, run.message = Status.FAILED, "The import stopped on an internal error (see the logs)."
            raise
        finally:
            client.close()
            budget_observe(client)
            run.finished_at = timezone.now()
            run.save()
            gap_note(run)
        if run.status == Status.SUCCEEDED:
            run.reconciled = reconcile_unknown()
            run.save(update_fields=["reconciled"])
    return run


def _budget_wait(client: HostupClient) -> None:
    """Each page is taken from the background share of HostUp's rate limit, like the state pass's reads."""
    while wait := budget_take(client=client):
        time.sleep(wait)


def _failure_words(problem: HostupError) -> str:
    if problem.is_scope_missing:
        return SCOPE_MISSING
    if problem.is_key_rejected:
        return KEY_REJECTED
    return problem_in_words(problem)


def _store(events: list[AuditEvent], run: EventImport) -> None:
    """Store one batch with its verdicts; the outside changes among the new events are acted on in the same commit."""
    outside = outside_changes(events)
    with transaction.atomic():
        # Only an import inserts events, and imports hold IMPORT_LOCK: what is not here yet is new.
        known = set(HostupEvent.objects.filter(id__in=[event.id for event in events]).values_list("id", flat=True))
        HostupEvent.objects.bulk_create(
            [_row(event, outside=event.id in outside) for event in events], ignore_conflicts=True
        )
        new = [event for event in events if event.id not in known]
        found = outside_changes_act([event for event in new if event.id in outside])
    run.events_seen += len(events)
    run.events_new += len(new)
    run.outside_found += found
    run.save(update_fields=["events_seen", "events_new", "outside_found"])


def _keyless(value: Any) -> Any:
    """The value without our API key, should HostUp ever echo it (a header copied into an event): it is never stored."""
    token = settings.HOSTUP_API_TOKEN
    if len(token) < KEY_MIN_LENGTH:  # no real key is that short, and removing it would mangle HostUp's text
        return value
    if isinstance(value, str):
        return value.replace(token, KEY_REMOVED)
    text, quoted = json.dumps(value), json.dumps(token)[1:-1]
    return json.loads(text.replace(quoted, KEY_REMOVED)) if quoted in text else value


def _text(value: str | None, name: str) -> str:
    """Outside text as a column holds it: NULs and lone surrogates replaced, our key removed, cut to the column's
    length."""
    text = _keyless(storable(value or ""))
    limit = HostupEvent._meta.get_field(name).max_length
    return text[:limit] if limit else text


TEXT_FIELDS = (
    "method",
    "endpoint",
    "path",
    "severity",
    "category",
    "action",
    "summary",
    "resource_label",
    "actor_type",
    "actor_id",
    "auth_method",
    "request_id",
    "ip_address",
    "user_agent",
    "error_message",
)


def _row(event: AuditEvent, *, outside: bool) -> HostupEvent:
    return HostupEvent(
        id=event.id,
        event_source=_text(event.event_source, "event_source"),
        occurred_at=event.occurred_at,
        status_code=event.status_code if event.status_code is not None and 0 <= event.status_code < 1000 else None,
        duration_ms=event.duration_ms if event.duration_ms is not None and 0 <= event.duration_ms < 2**31 else None,
        success=event.success,
        changes=_keyless(storable([{"field": c.field, "before": c.before, "after": c.after} for c in event.changes])),
        raw=_keyless(storable(event.raw)),
        vps_id=vps_id_of(event) or "",
        is_routed_ipv6=is_routed_ipv6(event),
        outside_dashboard=outside,
        **{name: _text(getattr(event, name), name) for name in TEXT_FIELDS},
    )


def gap_note(run: EventImport) -> EventGap | None:
    """Record, or extend while it lasts, the span no import read while HostUp still kept it.

    The span starts where the last succeeded import ended and ends where HostUp's memory now
    begins; a run that succeeds ends the outage. Before any import succeeded nothing is missing:
    HostUp's side of the trail begins with the first that does, which reads all HostUp still keeps
    (a first attempt failing at start-up, the worker up before HostUp answers, is no outage).
    """
    kept_from = run.started_at - HOSTUP_KEEPS
    previous = last_succeeded(before=run.started_at)
    if previous is None:
        return None
    covered_to = previous.end_at
    if covered_to >= kept_from:
        return None
    failed = (
        EventImport.objects.filter(status=Status.FAILED, started_at__gte=covered_to)
        .exclude(message=ABANDONED)
        .order_by("-started_at")
        .first()
    )
    reason = f"The imports failed: {failed.message}" if failed else NO_IMPORT_RAN
    gap, _ = EventGap.objects.update_or_create(from_at=covered_to, defaults={"to_at": kept_from, "reason": reason})
    return gap
