"""The worker's inventory jobs: the periodic inventory pass, the continuous state pass, and the
follow-up check of actions whose outcome is unknown.

Each task is idempotent: a second run, or a run after a worker was killed, reads HostUp
again and stores what it says (a follow-up is appended once per intent). Queueing locks
keep at most one of each waiting.
"""

from procrastinate.contrib.django import app

from hostup_dash.core.jobs import job_defer, jobs_active

from . import selectors, services
from .models import SyncRun

SYNC_QUEUE = "sync"
INVENTORY_PASS = services.sync.INVENTORY_PASS_TASK
STATE_PASS_SLICE = "state_pass_slice"
PARALLEL_SLICES = 2
TICK_S = 10  # background_tick's period, as its cron says
# A slice queued for when a row falls due starts this much later, so the row is due by then.
DUE_MARGIN_S = 0.5


@app.task(name=INVENTORY_PASS, queue=SYNC_QUEUE, queueing_lock=INVENTORY_PASS, lock=INVENTORY_PASS)
def inventory_pass() -> None:
    """Every page of the VPS list and the account routes (the service is single-flight across hosts)."""
    services.inventory_sync(quick=True)


@app.task(name=STATE_PASS_SLICE, queue=SYNC_QUEUE, queueing_lock=STATE_PASS_SLICE)
def state_pass_slice() -> None:
    """Read the oldest states for a while, within the shared rate-limit budget, then end.

    Short slices rather than one endless job: a killed worker loses at most one slice's
    claims (they expire), and another worker's tick starts the next slice.
    """
    tally = services.state_pass_run()
    if tally.stop == SyncRun.StateStop.RATE_LIMITED:
        # HostUp said when to come back; the shared budget holds every worker until then.
        job_defer(STATE_PASS_SLICE, schedule_in_s=tally.retry_after)
    elif not tally.stop:
        _next_slice_queue(ending=True)


@app.periodic(cron="* * * * * */10", periodic_id="background-tick")
@app.task(name="background_tick", queue=SYNC_QUEUE, queueing_lock="background-tick")
def background_tick(timestamp: int) -> None:
    """Queue whatever background work is due; cheap enough to run every 10 s on every worker."""
    if selectors.inventory_pass_is_due():
        job_defer(INVENTORY_PASS)
    # Side by side, slices hide HostUp's latency; more would only share the same budget.
    if jobs_active(STATE_PASS_SLICE) < PARALLEL_SLICES:
        _next_slice_queue()
    selectors.state_counts()  # recounts the list's state counts when they are older than 10 s


def _next_slice_queue(*, ending: bool = False) -> None:
    """A slice at once when a row can be claimed now; else one when the next row falls due, if before
    the next tick and no other slice is running (`ending`: the caller is a slice that is ending).

    Never a slice for rows no slice can claim (held by another, or not yet due): that one
    would end at once and queue the next, over and over.

    A slice queued for later waits holding the task's queueing lock: until it starts (at most
    TICK_S + DUE_MARGIN_S), a slice asked for at once is refused, even for never-read rows that
    a sync just added, and it counts as one of the PARALLEL_SLICES. So it is queued only when
    no slice runs; a running one queues the next itself when it ends. Two slices ending together
    may each leave it to the other: the next tick then queues it.
    """
    if selectors.state_pass_has_work():
        job_defer(STATE_PASS_SLICE)
        return
    if jobs_active(STATE_PASS_SLICE) > (1 if ending else 0):
        return  # another slice runs (or one already waits): it queues the next when it ends
    due_in = selectors.state_pass_due_in()
    if due_in is not None and due_in < TICK_S:
        # Not the tick after: each VPS is read again every STATE_PASS_MIN_AGE, not up to 10 s later.
        job_defer(STATE_PASS_SLICE, schedule_in_s=due_in + DUE_MARGIN_S)


ACTIONS_QUEUE = "actions"
OUTCOME_SWEEP = "outcome_sweep"


@app.task(name=services.outcomes.OUTCOME_RESOLVE_TASK, queue=ACTIONS_QUEUE)
def outcome_resolve(intent_id: int, attempt: int = 1) -> None:
    """What HostUp now shows for an intent whose outcome is unknown, as a follow-up record (once per intent)."""
    services.outcomes.outcome_resolve(intent_id=intent_id, attempt=attempt)


@app.periodic(cron="*/5 * * * *", periodic_id="outcome-sweep")
@app.task(name=OUTCOME_SWEEP, queue=ACTIONS_QUEUE, queueing_lock=OUTCOME_SWEEP)
def outcome_sweep(timestamp: int) -> None:
    """Check the intents whose outcome was never recorded (their process died) or never got a check queued."""
    services.outcomes.outcome_sweep()
