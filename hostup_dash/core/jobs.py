"""Asking the worker for work: defer a Procrastinate job by its task's name.

Services defer by name (each task declares `name=`), so a service never imports the
tasks that call it.
"""

from __future__ import annotations

from typing import Any

from procrastinate import exceptions
from procrastinate.contrib.django import app


def job_defer(name: str, *, schedule_in_s: float | None = None, **task_kwargs: Any) -> bool:
    """Queue one job of task `name`. False when an identical one is already waiting (its queueing lock)."""
    options: dict[str, Any] = {}
    if schedule_in_s:
        options["schedule_in"] = {"seconds": schedule_in_s}
    try:
        app.configure_task(name, allow_unknown=False, **options).defer(**task_kwargs)
    except exceptions.AlreadyEnqueued:
        return False
    return True
