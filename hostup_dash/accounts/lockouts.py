"""Counting locked-out login attempts per cool-off window, so that a flood of them cannot grow the audit log."""

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from hostup_dash.core.locks import lock_key

from .models import LoginLockout

Kind = LoginLockout.Kind
WINDOWS_LOCK = "login-lockout-windows"


def login_lockout_count(*, username: str, client_ip: str | None) -> int | None:
    """Count one locked-out attempt against its username's and its address's windows.

    None while either window is open: the attempt is only counted. Otherwise both windows start
    again and the answer is how many attempts the last one counted (0 for the first): the caller
    records the new window in the same transaction.
    """
    keys = {kind: value for kind, value in ((Kind.USERNAME, username), (Kind.ADDRESS, client_ip)) if value}
    if not keys:
        return 0
    now = timezone.now()
    with transaction.atomic():
        # Held to the caller's commit: two attempts at once must not both open a window.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(WINDOWS_LOCK)])
        matching = Q()
        for kind, value in keys.items():
            matching |= Q(kind=kind, value=value)
        windows = list(LoginLockout.objects.filter(matching))
        still_open = [window.pk for window in windows if now - window.window_started_at < settings.AXES_COOLOFF_TIME]
        if still_open:
            LoginLockout.objects.filter(pk__in=still_open).update(attempts=F("attempts") + 1)
            return None
        for kind, value in keys.items():
            LoginLockout.objects.update_or_create(
                kind=kind, value=value, defaults={"window_started_at": now, "attempts": 1}
            )
        return max((window.attempts for window in windows), default=0)
