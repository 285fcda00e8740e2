"""Deliveries by a real worker: signed, retried with backoff, never in the action's way, never lost to SIGKILL."""

import hashlib
import hmac
import time

import pytest

from hostup_dash.inventory import services as inventory
from hostup_dash.notifications import services
from hostup_dash.notifications.models import Delivery
from hostup_dash.notifications.tasks import WEBHOOK_QUEUE
from tests.factories import pick_vps, synced
from tests.worker.harness import wait_for

from .conftest import SECRET

pytestmark = pytest.mark.django_db(transaction=True)
Status = Delivery.Status


def _delivered() -> Delivery | None:
    return Delivery.objects.filter(status=Status.DELIVERED).first()


def test_an_allocate_reaches_the_receiver_signed(hostup, receiver, webhook_for, make_user, start_worker):
    webhook_for("action.succeeded")
    start_worker(queues=[WEBHOOK_QUEUE])
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)

    result = inventory.ipv6_allocate(actor=make_user("operator"), vps_id=vps_id)

    [got] = wait_for(receiver.verified)
    assert got.signature == "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    body = got.json()
    assert (body["event"], body["vps_id"], body["audit_record"]) == ("action.succeeded", vps_id, result.record.id)
    assert got.event == "action.succeeded"
    assert wait_for(_delivered).attempts == 1


def test_a_500_is_retried_with_backoff_until_a_200(receiver, webhook_for, start_worker):
    webhook_for("sync.failing")
    receiver.answers = [500, 500]
    start_worker(queues=[WEBHOOK_QUEUE], WEBHOOK_RETRY_DELAY="1")

    services.notify("sync.failing", text="No inventory pass.")

    done = wait_for(_delivered, timeout=40)  # each retry is queued by the sweep (every 5 s) when its wait ends
    assert (done.attempts, done.last_status_code) == (3, 200)
    first, second, third = receiver.received
    assert first.delivery_id == second.delivery_id == third.delivery_id == str(done.uuid)
    assert second.at - first.at >= 0.9 and third.at - second.at >= 1.9  # 1 s, then 2 s
    assert len(receiver.verified()) == 3  # none of the three was accepted before the last


def test_a_receiver_that_never_answers_does_not_slow_the_action(hostup, receiver, webhook_for, make_user, start_worker):
    webhook_for("action.succeeded")
    receiver.delay_s = 3
    start_worker(queues=[WEBHOOK_QUEUE], WEBHOOK_TIMEOUT="1", WEBHOOK_RETRY_DELAY="1")
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)

    started = time.monotonic()
    inventory.ipv6_allocate(actor=make_user("operator"), vps_id=vps_id)
    assert time.monotonic() - started < 1.0  # the action only wrote the row

    timed_out = wait_for(lambda: Delivery.objects.filter(last_error="No answer within 1 s.").first(), timeout=15)
    assert timed_out.status == Status.PENDING
    receiver.delay_s = 0
    assert wait_for(_delivered, timeout=30).attempts >= 2


def test_a_worker_killed_mid_delivery_loses_nothing(receiver, webhook_for, start_worker):
    webhook_for("break_glass")
    receiver.delay_s = 4  # the first attempt is still waiting for its answer when the worker dies
    worker = start_worker(queues=[WEBHOOK_QUEUE], WEBHOOK_TIMEOUT="2")

    services.notify("break_glass", actor="carol", text="An emergency change.")
    wait_for(lambda: Delivery.objects.filter(attempts=1).exists())
    worker.kill()
    receiver.delay_s = 0
    # With the default queue: retry_stalled_jobs puts the killed job back once its worker is 30 s silent.
    start_worker(queues=[WEBHOOK_QUEUE, "default"], WEBHOOK_TIMEOUT="2")

    done = wait_for(_delivered, timeout=60)
    assert done.attempts == 2
    assert len(receiver.verified()) == 1  # a repeat the receiver saw is dropped by its delivery id
