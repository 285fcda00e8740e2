"""Change requests: an action that waits for a second person's approval (four-eyes).

A request keeps what its requester saw (the VPS's prefix and next hop, and their hash):
the approved action runs only while HostUp still shows that state. Its every transition
is also an audit record carrying the request's id (`AuditRecord.change_request_id`).
"""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone


def seen_state_hash(*, action: str, vps_id: str, prefix: str, next_hop: str) -> str:
    """SHA-256 of the state a request was made on, as canonical JSON."""
    content = {"action": action, "vps_id": vps_id, "prefix": prefix, "next_hop": next_hop}
    return hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class ChangeRequest(models.Model):
    class Action(models.TextChoices):
        # The same values as AuditRecord.Action: the request's records name the action it asks for.
        ALLOCATE = "allocate", "Allocate"
        REFRESH_NEXT_HOP = "refresh_next_hop", "Refresh next hop"
        RELEASE = "release", "Release"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        # Approved and being carried out by the approver's click; one of the four below follows.
        APPROVED = "approved", "Approved, running"
        EXECUTED = "executed", "Approved and done"
        FAILED = "failed", "Approved, failed"
        UNKNOWN = "unknown", "Approved, outcome unknown"
        INVALIDATED = "invalidated", "Invalidated: the VPS changed"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    created_at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=32, choices=Action.choices)
    vps_id = models.CharField(max_length=64)
    vps_name = models.CharField(max_length=255, blank=True)
    # Allocate and refresh next hop may name a rack; sent as the requester gave it.
    rack_id = models.CharField(max_length=50, blank=True)
    reason = models.TextField(max_length=500, blank=True)
    ticket = models.CharField(max_length=100, blank=True)
    # Who asked and who decided outlive their user rows: SET_NULL plus copies of the names.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_name = models.CharField(max_length=150)
    requested_by_role = models.CharField(max_length=32, blank=True)
    client_ip = models.CharField(max_length=45, blank=True)
    # The routed-IPv6 state on the requester's page ("" for none).
    seen_prefix = models.CharField(max_length=64, blank=True)
    seen_next_hop = models.CharField(max_length=64, blank=True)
    seen_hash = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    # Why it ended as it did, in words (the VPS changed, HostUp's problem, ...).
    status_detail = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_name = models.CharField(max_length=150, blank=True)
    decided_by_role = models.CharField(max_length=32, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    # The audit record of the executed action's outcome (no FK: the log outlives this app's rows).
    outcome_record_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        permissions = [("approve_change", "Can approve or reject another person's change request")]
        constraints = [
            # Four eyes, held by the database too: no code path can let the requester decide.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="approvals_decider_is_not_requester",
            ),
            models.CheckConstraint(
                condition=Q(decided_by_name="") | ~Q(decided_by_name=F("requested_by_name")),
                name="approvals_decider_name_is_not_requester",
            ),
        ]
        indexes = [
            # The top bar's pending count and the expiry job read only waiting requests.
            models.Index(fields=["expires_at"], condition=Q(status="pending"), name="approvals_pending_idx"),
            models.Index(fields=["status", "-id"], name="approvals_status_idx"),
            models.Index(fields=["vps_id", "-id"], name="approvals_vps_idx"),
        ]

    def __str__(self) -> str:
        return f"change request #{self.id} {self.action} {self.vps_id} {self.status}"

    @property
    def is_expired(self) -> bool:
        """Past its time, whether or not the expiry job has marked it yet."""
        return self.status == self.Status.EXPIRED or (
            self.status == self.Status.PENDING and self.expires_at <= timezone.now()
        )

    @property
    def status_tone(self) -> str:
        """The badge colour of the status: done (ok), still going (info), not known (warn), stopped (off)."""
        return "off" if self.is_expired else STATUS_TONES.get(self.status, "off")

    def is_requested_by(self, user) -> bool:
        """By id, and by name for a requester whose user row is gone (a new account under the old name)."""
        return (self.requested_by_id is not None and user.pk == self.requested_by_id) or (
            user.get_username() == self.requested_by_name
        )

    @property
    def is_open(self) -> bool:
        """Still waiting for a decision that can be made."""
        return self.status == self.Status.PENDING and not self.is_expired


STATUS_TONES = {
    ChangeRequest.Status.EXECUTED: "ok",
    ChangeRequest.Status.PENDING: "info",
    ChangeRequest.Status.APPROVED: "info",
    ChangeRequest.Status.UNKNOWN: "warn",
}
