"""Sending the outbox: one attempt at a delivery, the retry schedule, and the sweep for lost jobs.

Only the worker runs this. An attempt first takes the row for a lease (one UPDATE), then posts
outside any transaction, then records what happened if its lease still holds. A worker killed
mid-send leaves the row pending and its job `doing`; retry_stalled_jobs puts the job back, and it
sends again once the lease has ended. Receivers may therefore see a delivery twice and drop the
second by its X-Hostup-Dash-Delivery id.

Redirects are never followed: a webhook URL is the address an admin chose, and a 3xx pointing
elsewhere (another host, a service on the worker's network) is a failed attempt, not a new target.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import requests
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from .models import Delivery, Webhook
from .payloads import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, USER_AGENT, signature
from .services import delivery_lock, delivery_queue

logger = logging.getLogger(__name__)

Status = Delivery.Status
# Retries wait WEBHOOK_RETRY_DELAY, then twice as long each time, but never longer than this.
RETRY_DELAY_MAX = timedelta(hours=1)
SWEEP_BATCH = 500
DEACTIVATED = "The webhook was switched off before this was sent."
GAVE_UP = "Not delivered within WEBHOOK_RETRY_FOR: given up."


def delivery_lease() -> timedelta:
    """How long an attempt keeps its row: longer than any attempt takes (WEBHOOK_TIMEOUT at most, see _post)."""
    return timedelta(seconds=2 * settings.WEBHOOK_TIMEOUT + 5)


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: exponential, capped at an hour."""
    seconds = settings.WEBHOOK_RETRY_DELAY * 2 ** min(attempts - 1, 20)
    return min(timedelta(seconds=seconds), RETRY_DELAY_MAX)


def delivery_attempt(*, delivery_id: int) -> str | None:
    """Send one due delivery; returns its status afterwards, None when it was not due (sent, or another has it)."""
    now = timezone.now()
    taken = Delivery.objects.filter(pk=delivery_id, status=Status.PENDING, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, last_attempt_at=now, next_attempt_at=now + delivery_lease()
    )
    if not taken:
        return None
    delivery = Delivery.objects.select_related("webhook").filter(pk=delivery_id).first()
    if delivery is None:  # its webhook was removed a moment ago
        return None
    if not delivery.webhook.active:
        return _record(delivery, status=Status.FAILED, code=None, error=DEACTIVATED, tried=False)
    code, error = _post(delivery)
    if error is None:
        return _record(delivery, status=Status.DELIVERED, code=code, error="")
    delay = retry_delay(delivery.attempts)
    give_up = timezone.now() + delay > delivery.created_at + timedelta(seconds=settings.WEBHOOK_RETRY_FOR)
    # A retry is the sweep's to queue once its time has come (see deliveries_sweep).
    return _record(delivery, status=Status.FAILED if give_up else Status.PENDING, code=code, error=error, delay=delay)


def _post(delivery: Delivery) -> tuple[int | None, str | None]:
    """POST the stored body within WEBHOOK_TIMEOUT in all; (status code, None) on a 2xx, else the code if any
    and what went wrong in words.

    requests' timeout bounds each connect and each read, not the whole: a receiver sending its answer a byte
    at a time would hold a worker slot for as long as it likes. So the POST runs in a thread of its own and
    the attempt ends at the deadline; that thread ends when the receiver stops or closes the connection.
    """
    timeout = settings.WEBHOOK_TIMEOUT
    result: list[tuple[int | None, str | None]] = []
    sender = threading.Thread(target=lambda: result.append(_send(delivery, timeout)), daemon=True)
    sender.start()
    sender.join(timeout)
    return result[0] if result else (None, _no_answer(timeout))


def _no_answer(timeout: float) -> str:
    return f"No answer within {timeout:g} s."


def _send(delivery: Delivery, timeout: float) -> tuple[int | None, str | None]:
    body = bytes(delivery.payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(delivery.webhook.secret, body),
        EVENT_HEADER: delivery.event,
        DELIVERY_HEADER: str(delivery.uuid),
    }
    try:
        # stream: the receiver's body is never read, so a huge or endless answer costs nothing.
        with requests.post(
            delivery.webhook.url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            code = response.status_code
    except requests.Timeout:
        return None, _no_answer(timeout)
    except requests.exceptions.SSLError:
        return None, "The TLS handshake failed (certificate or protocol)."
    except requests.ConnectionError:
        return None, "Could not connect to the receiver."
    except requests.RequestException as problem:
        # Our own words only: the library's message repeats the URL, which may carry a token.
        return None, f"The request could not be made ({type(problem).__name__})."
    if 200 <= code < 300:
        return code, None
    if 300 <= code < 400:
        return code, f"The receiver answered {code}, a redirect; redirects are not followed."
    return code, f"The receiver answered {code}."


def _record(
    delivery: Delivery,
    *,
    status: str,
    code: int | None,
    error: str,
    delay: timedelta | None = None,
    tried: bool = True,
) -> str | None:
    """Store the attempt's result, unless its lease ran out and another attempt took the row meanwhile.
    `tried`: the receiver was asked, so its failing streak starts or ends here."""
    now = timezone.now()
    fields = {"status": status, "last_status_code": code, "last_error": error}
    if status == Status.PENDING:
        fields["next_attempt_at"] = now + (delay or timedelta())
    else:
        fields["finished_at"] = now
    mine = Delivery.objects.filter(pk=delivery.pk, status=Status.PENDING, attempts=delivery.attempts)
    if not mine.update(**fields):
        return None
    if tried:
        webhook = Webhook.objects.filter(pk=delivery.webhook_id)
        if status == Status.DELIVERED:
            webhook.filter(failing_since__isnull=False).update(failing_since=None)
        else:
            webhook.filter(failing_since__isnull=True).update(failing_since=now)
    if tried and status == Status.PENDING:
        # The receiver is down for its other deliveries too: they wait as long (one schedule per webhook).
        Delivery.objects.filter(
            webhook_id=delivery.webhook_id, status=Status.PENDING, next_attempt_at__lt=fields["next_attempt_at"]
        ).exclude(pk=delivery.pk).update(next_attempt_at=fields["next_attempt_at"])
    log = logger.info if status == Status.DELIVERED else logger.warning
    log(
        "webhook delivery %s: %s",
        delivery.uuid,
        status,
        extra={
            "event": "webhook_delivery",
            "webhook": delivery.webhook_id,
            "delivery": str(delivery.uuid),
            "webhook_event": delivery.event,
            "status": status,
            "status_code": code,
            "attempts": delivery.attempts,
            "error": error,
        },
    )
    return status


def deliveries_sweep() -> int:
    """Queue the pending deliveries whose time has come and that have no job waiting or running; returns how many.

    This queues each retry when its backoff ends, and a delivery whose job was lost before it was queued.
    A job killed mid-send is left to retry_stalled_jobs, which puts that same job back: queueing a
    second one beside it would make that retry collide with this job's queueing lock. Of a failing
    webhook's deliveries one is tried at a time, the oldest due; the rest follow once it gets through.
    Deliveries that outlived WEBHOOK_RETRY_FOR unsent are marked failed.
    """
    now = timezone.now()
    Delivery.objects.filter(
        status=Status.PENDING, created_at__lt=now - timedelta(seconds=settings.WEBHOOK_RETRY_FOR)
    ).update(status=Status.FAILED, finished_at=now, last_error=GAVE_UP)
    due = Delivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at", "id")
    rows = list(due.values_list("id", "webhook_id", "webhook__failing_since")[:SWEEP_BATCH])
    if not rows:
        return 0
    # Few jobs are todo or doing at any time, and an index holds just those.
    busy = set(
        ProcrastinateJob.objects.filter(
            status__in=("todo", "doing"), queueing_lock__in=[delivery_lock(row[0]) for row in rows]
        ).values_list("queueing_lock", flat=True)
    )
    tried = {webhook_id for delivery_id, webhook_id, _ in rows if delivery_lock(delivery_id) in busy}
    queued = 0
    for delivery_id, webhook_id, failing_since in rows:
        if delivery_lock(delivery_id) in busy or (failing_since is not None and webhook_id in tried):
            continue
        tried.add(webhook_id)
        queued += delivery_queue(delivery_id=delivery_id)
    return queued
