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


@pytest.fixture
def dead_worker():
    """A worker killed two minutes ago (SIGKILL: no goodbye), and a way to put jobs in the queue as it left them.
    Procrastinate's tables are not Django's to flush, so the jobs go with it here: a waiting webhook_sweep left
    behind would hold the sweep's queueing lock in later tests."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat) VALUES (%s) RETURNING id",
            [timezone.now() - timedelta(minutes=2)],
        )
        worker = cursor.fetchone()[0]
    made: list[int] = []

    def job(*, task: str, lock: str, args: dict, status: str, at=None) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args, status, worker_id,"
                " scheduled_at) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                [WEBHOOK_QUEUE, task, lock, json.dumps(args), status, worker if status == "doing" else None, at],
            )
            made.append(cursor.fetchone()[0])
        return made[-1]

    yield job
    ProcrastinateJob.objects.filter(id__in=made).delete()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_workers WHERE id = %s", [worker])


def test_a_stalled_sweep_whose_successor_waits_does_not_hold_back_a_stalled_delivery(
    receiver, webhook_for, start_worker, dead_worker
):
    webhook_for("break_glass")
    services.notify("break_glass", actor="carol", text="An emergency change.")
    delivery = Delivery.objects.get()
    # Its queued job, sent before the test worker starts: it is the killed one now.
    ProcrastinateJob.objects.filter(task_name=services.DELIVER_TASK).delete()
    stalled_sweep = dead_worker(task=WEBHOOK_SWEEP, lock=WEBHOOK_SWEEP, args={"timestamp": 0}, status="doing")
    # Its successor, deferred while it hung, waits (scheduled later so it stays `todo` here).
    dead_worker(
        task=WEBHOOK_SWEEP,
        lock=WEBHOOK_SWEEP,
        args={"timestamp": 1},
        status="todo",
        at=timezone.now() + timedelta(hours=1),
    )
    dead_worker(
        task=services.DELIVER_TASK,
        lock=services.delivery_lock(delivery.id),
        args={"delivery_id": delivery.id},
        status="doing",
    )

    start_worker(queues=[WEBHOOK_QUEUE, "default"])

    assert wait_for(lambda: receiver.verified(), timeout=40)
    assert Delivery.objects.get().status == Delivery.Status.DELIVERED
    # The stalled sweep is not run again beside its successor: that one does the same work.
    assert ProcrastinateJob.objects.get(pk=stalled_sweep).status == "failed"
