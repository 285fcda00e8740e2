"""Asking the worker for work (defer a Procrastinate job by its task's name), and whether one is running.

Services defer by name (each task declares `name=`), so a service never imports the
tasks that call it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from procrastinate import exceptions
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob, ProcrastinateWorker


def job_defer(
    name: str, *, schedule_in_s: float | None = None, queueing_lock: str | None = None, **task_kwargs: Any
) -> bool:
    """Queue one job of task `name`. False when an identical one is already waiting (its queueing lock)."""
    options: dict[str, Any] = {}
    if schedule_in_s:
        options["schedule_in"] = {"seconds": schedule_in_s}
    if queueing_lock:  # per job, for tasks whose single-flight depends on their arguments
        options["queueing_lock"] = queueing_lock
    try:
        # A savepoint: the refused insert must not abort a transaction the caller is in.
        with transaction.atomic():
            app.configure_task(name, allow_unknown=False, **options).defer(**task_kwargs)
    except exceptions.AlreadyEnqueued:
        return False
    return True


# Procrastinate's own threshold: a worker whose heartbeat is older is dead, its jobs stalled.
WORKER_DEAD_AFTER = timedelta(seconds=30)


def jobs_active(name: str) -> int:
    """Jobs of task `name` waiting, or running on a live worker (a killed worker's jobs do not count)."""
    alive = timezone.now() - WORKER_DEAD_AFTER
    running = Q(status="doing", worker__last_heartbeat__gte=alive)
    return ProcrastinateJob.objects.filter(Q(status="todo") | running, task_name=name).count()


# The list says "background refresh is not running" when no worker has been heard from for this long.
WORKER_SILENT_AFTER = timedelta(minutes=5)


def worker_last_heartbeat() -> datetime | None:
    """The newest heartbeat of any worker on any host (Procrastinate writes one every 10 s); None if none ever ran."""
    return ProcrastinateWorker.objects.aggregate(newest=Max("last_heartbeat"))["newest"]


def worker_is_silent() -> bool:
    """No worker has been seen for WORKER_SILENT_AFTER: background work is not being done."""
    heartbeat = worker_last_heartbeat()
    return heartbeat is None or timezone.now() - heartbeat > WORKER_SILENT_AFTER
