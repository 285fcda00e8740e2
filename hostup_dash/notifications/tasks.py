"""The worker's webhook jobs: one delivery attempt, the sweep of deliveries whose job was lost, and the
minute's checks that notify sync.failing and end finished drifts.

Each is idempotent: an attempt takes its delivery's row first and does nothing when it is not due,
so a job run twice, or again after a worker was killed, sends at most what is still pending.
"""

from procrastinate.contrib.django import app

from . import delivery, watch
from .services import DELIVER_TASK

WEBHOOK_QUEUE = "webhooks"
WEBHOOK_SWEEP = "webhook_sweep"
WEBHOOK_WATCH = "webhook_watch"


@app.task(name=DELIVER_TASK, queue=WEBHOOK_QUEUE)
def webhook_deliver(delivery_id: int) -> None:
    """One attempt at one delivery; after a failed one the sweep queues the next when its backoff ends."""
    delivery.delivery_attempt(delivery_id=delivery_id)


@app.periodic(cron="* * * * * */5", periodic_id="webhook-sweep")
@app.task(name=WEBHOOK_SWEEP, queue=WEBHOOK_QUEUE, queueing_lock=WEBHOOK_SWEEP)
def webhook_sweep(timestamp: int) -> None:
    """Queue the due pending deliveries that have no job: retries whose wait ended, jobs lost before queueing."""
    delivery.deliveries_sweep()


@app.periodic(cron="* * * * *", periodic_id="webhook-watch")
@app.task(name=WEBHOOK_WATCH, queue=WEBHOOK_QUEUE, queueing_lock=WEBHOOK_WATCH)
def webhook_watch(timestamp: int) -> None:
    """sync.failing when no inventory pass succeeded for 15 minutes (once a spell); forget drifts that ended."""
    watch.sync_health_check()
    watch.drift_notices_prune()
