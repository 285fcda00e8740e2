"""The worker's checkpoint job: a frequent cheap tick that signs the head once AUDIT_CHECKPOINT_EVERY has passed.

Cron cannot say "every N seconds" for any N, so the tick asks the table instead.
"""

from django.conf import settings
from procrastinate.contrib.django import app

from . import selectors, services

CHECKPOINT_QUEUE = "audit"
CHECKPOINT_TICK = "audit_checkpoint_tick"


@app.periodic(cron="* * * * * */10", periodic_id="audit-checkpoint-tick")
@app.task(name=CHECKPOINT_TICK, queue=CHECKPOINT_QUEUE, queueing_lock=CHECKPOINT_TICK)
def audit_checkpoint_tick(timestamp: int) -> None:
    """Checkpoint the chain when one is due and records were added (the service is single-flight across hosts)."""
    if services.checkpoints_enabled() and selectors.checkpoint_is_due(every_s=settings.AUDIT_CHECKPOINT_EVERY):
        services.checkpoint_create()
