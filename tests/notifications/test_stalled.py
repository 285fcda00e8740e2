"""retry_stalled_jobs and queueing locks: a killed worker's webhook_sweep whose periodic successor already
waits (Procrastinate's queueing lock is unique among `todo` jobs only) must not stop the jobs after it from
being put back, here a delivery the sweep leaves alone while its job is `doing`."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from hostup_dash.notifications import services
from hostup_dash.notifications.models import Delivery
from hostup_dash.notifications.tasks import WEBHOOK_QUEUE, WEBHOOK_SWEEP
from tests.worker.harness import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _job(*, task: str, lock: str, args: dict, status: str, worker: int | None, at) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args, status, worker_id,"
            " scheduled_at) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            [WEBHOOK_QUEUE, task, lock, json.dumps(args), status, worker, at],
        )
        return cursor.fetchone()[0]


def test_a_stalled_sweep_whose_successor_waits_does_not_hold_back_a_stalled_delivery(
    receiver, webhook_for, start_worker
):
    webhook_for("break_glass")
    services.notify("break_glass", actor="carol", text="An emergency change.")
    delivery = Delivery.objects.get()
    with connection.cursor() as cursor:  # a worker killed two minutes ago, SIGKILL: no goodbye
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (%s) RETURNING id",
            [timezone.now() - timedelta(minutes=2)],
        )
        dead = cursor.fetchone()[0]
    # Its queued job, sent before the test worker starts: it is the killed one now.
    ProcrastinateJob.objects.filter(task_name=services.DELIVER_TASK).delete()
    stalled_sweep = _job(
        task=WEBHOOK_SWEEP, lock=WEBHOOK_SWEEP, args={"timestamp": 0}, status="doing", worker=dead, at=None
    )
    # Its successor, deferred while it hung, waits (scheduled later so it stays `todo` here).
    _job(
        task=WEBHOOK_SWEEP,
        lock=WEBHOOK_SWEEP,
        args={"timestamp": 1},
        status="todo",
        worker=None,
        at=timezone.now() + timedelta(hours=1),
    )
    _job(
        task=services.DELIVER_TASK,
        lock=services.delivery_lock(delivery.id),
        args={"delivery_id": delivery.id},
        status="doing",
        worker=dead,
        at=None,
    )

    start_worker(queues=[WEBHOOK_QUEUE, "default"])

    assert wait_for(lambda: receiver.verified(), timeout=40)
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED
    # The stalled sweep is not run again beside its successor: that one does the same work.
    assert ProcrastinateJob.objects.get(pk=stalled_sweep).status == "failed"
