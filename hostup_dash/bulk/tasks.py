"""The worker's bulk job: work through one bulk run's items.

Idempotent: a run already finished, or held by another worker, is left alone; one picked
up after a worker died settles the item that was in flight and carries on with the rest.
"""

from procrastinate.contrib.django import app

from . import services


@app.task(name=services.BULK_RUN_PROCESS, queue=services.ACTIONS_QUEUE)
def bulk_run_process(run_id: int) -> None:
    result = services.bulk_run_process(run_id=run_id)
    if result.retry_after:
        # HostUp said when to come back; the shared budget holds every other worker until then.
        services.bulk_run_queue_again(run_id=run_id, schedule_in_s=result.retry_after)
