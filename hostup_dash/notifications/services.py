"""Webhooks added and removed (audited, the secret never in the record), and events put in the outbox.

`notify` is the one way an event enters the outbox: a Delivery row per subscribed active webhook,
written in the caller's transaction, and a job asked for when that transaction commits. It never
sends anything itself, so a dead receiver cannot slow or block the change it tells of.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from hostup_dash.accounts.roles import user_role
from hostup_dash.audit import services as audit
from hostup_dash.audit.models import AuditRecord
from hostup_dash.core.jobs import job_defer

from .models import Delivery, Event, Webhook, url_for_display, validate_webhook_url
from .payloads import Notice, chat_safe, clip, vps_words

DELIVER_TASK = "webhook_deliver"
# How a webhook was added or removed, as its audit record says.
VIA_COMMAND = "command"
SECRET_MIN_LENGTH = 16
KNOWN_EVENTS = ", ".join(Event.values)
UNKNOWN_EVENTS = "Unknown event {names}: the events are " + KNOWN_EVENTS + "."
NO_EVENTS = "Name at least one event: " + KNOWN_EVENTS + "."
SECRET_TOO_SHORT = f"The secret must be at least {SECRET_MIN_LENGTH} characters long."
SECRET_FILE_UNREADABLE = "The secret file {path} cannot be read: {error}."
NO_SUCH_WEBHOOK = "No webhook #{id}."


def events_parse(events: str | Iterable[str]) -> list[str]:
    """The event names from "a,b" or a list, in order, each once. Raises ValidationError naming the unknown."""
    names = events.split(",") if isinstance(events, str) else list(events)
    names = list(dict.fromkeys(name.strip() for name in names if name.strip()))
    unknown = [name for name in names if name not in Event.values]
    if unknown:
        raise ValidationError(UNKNOWN_EVENTS.format(names=", ".join(repr(name) for name in unknown)), code="event")
    if not names:
        raise ValidationError(NO_EVENTS, code="required")
    return names


def secret_check(secret: str) -> str:
    """A secret given by the operator, without the file's trailing newline. Raises ValidationError when too short."""
    secret = secret.strip()
    if len(secret) < SECRET_MIN_LENGTH:
        raise ValidationError(SECRET_TOO_SHORT, code="secret")
    return secret


def secret_file_read(path: Path) -> str:
    """A secret kept in a file (a mounted secret, a vault's output), stripped. Raises ValidationError."""
    try:
        return path.read_text().strip()
    except (OSError, UnicodeDecodeError) as problem:
        raise ValidationError(SECRET_FILE_UNREADABLE.format(path=path, error=problem), code="secret") from None


def secret_generate() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class CreatedWebhook:
    webhook: Webhook
    secret: str  # to show once, now, and never again
    is_generated: bool


def webhook_create(
    *,
    url: str,
    events: str | Iterable[str],
    actor: AbstractBaseUser | None,
    via: str,
    secret: str | None = None,
    active: bool = True,
    client_ip: str | None = None,
) -> CreatedWebhook:
    """Add a webhook and audit it (WEBHOOK_ADD, without the secret). Raises ValidationError on a bad URL,
    event or secret; without `secret` one is generated. `actor` None is a command run from a shell."""
    validate_webhook_url(url)
    webhook = Webhook(
        url=url,
        events=events_parse(events),
        secret=secret_check(secret) if secret is not None else secret_generate(),
        active=active,
        created_by=actor,
    )
    webhook.full_clean()
    with transaction.atomic():
        webhook.save()
        _audit_webhook(action=AuditRecord.Action.WEBHOOK_ADD, webhook=webhook, actor=actor, via=via, ip=client_ip)
    return CreatedWebhook(webhook=webhook, secret=webhook.secret, is_generated=secret is None)


def webhook_remove(*, webhook_id: int, actor: AbstractBaseUser | None, via: str, client_ip: str | None = None) -> None:
    """Remove a webhook and its delivery log, and audit it (WEBHOOK_REMOVE). Raises Webhook.DoesNotExist."""
    with transaction.atomic():
        webhook = Webhook.objects.select_for_update().get(pk=webhook_id)
        _audit_webhook(action=AuditRecord.Action.WEBHOOK_REMOVE, webhook=webhook, actor=actor, via=via, ip=client_ip)
        webhook.delete()


def webhook_change_audit(
    *, webhook: Webhook, changed: list[str], actor: AbstractBaseUser, via: str, client_ip: str | None
) -> None:
    """An admin changed a webhook's events or switched it on or off. There is no "change" action in the
    log: the record is a WEBHOOK_ADD of the webhook as it now is, naming the `changed` fields."""
    _audit_webhook(
        action=AuditRecord.Action.WEBHOOK_ADD, webhook=webhook, actor=actor, via=via, ip=client_ip, changed=changed
    )


def _audit_webhook(
    *,
    action: str,
    webhook: Webhook,
    actor: AbstractBaseUser | None,
    via: str,
    ip: str | None,
    changed: list[str] | None = None,
) -> None:
    # What the webhook is, never its secret; the URL without a password or query string, where tokens ride.
    body = {
        "webhook": webhook.id,
        "url": url_for_display(webhook.url),
        "events": list(webhook.events),
        "active": webhook.active,
        "via": via,
        **({"changed": changed} if changed else {}),
    }
    audit.audit_append(
        actor_id=actor.pk if actor is not None else None,
        actor_name=actor.get_username() if actor is not None else audit.SYSTEM_ACTOR,
        actor_role=user_role(actor) if actor is not None else "",
        action=action,
        client_ip=ip or "",
        request_body=body,
        outcome=AuditRecord.Outcome.SUCCEEDED,
    )


def notify(
    event: str,
    *,
    vps_id: str = "",
    vps_name: str = "",
    actor: str = "",
    action: str = "",
    outcome: str = "",
    reason: str = "",
    ticket: str = "",
    link: str = "",
    text: str = "",
    audit_record: int | None = None,
    time: datetime | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    """Queue `event` for every active webhook subscribed to it; returns how many. Raises ValueError on an
    unknown event.

    The rows join the caller's transaction (nothing is queued if it rolls back) and a delivery job is
    asked for when it commits; a job lost on the way is picked up by the worker's sweep. `text` is the
    line chat tools show, as plain words: it is escaped here for them (& < >, @channel); without it one is made
    from the other fields.
    """
    if event not in Event.values:
        raise ValueError(UNKNOWN_EVENTS.format(names=repr(event)))
    subscribed = Webhook.objects.filter(active=True, events__contains=[event])
    webhooks = dict(subscribed.values_list("id", "failing_since"))
    if not webhooks:
        return 0
    notice = Notice(
        event=event,
        time=time or timezone.now(),
        text=chat_safe(
            text or _text_made(event, actor=actor, action=action, vps=vps_words(vps_id, vps_name), outcome=outcome)
        ),
        actor=actor,
        vps_id=vps_id,
        vps_name=vps_name,
        action=action,
        outcome=outcome,
        reason=reason,
        ticket=ticket,
        link=link,
        audit_record=audit_record,
        details=details or {},
    )
    body = notice.body()
    waits = _failing_queues_end([pk for pk, since in webhooks.items() if since is not None])
    with transaction.atomic():
        rows = Delivery.objects.bulk_create(
            Delivery(webhook_id=pk, event=event, payload=body, next_attempt_at=waits.get(pk) or timezone.now())
            for pk in webhooks
        )
        for row in rows:
            if webhooks[row.webhook_id] is None:  # a failing receiver's deliveries wait for the sweep, one at a time
                # robust: a job that cannot be queued must not fail the committed change; the sweep queues it.
                transaction.on_commit(partial(delivery_queue, delivery_id=row.id), robust=True)
    return len(rows)


def _failing_queues_end(webhook_ids: list[int]) -> dict[int, datetime]:
    """When each failing webhook's deliveries are next tried: a new one joins that queue, not ahead of it."""
    if not webhook_ids:
        return {}
    pending = Delivery.objects.filter(webhook_id__in=webhook_ids, status=Delivery.Status.PENDING)
    return dict(pending.values("webhook_id").annotate(at=Max("next_attempt_at")).values_list("webhook_id", "at"))


def _text_made(event: str, *, actor: str, action: str, vps: str, outcome: str) -> str:
    parts = [
        f"{Event(event).label}:",
        clip(action),
        vps and f"on {vps}",
        actor and f"by {clip(actor)}",
        clip(outcome),
    ]
    return " ".join(part for part in parts if part) + "."


def delivery_lock(delivery_id: int) -> str:
    """The queueing lock of a delivery's job: at most one waits per delivery."""
    return f"webhook-delivery:{delivery_id}"


def delivery_queue(*, delivery_id: int) -> bool:
    """Ask the worker to send one delivery now; False when a job for it already waits."""
    return job_defer(DELIVER_TASK, queueing_lock=delivery_lock(delivery_id), delivery_id=delivery_id)
