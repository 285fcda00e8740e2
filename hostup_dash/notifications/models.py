"""Outgoing webhooks: who is told what, and the outbox of deliveries the worker sends.

A delivery row is written in the same transaction as the audit record (or other change) it
tells of, so a process that dies after the commit loses nothing: the worker sends what the
table holds, signed with the webhook's secret, and retries until it is delivered or a day has passed.
"""

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

URL_MAX_LENGTH = 2000
# A path segment of letters only, no longer than this, reads as a word ("services", "hooks"), not a token.
PATH_WORD_MAX = 20
URL_NOT_HTTP = "Only http:// and https:// URLs can receive webhooks, for example https://chat.example.com/hooks/ops."
URL_NO_HOST = "The URL names no host: write it in full, for example https://chat.example.com/hooks/ops."


class Event(models.TextChoices):
    ACTION_SUCCEEDED = "action.succeeded", "An action succeeded"
    ACTION_FAILED = "action.failed", "An action failed"
    ACTION_UNKNOWN = "action.unknown", "An action's outcome is unknown"
    CHANGE_OUTSIDE = "change.outside", "A change made outside the dashboard"
    DRIFT_FOUND = "drift.found", "A VPS's next hop differs from HostUp's suggestion"
    APPROVAL_REQUESTED = "approval.requested", "A change awaits approval"
    APPROVAL_DECIDED = "approval.decided", "A change request was decided"
    BREAK_GLASS = "break_glass", "An emergency change or break-glass login"
    SYNC_FAILING = "sync.failing", "No successful inventory pass for 15 minutes"
    # A copy of each signed checkpoint where a database administrator cannot reach it (README "Audit").
    AUDIT_CHECKPOINT = "audit.checkpoint", "An audit checkpoint was signed"


def validate_webhook_url(value: str) -> None:
    """http or https, with a host; anything else (file:, ftp:, a bare path) is refused in words."""
    try:
        parts = urlsplit(value)
        host, _port = parts.hostname, parts.port  # .port raises ValueError when it is not a number
    except ValueError:
        raise ValidationError(URL_NO_HOST, code="invalid") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError(URL_NOT_HTTP, code="scheme")
    if not host or any(char.isspace() for char in value):
        raise ValidationError(URL_NO_HOST, code="invalid")


def url_for_display(url: str) -> str:
    """The URL as lists and the audit log show it: no password or query string, and the path cut at its
    first segment that may be a token (Slack, Mattermost and Discord put theirs in the path)."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    shown = []
    for segment in parts.path.split("/")[1:]:
        if segment and not (segment.isalpha() and len(segment) <= PATH_WORD_MAX):
            shown.append("…")
            break
        shown.append(segment)
    return f"{parts.scheme}://{netloc}{'/' if shown else ''}{'/'.join(shown)}"


class Webhook(models.Model):
    url = models.CharField("URL", max_length=URL_MAX_LENGTH, validators=[validate_webhook_url])
    events = ArrayField(models.CharField(max_length=32, choices=Event.choices))
    # Signs every delivery (HMAC-SHA256). Shown once when the webhook is created, never again:
    # not in the admin's forms or lists, the commands' output, the logs or the audit log.
    secret = models.CharField(max_length=200, editable=False)
    active = models.BooleanField(default=True)
    # Since when its receiver has failed every attempt (None: its last attempt was delivered). While it
    # fails, the worker sends its deliveries one at a time, so a dead receiver holds one worker slot at most.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["id"]
        # The receivers' one query per notified event: the active webhooks subscribed to it.
        indexes = [models.Index(fields=["active"], name="webhook_active_idx")]

    def __str__(self) -> str:
        return f"webhook #{self.id} {url_for_display(self.url)}"


class Delivery(models.Model):
    """One event for one webhook: the body exactly as sent, and how sending it went."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    # Sent as X-Hostup-Dash-Delivery: the same on every attempt, so receivers can drop duplicates.
    uuid = models.UUIDField("delivery id", default=uuid.uuid4, unique=True, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32, choices=Event.choices)
    payload = models.BinaryField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # A pending delivery is sent when this has passed; an attempt under way moves it on by a lease,
    # so a worker killed mid-send leaves it to be sent again.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        indexes = [
            # The sweep's: pending deliveries whose time has come.
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="delivery_due_idx"),
            # The delivery log of one webhook, newest first.
            models.Index(fields=["webhook", "-id"], name="delivery_webhook_idx"),
        ]

    def __str__(self) -> str:
        return f"delivery {self.uuid} {self.event} {self.status}"


class DriftNotice(models.Model):
    """A VPS whose next hop was found to differ, already notified: one drift.found per drift, not per read."""

    vps_id = models.CharField(primary_key=True, max_length=64)
    noticed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.vps_id} drifted, noticed {self.noticed_at}"


class SyncAlarm(models.Model):
    """The inventory sync is failing and sync.failing was sent: one row while it lasts, gone when it recovers."""

    key = models.CharField(primary_key=True, max_length=16)
    raised_at = models.DateTimeField(default=timezone.now)
    last_success_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key} failing since {self.last_success_at}, raised {self.raised_at}"
