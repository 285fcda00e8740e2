"""The audit log: one record per attempted routed-IPv6 action, refusals included."""

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditRecord(models.Model):
    class Action(models.TextChoices):
        ALLOCATE = "allocate", "Allocate"
        REFRESH_NEXT_HOP = "refresh_next_hop", "Refresh next hop"
        RELEASE = "release", "Release"
        # Page views appear only when refused.
        VIEW_INVENTORY = "view_inventory", "View inventory"
        VIEW_HISTORY = "view_history", "View VPS history"
        VIEW_AUDIT = "view_audit", "View audit log"
        EXPORT_AUDIT = "export_audit", "Export audit log"

    class Outcome(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        # Also the state of an intent whose outcome has not been written (yet, or ever).
        UNKNOWN = "unknown", "Unknown"
        REFUSED = "refused", "Refused"

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # Null while the upstream call is out; a record left so by a killed worker stays "unknown".
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The actor outlives the user row: keep copies of the name and role.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, editable=False)
    actor_name = models.CharField(max_length=150, editable=False)
    actor_role = models.CharField(max_length=32, blank=True, editable=False)
    client_ip = models.GenericIPAddressField(null=True, blank=True, editable=False)
    vps_id = models.CharField(max_length=64, blank=True, editable=False)
    vps_name = models.CharField(max_length=255, blank=True, editable=False)
    action = models.CharField(max_length=32, choices=Action.choices, editable=False)
    request_body = models.JSONField(default=dict, blank=True, editable=False)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.UNKNOWN, editable=False)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    problem_code = models.CharField(max_length=64, blank=True, editable=False)
    problem_detail = models.TextField(blank=True, editable=False)
    hostup_request_id = models.CharField(max_length=64, blank=True, editable=False)
    result_prefix = models.CharField(max_length=64, blank=True, editable=False)
    result_next_hop = models.CharField(max_length=64, blank=True, editable=False)
    duration_ms = models.PositiveIntegerField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The VPS page's history and the audit filters read newest-first per VPS.
            models.Index(fields=["vps_id", "-created_at"], name="audit_vps_time_idx"),
            models.Index(fields=["actor_name", "-created_at"], name="audit_actor_time_idx"),
            models.Index(fields=["-created_at", "-id"], name="audit_time_idx"),
        ]
        permissions = [
            ("view_vps_history", "Can see a VPS's action history"),
            ("export_auditrecord", "Can export the audit log"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.vps_id} {self.outcome}"
