"""Worker housekeeping shared by every job: stalled jobs are retried, old jobs pruned."""

from procrastinate import exceptions
from procrastinate.contrib.django import app
from procrastinate.jobs import Status

from hostup_dash.core.jobs import WORKER_DEAD_AFTER


@app.periodic(cron="* * * * * */10", periodic_id="retry-stalled-jobs")
@app.task(queueing_lock="retry-stalled-jobs", pass_context=True)
async def retry_stalled_jobs(context, timestamp: int) -> None:
    """Put the jobs of a worker that died (SIGKILL, lost host) back in the queue.

    Without this a killed worker's jobs stay `doing` for ever. Every task is idempotent,
    so running one again is safe; the tasks themselves notice what was in flight.
    """
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=WORKER_DEAD_AFTER.total_seconds()):
        try:
            await manager.retry_job(job)
        except exceptions.UniqueViolation:
            # A job with its queueing lock was queued while it hung (a periodic tick, a sweep) and waits: that
            # one does the same work. Put back, this one would break the lock, and the jobs after it stay stalled.
            await manager.finish_job(job, status=Status.FAILED, delete_job=False)


@app.periodic(cron="17 * * * *", periodic_id="prune-old-jobs")
@app.task(queueing_lock="prune-old-jobs", pass_context=True)
async def prune_old_jobs(context, timestamp: int) -> None:
    """Finished jobs older than a week go: the audit log, not the queue, is the record."""
    await context.app.job_manager.delete_old_jobs(nb_hours=24 * 7, include_failed=True)
