"""The audit log: append-only, hash-chained records of every routed-IPv6 action,
every refusal and every login.

An action leaves two records: its intent, committed before HostUp is called, and
its outcome, appended after (pointing back at the intent). No record is ever
updated or deleted: a trigger in Postgres refuses both (migration 0002).
"""

import hashlib
import json
from datetime import UTC
from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone

GENESIS_HASH = "0" * 64


class AuditRecord(models.Model):
    class Action(models.TextChoices):
        ALLOCATE = "allocate", "Allocate"
        REFRESH_NEXT_HOP = "refresh_next_hop", "Refresh next hop"
        RELEASE = "release", "Release"
        # The worker's follow-up to an intent whose outcome was unknown: what HostUp shows now.
        RESOLVE_OUTCOME = "resolve_outcome", "Outcome checked"
        # An unknown outcome settled by HostUp's own audit log (the record points at the intent).
        RECONCILE = "reconcile", "Reconciled from HostUp's log"
        # The account-level routed IPv6: the /48 pools and the routes cut from them.
        POOL_ALLOCATE = "pool_allocate", "Allocate pool"
        POOL_RELEASE = "pool_release", "Release pool"
        ROUTE_CREATE = "route_create", "Create route"
        ROUTE_DELETE = "route_delete", "Delete route"
        # Change control: a change request's life, and a change made without approval in an emergency.
        CHANGE_REQUEST = "change_request", "Request change"
        CHANGE_APPROVE = "change_approve", "Approve change"
        CHANGE_REJECT = "change_reject", "Reject change"
        CHANGE_EXPIRE = "change_expire", "Change request expired"
        CHANGE_INVALIDATE = "change_invalidate", "Change request invalidated"
        CHANGE_EXECUTE = "change_execute", "Change executed"
        BREAK_GLASS = "break_glass", "Emergency change"
        WEBHOOK_ADD = "webhook_add", "Add webhook"
        WEBHOOK_REMOVE = "webhook_remove", "Remove webhook"
        LOGIN = "login", "Log in"
        LOGIN_FAILED = "login_failed", "Failed login"
        LOGOUT = "logout", "Log out"
        LOGIN_LOCKED_OUT = "login_locked_out", "Login locked out"
        # A password login by a break-glass account while local logins are off (SSO only).
        LOGIN_BREAK_GLASS = "login_break_glass", "Break-glass login"
        ROLE_CHANGE = "role_change", "Role change"
        # Other changes to a user account, wherever made (admin, command, SSO); never the password.
        USER_CREATE = "user_create", "Create user"
        USER_CHANGE = "user_change", "Change user"
        USER_ACTIVATE = "user_activate", "Activate user"
        USER_DEACTIVATE = "user_deactivate", "Deactivate user"
        PASSWORD_SET = "password_set", "Set password"
        USER_DELETE = "user_delete", "Delete user"
        EXPORT_AUDIT = "export_audit", "Export audit log"
        # Page views appear only when refused.
        VIEW_INVENTORY = "view_inventory", "View inventory"
        VIEW_HISTORY = "view_history", "View VPS history"
        VIEW_AUDIT = "view_audit", "View audit log"

    class Outcome(models.TextChoices):
        PENDING = "pending", "Sent, no outcome recorded"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        UNKNOWN = "unknown", "Unknown"
        REFUSED = "refused", "Refused"

    # The id orders the chain: records are inserted one at a time under a lock.
    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    # The outcome record of an action points at its intent record.
    intent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="outcomes", editable=False
    )
    # The actor outlives the user row: no FK constraint, plus copies of the name and role.
    actor = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        editable=False,
    )
    actor_name = models.CharField(max_length=150, editable=False)
    actor_role = models.CharField(max_length=32, blank=True, editable=False)
    client_ip = models.CharField(max_length=45, blank=True, editable=False)
    vps_id = models.CharField(max_length=64, blank=True, editable=False)
    vps_name = models.CharField(max_length=255, blank=True, editable=False)
    action = models.CharField(max_length=32, choices=Action.choices, editable=False)
    request_body = models.JSONField(default=dict, blank=True, editable=False)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, editable=False)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    problem_code = models.CharField(max_length=64, blank=True, editable=False)
    problem_detail = models.TextField(blank=True, editable=False)
    # The whole problem as HostUp (or our own check) described it, field errors included.
    problem = models.JSONField(default=dict, blank=True, editable=False)
    hostup_request_id = models.CharField(max_length=64, blank=True, editable=False)
    result_prefix = models.CharField(max_length=64, blank=True, editable=False)
    result_next_hop = models.CharField(max_length=64, blank=True, editable=False)
    duration_ms = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The bulk run an action was an item of (bulk.BulkRun; no FK: the log outlives the run and its app).
    bulk_run_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    # Why the change was made, in the actor's words, and the ticket it belongs to (change control).
    reason = models.TextField(max_length=500, blank=True, editable=False)
    ticket = models.CharField(max_length=100, blank=True, editable=False)
    # The change request a record belongs to (approvals.ChangeRequest; no FK, like bulk_run_id).
    change_request_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, unique=True, editable=False)

    # Every field that goes into the hash, in a fixed order.
    HASHED_FIELDS = (
        "created_at",
        "intent_id",
        "actor_id",
        "actor_name",
        "actor_role",
        "client_ip",
        "vps_id",
        "vps_name",
        "action",
        "request_body",
        "outcome",
        "http_status",
        "problem_code",
        "problem_detail",
        "problem",
        "hostup_request_id",
        "result_prefix",
        "result_next_hop",
        "duration_ms",
    )
    # Fields added after records existed: hashed only when set, so every older record hashes as it did.
    OPTIONAL_HASHED_FIELDS = ("bulk_run_id", "reason", "ticket", "change_request_id")

    class Meta:
        ordering = ["-id"]
        # Each filter of /audit/ has an index that also serves the newest-first keyset order.
        indexes = [
            models.Index(fields=["vps_id", "-id"], name="audit_vps_idx"),
            models.Index(Upper("vps_name"), F("id").desc(), name="audit_vps_name_idx"),
            models.Index(fields=["actor_name", "-id"], name="audit_actor_idx"),
            models.Index(fields=["action", "-id"], name="audit_action_idx"),
            models.Index(fields=["outcome", "-id"], name="audit_outcome_idx"),
            models.Index(fields=["result_prefix", "-id"], name="audit_prefix_idx"),
            models.Index(Upper("ticket"), F("id").desc(), name="audit_ticket_idx"),
            # Words anywhere in a reason (any case): a trigram index serves the ILIKE '%…%'.
            GinIndex(OpClass(Upper("reason"), name="gin_trgm_ops"), name="audit_reason_trgm_idx"),
            # Date ranges are turned into id ranges through this index.
            models.Index(fields=["created_at"], name="audit_time_idx"),
        ]
        permissions = [
            ("view_vps_history", "Can see a VPS's action history"),
            ("export_auditrecord", "Can export the audit log"),
        ]

    def __str__(self) -> str:
        return f"#{self.id} {self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.outcome}"

    def canonical_content(self) -> str:
        """The record's content as one canonical JSON text (sorted keys, no spaces, UTC times)."""
        content: dict[str, Any] = {}
        for name in self.HASHED_FIELDS:
            value = getattr(self, name)
            content[name] = value.astimezone(UTC).isoformat() if name == "created_at" else value
        for name in self.OPTIONAL_HASHED_FIELDS:
            value = getattr(self, name)
            if value is not None and value != "":
                content[name] = value
        return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def compute_hash(self) -> str:
        """SHA-256 over the previous record's hash and this record's canonical content."""
        return hashlib.sha256(f"{self.prev_hash}\n{self.canonical_content()}".encode()).hexdigest()
