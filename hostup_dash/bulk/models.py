"""Bulk actions: one run of an action over many VPSes, one item per VPS.

The items are the run's only state: what is left to do, what was done and why. A worker
(or the bulk_action command) works through them in order; each item goes through the same
action service as a click, so the audit log holds its intent and outcome, tagged with the run.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class BulkRun(models.Model):
    class Action(models.TextChoices):
        # The same values as AuditRecord.Action: an item's records name the action the run names.
        REFRESH_NEXT_HOP = "refresh_next_hop", "Refresh next hop"
        ALLOCATE = "allocate", "Allocate"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    action = models.CharField(max_length=32, choices=Action.choices)
    # Who asked outlives the user row: SET_NULL plus copies of the name and role.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_name = models.CharField(max_length=150)
    requested_by_role = models.CharField(max_length=32, blank=True)
    client_ip = models.CharField(max_length=45, blank=True)  # where the request came from; each item's records copy it
    # Why the run was asked for (change control); every item's audit records carry both.
    reason = models.TextField(max_length=500, blank=True)
    ticket = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    cancelled_by_name = models.CharField(max_length=150, blank=True)
    # After a 429: HostUp's Retry-After, when the run carries on.
    paused_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"bulk run #{self.id} {self.action} {self.status}"

    @property
    def is_done(self) -> bool:
        return self.finished_at is not None


class BulkItem(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Unknown"
        SKIPPED = "skipped", "Skipped"

    run = models.ForeignKey(BulkRun, on_delete=models.CASCADE, related_name="items")
    vps_id = models.CharField(max_length=64)
    vps_name = models.CharField(max_length=255, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    detail = models.TextField(blank=True)  # what happened, in words
    # The item's last audit record: the action's outcome, or its intent when the outcome was never written.
    audit_record = models.ForeignKey(
        "audit.AuditRecord", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]  # the order the run works through them
        constraints = [models.UniqueConstraint(fields=["run", "vps_id"], name="bulk_item_once_per_run")]
        # The next pending item of a run, and the counts per state.
        indexes = [models.Index(fields=["run", "state", "id"], name="bulk_item_state_idx")]

    def __str__(self) -> str:
        return f"{self.vps_id} {self.state}"
