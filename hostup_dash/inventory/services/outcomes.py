"""Unknown outcomes resolved: what HostUp shows after an action whose outcome nobody saw.

After a timeout, a dropped connection or a gateway error (outcome unknown), and after a
web or worker process died between intent and outcome (no outcome at all), a job reads
the VPS's state and appends a follow-up record linked to the intent. It says in words
what HostUp now shows and whether that means the action took effect. The intent and
outcome records stay as they were: the trail is append-only. The reads are background
work, so they take from the shared rate-limit budget (budget.py).
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from procrastinate.exceptions import ProcrastinateException

from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.clients import hostup_client
from hostup_dash.core.jobs import job_defer
from hostup_dash.core.locks import advisory_lock
from hostup_dash.hostup import HostupError, RoutedIpv6State

from .budget import budget_observe, budget_pause, budget_take
from .snapshot import vps_state_store
from .state_pass import problem_in_words

logger = logging.getLogger(__name__)

Action = AuditRecord.Action
Outcome = AuditRecord.Outcome

OUTCOME_RESOLVE_TASK = "outcome_resolve"
OUTCOME_CHECKER = "outcome-check"  # the follow-up's actor, and its HostUp calls in the logs
# Give HostUp a moment to finish what it may still be doing, then wait longer after each failed read.
FIRST_CHECK_DELAY_S = 10
RETRY_DELAYS_S = (30, 120, 600, 3600)
# An intent with no outcome this long after it was written lost its web or worker process.
# An intent with no outcome this many HOSTUP_TIMEOUTs old: its process died before HostUp answered.
ORPHAN_AFTER_TIMEOUTS = 2
WORKER_STOPPED = "worker_stopped"
WORKER_STOPPED_DETAIL = "The worker handling this action stopped before HostUp answered."
# The sweep runs every few minutes; only a day without any worker could leave an intent behind.
SWEEP_LOOKBACK = timedelta(days=1)
SWEEP_BATCH = 500

# The follow-up's problem_code: the VPS history and /audit/ show it with the sentence.
TOOK_EFFECT = "took_effect"
NOT_TAKEN = "not_taken"
NOT_CHECKED = "not_checked"
# The actions whose intents are checked, as the follow-up names them.
ACTION_NOUNS = {Action.ALLOCATE: "allocation", Action.REFRESH_NEXT_HOP: "next-hop refresh", Action.RELEASE: "release"}


def outcome_check_queue(*, intent_id: int, delay_s: float | None = None, attempt: int = 1) -> bool:
    """Ask the worker to check an intent's outcome (after FIRST_CHECK_DELAY_S unless told); False when a check
    is already waiting or cannot be queued.

    Never raises: the person who clicked must get their answer even when the job table is
    unreachable. The sweep finds the intent again later.
    """
    try:
        return job_defer(
            OUTCOME_RESOLVE_TASK,
            schedule_in_s=FIRST_CHECK_DELAY_S if delay_s is None else delay_s,
            queueing_lock=f"{OUTCOME_RESOLVE_TASK}:{intent_id}",
            intent_id=intent_id,
            attempt=attempt,
        )
    except (DatabaseError, ProcrastinateException):
        logger.exception("could not queue the outcome check of audit record %s", intent_id)
        return False


def outcome_resolve(*, intent_id: int, attempt: int = 1) -> AuditRecord | None:
    """Read what HostUp shows for an intent's VPS and append the follow-up; None when nothing was appended.

    Does nothing for an intent whose outcome is known (or already followed up). When HostUp
    cannot be read, queues the next attempt, and after the last appends a record saying so.
    """
    intent = AuditRecord.objects.filter(pk=intent_id, outcome=Outcome.PENDING, action__in=ACTION_NOUNS).first()
    with advisory_lock(f"{OUTCOME_RESOLVE_TASK}:{intent_id}") as acquired:
        # Checked under the lock: another run of this check may have appended the follow-up meanwhile.
        if not acquired or intent is None or _is_settled(intent):
            return None
        wait = budget_take()
        if wait:
            outcome_check_queue(intent_id=intent_id, delay_s=wait, attempt=attempt)
            return None
        client = hostup_client(actor=OUTCOME_CHECKER, max_retry_wait=0.0)  # retries are ours, in the queue
        started = time.monotonic()
        try:
            state, problem = client.get_routed_ipv6(intent.vps_id), None
        except HostupError as error:
            state, problem = None, error
        finally:
            client.close()
        duration_ms = round((time.monotonic() - started) * 1000)
        budget_observe(client)
        if problem is not None:
            return _retry_or_give_up(intent, attempt=attempt, problem=problem, duration_ms=duration_ms)
        return _follow_up_record(intent, state=state, duration_ms=duration_ms)


def outcome_sweep() -> int:
    """Check each recent intent whose outcome is still not known; returns how many checks were queued.

    An intent with no outcome record at all, older than twice HOSTUP_TIMEOUT, first gets an
    outcome `unknown` record in words (its process died before HostUp answered). Cheap however
    long the log: only the window's intents are read (the outcome index, by id), each with one
    look-up of its outcome records (the intent index). An unknown outcome whose first check
    could not be queued is found here too.
    """
    now = timezone.now()
    orphan_after = timedelta(seconds=ORPHAN_AFTER_TIMEOUTS * settings.HOSTUP_TIMEOUT)
    settled = AuditRecord.objects.filter(intent=OuterRef("pk")).exclude(outcome=Outcome.UNKNOWN)
    intents = (
        AuditRecord.objects.filter(
            outcome=Outcome.PENDING,
            action__in=ACTION_NOUNS,
            created_at__gte=now - SWEEP_LOOKBACK,
            created_at__lt=now - orphan_after,
        )
        .exclude(Exists(settled))
        .annotate(has_outcome=Exists(AuditRecord.objects.filter(intent=OuterRef("pk"))))
        .order_by("id")[:SWEEP_BATCH]
    )
    queued = 0
    for intent in intents:
        # The action's own lock still held: its process is alive and waiting on HostUp, not dead.
        with advisory_lock(f"vps-action:{intent.vps_id}") as acquired:
            if not acquired:
                continue
            if not intent.has_outcome:
                _orphan_outcome_record(intent, now=now)
        queued += outcome_check_queue(intent_id=intent.id, delay_s=0)
    return queued


def _orphan_outcome_record(intent: AuditRecord, *, now: datetime) -> AuditRecord:
    stopped = HostupError(code=WORKER_STOPPED, title="No answer was recorded", detail=WORKER_STOPPED_DETAIL)
    duration_ms = round((now - intent.created_at).total_seconds() * 1000)
    return audit.audit_outcome_record(intent=intent, outcome=Outcome.UNKNOWN, duration_ms=duration_ms, problem=stopped)


def _is_settled(intent: AuditRecord) -> bool:
    """Its outcome is known: an outcome other than unknown, or a follow-up (never unknown) is recorded."""
    return AuditRecord.objects.filter(intent=intent).exclude(outcome=Outcome.UNKNOWN).exists()


def _retry_or_give_up(
    intent: AuditRecord, *, attempt: int, problem: HostupError, duration_ms: int
) -> AuditRecord | None:
    if problem.is_rate_limited:
        # Not this check's fault: every background job waits, and this attempt is not spent.
        wait = problem.retry_after or 1.0
        budget_pause(seconds=wait)
        outcome_check_queue(intent_id=intent.id, delay_s=wait, attempt=attempt)
        return None
    if attempt <= len(RETRY_DELAYS_S):
        outcome_check_queue(intent_id=intent.id, delay_s=RETRY_DELAYS_S[attempt - 1], attempt=attempt + 1)
        return None
    detail = (
        f"HostUp could not be read in {attempt} tries: whether the {ACTION_NOUNS[intent.action]} took effect "
        f"is still unknown. The last try: {problem_in_words(problem)}"
    )
    return _append(
        intent,
        outcome=Outcome.FAILED,
        problem_code=NOT_CHECKED,
        problem_detail=detail,
        http_status=problem.status,
        hostup_request_id=problem.request_id or "",
        duration_ms=duration_ms,
    )


def _follow_up_record(intent: AuditRecord, *, state: RoutedIpv6State, duration_ms: int) -> AuditRecord:
    took_effect, shown = _finding(intent.action, state)
    noun = ACTION_NOUNS[intent.action]
    active = state.active_allocation
    # The snapshot first: the append holds the audit chain's lock until the commit.
    with transaction.atomic():
        vps_state_store(vps_id=intent.vps_id, state=state)
        return _append(
            intent,
            outcome=Outcome.SUCCEEDED,
            problem_code=TOOK_EFFECT if took_effect else NOT_TAKEN,
            problem_detail=f"HostUp shows {shown}: the {noun} {'took' if took_effect else 'did not take'} effect.",
            result_prefix=(active.prefix or "") if active else "",
            result_next_hop=(active.next_hop or "") if active else "",
            duration_ms=duration_ms,
        )


def _finding(action: str, state: RoutedIpv6State) -> tuple[bool, str]:
    """Whether the action took effect, judged from the state HostUp shows, and that state in words."""
    active = state.active_allocation
    if action == Action.ALLOCATE:
        if active is None:
            return False, "no active prefix"
        return True, f"{active.prefix} allocated at {_at(active.allocated_at)}"
    if action == Action.REFRESH_NEXT_HOP:
        if active is None:
            return False, "no active prefix"
        suggested = state.suggested_next_hop
        if suggested and active.next_hop == suggested:
            return True, f"{active.prefix} routed to {active.next_hop}, the suggested next hop"
        return False, f"{active.prefix} routed to {active.next_hop}, not to the suggested {suggested or '(none)'}"
    if active:
        return False, f"{active.prefix} still allocated"
    released = state.allocation
    if released and released.released_at:
        return True, f"{released.prefix} released at {_at(released.released_at)}"
    return True, "no active prefix"


def _append(intent: AuditRecord, **fields: object) -> AuditRecord:
    """A follow-up record: the worker checked, about the intent's VPS, linked to the intent."""
    record = audit.audit_follow_up_record(
        intent=intent, actor_name=OUTCOME_CHECKER, action=Action.RESOLVE_OUTCOME, **fields
    )
    logger.info(
        "outcome of audit record %s checked: %s",
        intent.id,
        record.problem_code,
        extra={"event": "outcome_checked", "vps_id": intent.vps_id, "intent": intent.id, "audit_record": record.id},
    )
    return record


def _at(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if moment else "an unknown time"
