"""The inventory snapshot: what the dashboard last learned about each VPS.

The list page reads only these tables, so it stays fast at 10,000 VPSes.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F
from django.utils import timezone


class AllocationStatus(models.TextChoices):
    """A per-VPS allocation's status as HostUp states it (anything else is kept as sent)."""

    ACTIVE = "active", "Active"
    COOLDOWN = "cooldown", "Cooldown"


STATE_ERROR_MAX_LENGTH = 200
# The list's "changed outside the dashboard" badge and filter look back this far.
OUTSIDE_CHANGE_RECENT = timedelta(days=7)


class VpsSnapshot(models.Model):
    """One row per VPS, filled by the inventory pass (names, IPs, states, account
    routes) and the state pass or a VPS page view (its own routed-IPv6 state)."""

    vps_id = models.CharField(primary_key=True, max_length=64)
    name = models.CharField(max_length=255)
    primary_ip = models.CharField(max_length=64, blank=True)
    service_status = models.CharField(max_length=32, blank=True)
    power_state = models.CharField(max_length=32, blank=True)
    synced_at = models.DateTimeField(help_text="When the inventory pass last saw this VPS.")

    # Account-level routes pointing at this VPS, from GET /api/v2/routed-ipv6.
    account_routes = models.JSONField(default=list, blank=True)
    # The same routes' prefixes as plain text, so one search box can find them.
    account_route_prefixes = models.TextField(blank=True)

    # The VPS's own routed-IPv6 state, from GET /api/v2/vps/{id}/routed-ipv6.
    # Null state_checked_at: never read; the other fields are then unknown.
    state_checked_at = models.DateTimeField(null=True, blank=True)
    routed_available = models.BooleanField(null=True)
    routed_reason = models.TextField(blank=True)
    parent_cidr = models.CharField(max_length=64, blank=True)
    max_per_vm = models.PositiveSmallIntegerField(null=True, blank=True)
    cooldown_days = models.PositiveSmallIntegerField(null=True, blank=True)
    routed_prefix = models.CharField(max_length=64, blank=True)
    allocation_status = models.CharField(max_length=32, blank=True)
    next_hop = models.CharField(max_length=64, blank=True)
    suggested_next_hop = models.CharField(max_length=64, blank=True)
    allocated_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    cooldown_until = models.DateTimeField(null=True, blank=True)
    # The last state read that failed for this VPS alone (a bad answer, a 5xx, a timeout): in
    # words, and when. The state columns above keep what was known; a successful read clears both.
    state_error = models.CharField(max_length=STATE_ERROR_MAX_LENGTH, blank=True)
    state_error_at = models.DateTimeField(null=True, blank=True)
    # A worker's state pass took this row to read it; other workers skip it until the lease ends
    # (a worker killed mid-read leaves it, and the lease lets another read it later).
    state_claimed_at = models.DateTimeField(null=True, blank=True)
    # The newest routed-IPv6 change HostUp's log shows on this VPS that went through none of our
    # actions (its panel, staff, a system job, another API key); set by the trail's import.
    outside_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name", "vps_id"]
        indexes = [
            models.Index(fields=["name", "vps_id"], name="vps_name_idx"),
            # The state pass reads the never-read rows, then the oldest-checked, first.
            models.Index(F("state_checked_at").asc(nulls_first=True), F("vps_id"), name="vps_state_queue_idx"),
            # The list sorted by prefix pages through this (sorted by state age, through vps_state_queue_idx).
            models.Index(fields=["routed_prefix", "vps_id"], name="vps_prefix_idx"),
            models.Index(fields=["outside_changed_at"], name="vps_outside_change_idx"),
            # The search box's trigram indexes are in migration 0002 (raw SQL).
        ]
        permissions = [
            ("allocate_routed_ipv6", "Can allocate routed IPv6"),
            ("refresh_next_hop", "Can refresh the routed-IPv6 next hop"),
            ("release_routed_ipv6", "Can release routed IPv6"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.vps_id})"

    @property
    def has_active_allocation(self) -> bool:
        return self.allocation_status == AllocationStatus.ACTIVE

    @property
    def has_state_error(self) -> bool:
        return bool(self.state_error)

    @property
    def is_next_hop_stale(self) -> bool:
        return bool(self.has_active_allocation and self.suggested_next_hop and self.next_hop != self.suggested_next_hop)

    @property
    def is_in_cooldown(self) -> bool:
        return self.allocation_status == AllocationStatus.COOLDOWN and bool(
            self.cooldown_until and self.cooldown_until > timezone.now()
        )

    @property
    def is_unavailable(self) -> bool:
        """HostUp says no routed IPv6 here, for a reason other than a cooldown (that has its own badge)."""
        return self.routed_available is False and not self.is_in_cooldown

    @property
    def is_never_checked(self) -> bool:
        return self.state_checked_at is None

    @property
    def is_changed_outside(self) -> bool:
        """HostUp's log shows a change made outside the dashboard within OUTSIDE_CHANGE_RECENT."""
        return bool(self.outside_changed_at and self.outside_changed_at > timezone.now() - OUTSIDE_CHANGE_RECENT)


class StateCounts(models.Model):
    """How many VPSes are in each of the list's states, counted at counted_at: one row, so the
    list reads the counts above its table instead of counting the table on every render."""

    key = models.CharField(primary_key=True, max_length=16)
    counts = models.JSONField(default=dict)  # state -> VPSes in it (inventory.selectors.VpsState)
    counted_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} at {self.counted_at}: {self.counts}"


class SyncRun(models.Model):
    """One run of the inventory sync, so the list can say how old its data is and why a sync failed."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class StateStop(models.TextChoices):
        """Why the state pass ended before it read every VPS it meant to (blank: it did not)."""

        PACING = "pacing", "the rate-limit window is used up"
        RATE_LIMITED = "rate_limited", "HostUp is rate-limiting us"
        KEY_REFUSED = "key_refused", "HostUp refused our API key"
        UNREACHABLE = "unreachable", "HostUp could not be reached"
        FAILING = "failing", "HostUp failed several VPSes in a row"

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    vps_count = models.PositiveIntegerField(default=0)
    states_checked = models.PositiveIntegerField(default=0)  # routed-IPv6 states read and stored
    states_failed = models.PositiveIntegerField(default=0)  # VPSes whose state could not be read
    state_stop = models.CharField(max_length=16, choices=StateStop.choices, blank=True)
    upstream_calls = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"sync {self.started_at:%Y-%m-%d %H:%M:%S} {self.status}"


class RateBudget(models.Model):
    """HostUp's rate-limit window as it last told us, one row shared by every worker on every host.

    Background jobs count it down before each call and correct it from each answer's
    X-RateLimit-* headers, so together they spend at most STATE_PASS_SHARE of a window.
    """

    key = models.CharField(primary_key=True, max_length=32)
    limit = models.PositiveIntegerField(null=True)  # requests per window, as HostUp states it
    remaining = models.IntegerField(null=True)
    resets_at = models.DateTimeField(null=True)
    # After a 429: no background call before this, on any worker (HostUp's Retry-After).
    paused_until = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.remaining}/{self.limit} until {self.resets_at}"


class LiveReadCount(models.Model):
    """How many live reads of HostUp one user's VPS page views made in one minute.

    In PostgreSQL, not in process memory, so the budget holds across gunicorn workers and
    hosts; each count drops that user's older minutes, so the table keeps about a row per user.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()  # the minute's start
    reads = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "minute"], name="live_read_user_minute_uniq")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.minute:%H:%M}: {self.reads}"
