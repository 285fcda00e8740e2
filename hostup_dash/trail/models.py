"""HostUp's own account audit log, imported: the other half of the trail.

Events are append-only like our audit records (a trigger in migration 0002 refuses UPDATE
and DELETE); imports and gaps are the importer's bookkeeping.
"""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class HostupEvent(models.Model):
    """One event of HostUp's log as it was imported, with the import's verdict on it."""

    id = models.CharField(primary_key=True, max_length=64)  # HostUp's event id (evt_…): re-imports skip it
    event_source = models.CharField(max_length=32)
    occurred_at = models.DateTimeField()
    method = models.CharField(max_length=16, blank=True)
    endpoint = models.CharField(max_length=255, blank=True)
    path = models.TextField(blank=True)
    status_code = models.PositiveSmallIntegerField(null=True)
    duration_ms = models.PositiveIntegerField(null=True)
    success = models.BooleanField(null=True)
    severity = models.CharField(max_length=32, blank=True)
    category = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=64, blank=True)
    summary = models.TextField(blank=True)
    resource_label = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=list)  # [{field, before, after}]
    actor_type = models.CharField(max_length=32, blank=True)
    actor_id = models.CharField(max_length=64, blank=True)
    auth_method = models.CharField(max_length=32, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.CharField(max_length=45, blank=True)
    user_agent = models.TextField(blank=True)
    error_message = models.TextField(blank=True)
    raw = models.JSONField(default=dict)  # the event exactly as HostUp sent it
    vps_id = models.CharField(max_length=64, blank=True)  # the VPS of a per-VPS call, from its path
    is_routed_ipv6 = models.BooleanField()
    # A routed-IPv6 change that went through none of our actions (decided once, at import).
    outside_dashboard = models.BooleanField(default=False)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # An audit_ table: `db_roles` grants the dashboard's role only SELECT and INSERT on it, as on our records.
        db_table = "audit_hostupevent"
        ordering = ["-occurred_at", "-id"]
        # Each source of /audit/'s timeline pages newest first through its own index.
        indexes = [
            models.Index(F("occurred_at").desc(), F("id").desc(), name="trail_event_time_idx"),
            models.Index(
                F("occurred_at").desc(), F("id").desc(), name="trail_event_routed_idx", condition=Q(is_routed_ipv6=True)
            ),
            models.Index(
                F("occurred_at").desc(),
                F("id").desc(),
                name="trail_event_outside_idx",
                condition=Q(outside_dashboard=True),
            ),
            models.Index(F("vps_id"), F("occurred_at").desc(), F("id").desc(), name="trail_event_vps_idx"),
            # "Confirmed by HostUp": our records' HostUp request ids, looked up a page at a time.
            models.Index(fields=["request_id"], name="trail_event_request_idx", condition=~Q(request_id="")),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.occurred_at:%Y-%m-%d %H:%M:%S} {self.method} {self.path}"

    @property
    def is_hostup(self) -> bool:  # the timeline's rows tell their source by this
        return True


class EventImport(models.Model):
    """One run of the import: the window it asked HostUp for and how it ended.

    The checkpoint is the newest succeeded run's end_at: it moves only once every page of a
    window is stored, so a killed run leaves it where it was and the next run reads the window again.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    start_at = models.DateTimeField()  # the startAt sent (the last end_at minus the overlap)
    end_at = models.DateTimeField()  # the endAt sent, the same for every page
    events_seen = models.PositiveIntegerField(default=0)
    events_new = models.PositiveIntegerField(default=0)
    outside_found = models.PositiveIntegerField(default=0)
    reconciled = models.PositiveIntegerField(default=0)
    problem_status = models.PositiveSmallIntegerField(null=True, blank=True)
    problem_code = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)  # why it failed, in words

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["status", "-end_at"], name="trail_import_status_idx")]

    def __str__(self) -> str:
        return f"import {self.start_at:%Y-%m-%d %H:%M} – {self.end_at:%H:%M} {self.status}"


class EventGap(models.Model):
    """A span of HostUp's history that may be missing here: no import read it while HostUp still kept it.

    One row per outage, its end moved on while the outage lasts (from_at stays the last point read).
    """

    from_at = models.DateTimeField(unique=True)
    to_at = models.DateTimeField()
    reason = models.TextField()
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-from_at"]

    def __str__(self) -> str:
        return f"gap {self.from_at:%Y-%m-%d %H:%M} – {self.to_at:%Y-%m-%d %H:%M}"


class OwnApiKey(models.Model):
    """An actorId HostUp gave our own requests, learned from events linked by request id.

    A request that timed out left us no request id: its event is found by this key instead.
    """

    actor_id = models.CharField(primary_key=True, max_length=64)
    learned_from = models.CharField(max_length=64)  # the event that showed it
    learned_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.actor_id
