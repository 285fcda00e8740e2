"""The worker's trail jobs: the periodic import of HostUp's audit log and the re-read after an outside change.

Cron cannot say "every HOSTUP_EVENTS_EVERY seconds", so a cheap tick asks the import table.
The import is idempotent (events are keyed by HostUp's id, the checkpoint moves only at the
end), so a run killed half-way and retried stores nothing twice.
"""

from procrastinate.contrib.django import app

from hostup_dash.core.jobs import job_defer

from . import selectors, services

TRAIL_QUEUE = "trail"
EVENTS_IMPORT = services.EVENTS_IMPORT_TASK
EVENTS_TICK = "hostup_events_tick"


@app.periodic(cron="* * * * * */10", periodic_id="hostup-events-tick")
@app.task(name=EVENTS_TICK, queue=TRAIL_QUEUE, queueing_lock=EVENTS_TICK)
def hostup_events_tick(timestamp: int) -> None:
    """Queue an import when HOSTUP_EVENTS_EVERY has passed since the last one began."""
    if selectors.events_import_is_due():
        job_defer(EVENTS_IMPORT)


@app.task(name=EVENTS_IMPORT, queue=TRAIL_QUEUE, queueing_lock=EVENTS_IMPORT, lock=EVENTS_IMPORT)
def hostup_events_import() -> None:
    """The window since the last import (the service is single-flight across hosts)."""
    services.events_import()


@app.task(name=services.VPS_REREAD_TASK, queue=TRAIL_QUEUE)
def trail_vps_reread(vps_id: str) -> None:
    """A VPS's state read live after HostUp's log showed a change made outside the dashboard."""
    services.vps_reread(vps_id=vps_id)
