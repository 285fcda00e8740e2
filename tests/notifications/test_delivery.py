"""One delivery attempt, in this process, against a real receiver: what is sent, and what a failure leaves."""

import hashlib
import hmac
import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from hostup_dash.notifications import delivery, services
from hostup_dash.notifications.models import Delivery
from hostup_dash.notifications.payloads import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER

from .conftest import SECRET

pytestmark = pytest.mark.django_db
Status = Delivery.Status


def _queued(event: str = "drift.found") -> Delivery:
    services.notify(event, vps_id="vps-1", vps_name="web-1", text="A line.")
    return Delivery.objects.get()


def test_the_body_is_sent_as_stored_and_signed_with_the_secret(receiver, webhook_for):
    webhook_for("drift.found")
    queued = _queued()

    assert delivery.delivery_attempt(delivery_id=queued.id) == Status.DELIVERED

    [got] = receiver.received
    stored = bytes(Delivery.objects.get().payload)
    assert got.body == stored
    assert got.signature == "sha256=" + hmac.new(SECRET.encode(), stored, hashlib.sha256).hexdigest()
    assert got.event == "drift.found" and got.delivery_id == str(queued.uuid)
    body = json.loads(got.body)
    assert {"event", "time", "actor", "vps_id", "vps_name", "action", "outcome", "reason", "link", "text"} <= set(body)
    done = Delivery.objects.get()
    assert (done.status, done.attempts, done.last_status_code, done.last_error) == (Status.DELIVERED, 1, 200, "")
    assert done.finished_at is not None


def test_the_headers_are_named_as_documented():
    assert (SIGNATURE_HEADER, EVENT_HEADER, DELIVERY_HEADER) == (
        "X-Hostup-Dash-Signature",
        "X-Hostup-Dash-Event",
        "X-Hostup-Dash-Delivery",
    )


def test_a_delivered_delivery_is_not_sent_again(receiver, webhook_for):
    webhook_for("drift.found")
    queued = _queued()
    delivery.delivery_attempt(delivery_id=queued.id)
    assert delivery.delivery_attempt(delivery_id=queued.id) is None
    assert len(receiver.received) == 1


def test_a_500_leaves_it_pending_for_a_later_retry(settings, receiver, webhook_for):
    settings.WEBHOOK_RETRY_DELAY = 30
    webhook_for("drift.found")
    receiver.answers = [500]
    queued = _queued()

    assert delivery.delivery_attempt(delivery_id=queued.id) == Status.PENDING

    after = Delivery.objects.get()
    assert (after.attempts, after.last_status_code, after.last_error) == (1, 500, "The receiver answered 500.")
    wait = (after.next_attempt_at - timezone.now()).total_seconds()
    assert 28 < wait <= 30
    assert delivery.delivery_attempt(delivery_id=queued.id) is None  # not due yet


def test_backoff_doubles_up_to_an_hour(settings):
    settings.WEBHOOK_RETRY_DELAY = 30
    waits = [delivery.retry_delay(attempt).total_seconds() for attempt in (1, 2, 3, 4, 8, 30)]
    assert waits == [30, 60, 120, 240, 3600, 3600]


def test_after_a_day_of_failures_it_is_marked_failed(settings, receiver, webhook_for):
    settings.WEBHOOK_RETRY_FOR = 10
    settings.WEBHOOK_RETRY_DELAY = 30  # the next retry would fall after the day (here: 10 s)
    webhook_for("drift.found")
    receiver.answers = [503]
    queued = _queued()

    assert delivery.delivery_attempt(delivery_id=queued.id) == Status.FAILED
    failed = Delivery.objects.get()
    assert failed.finished_at is not None and failed.last_status_code == 503


def test_a_redirect_is_not_followed(receiver, webhook_for):
    webhook_for("drift.found")
    receiver.answers = [302]
    queued = _queued()

    assert delivery.delivery_attempt(delivery_id=queued.id) == Status.PENDING
    assert len(receiver.received) == 1
    assert "redirects are not followed" in Delivery.objects.get().last_error


def test_a_receiver_that_is_not_there_is_a_failed_attempt_in_words(webhook_for):
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    webhook_for("drift.found", url=f"http://127.0.0.1:{port}/hook?token=never-shown")
    queued = _queued()

    assert delivery.delivery_attempt(delivery_id=queued.id) == Status.PENDING
    after = Delivery.objects.get()
    assert after.last_error == "Could not connect to the receiver." and after.last_status_code is None


def test_a_switched_off_webhook_gets_nothing(receiver, webhook_for):
    webhook = webhook_for("drift.found")
    queued = _queued()
    webhook.active = False
    webhook.save()

    assert delivery.delivery_attempt(delivery_id=queued.id) == Status.FAILED
    assert not receiver.received
    assert Delivery.objects.get().last_error == delivery.DEACTIVATED


def test_the_sweep_queues_a_due_delivery_whose_job_was_lost(webhook_for):
    webhook_for("drift.found")
    _queued()  # this test's transaction never commits, so no job was asked for

    assert delivery.deliveries_sweep() == 1
    assert delivery.deliveries_sweep() == 0  # its job waits already


def test_a_failed_attempt_marks_the_webhook_failing_and_a_delivered_one_clears_it(receiver, webhook_for):
    webhook = webhook_for("drift.found")
    receiver.answers = [500]
    queued = _queued()
    delivery.delivery_attempt(delivery_id=queued.id)
    webhook.refresh_from_db()
    assert webhook.failing_since is not None

    Delivery.objects.update(next_attempt_at=timezone.now())
    assert delivery.delivery_attempt(delivery_id=queued.id) == Status.DELIVERED
    webhook.refresh_from_db()
    assert webhook.failing_since is None


def test_a_failing_webhooks_deliveries_are_tried_one_at_a_time(webhook_for):
    failing = webhook_for("drift.found")
    failing.failing_since = timezone.now()
    failing.save()
    for _ in range(3):
        services.notify("drift.found", text="A line.")

    assert delivery.deliveries_sweep() == 1  # the oldest: the others wait until it gets through
    assert delivery.deliveries_sweep() == 0  # it is still waiting for a worker


def test_a_healthy_webhooks_due_deliveries_are_all_queued(webhook_for):
    webhook_for("drift.found")
    for _ in range(3):
        services.notify("drift.found", text="A line.")
    assert delivery.deliveries_sweep() == 3


def test_the_sweep_gives_up_on_what_outlived_the_retry_window(settings, webhook_for):
    settings.WEBHOOK_RETRY_FOR = 60
    webhook_for("drift.found")
    _queued()
    Delivery.objects.update(created_at=timezone.now() - timedelta(seconds=61))

    assert delivery.deliveries_sweep() == 0
    assert Delivery.objects.get().status == Status.FAILED and Delivery.objects.get().last_error == delivery.GAVE_UP


def test_a_failed_attempt_holds_back_the_webhooks_other_deliveries_and_new_ones_join_them(
    settings, receiver, webhook_for
):
    settings.WEBHOOK_RETRY_DELAY = 30
    webhook_for("drift.found")
    receiver.answers = [500]
    services.notify("drift.found", text="first")
    services.notify("drift.found", text="second")
    first, second = Delivery.objects.order_by("id")

    delivery.delivery_attempt(delivery_id=first.id)
    services.notify("drift.found", text="third, while the receiver fails")

    first.refresh_from_db()
    assert set(Delivery.objects.values_list("next_attempt_at", flat=True)) == {first.next_attempt_at}
    assert delivery.deliveries_sweep() == 0  # nothing of this webhook is due before the backoff ends


def test_a_receiver_that_answers_a_byte_at_a_time_is_cut_off_at_the_timeout(settings, webhook_for):
    # Each byte comes well within the read timeout, so only a deadline on the whole attempt stops it.
    settings.WEBHOOK_TIMEOUT = 1
    stop = threading.Event()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def trickle() -> None:
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 40:
                    if stop.wait(0.2):
                        return
                    connection.sendall(bytes([byte]))

        threading.Thread(target=trickle, daemon=True).start()
        webhook_for("drift.found", url=f"http://127.0.0.1:{listener.getsockname()[1]}/hook")
        queued = _queued()
        started = time.monotonic()
        status = delivery.delivery_attempt(delivery_id=queued.id)
        took = time.monotonic() - started
        stop.set()

    assert status == Status.PENDING and took < 2
    assert Delivery.objects.get().last_error == "No answer within 1 s."
