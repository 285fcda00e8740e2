"""Worker housekeeping shared by every job: stalled jobs are retried, old jobs pruned."""

from procrastinate.contrib.django import app

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
        await manager.retry_job(job)


@app.periodic(cron="17 * * * *", periodic_id="prune-old-jobs")
@app.task(queueing_lock="prune-old-jobs", pass_context=True)
async def prune_old_jobs(context, timestamp: int) -> None:
    """Finished jobs older than a week go: the audit log, not the queue, is the record."""
    await context.app.job_manager.delete_old_jobs(nb_hours=24 * 7, include_failed=True)
