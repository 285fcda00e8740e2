"""HostUp's rate-limit window, shared by every background job on every host through one row.

HostUp counts requests per API key, whoever sends them. Background work (the state pass,
bulk items) may spend at most STATE_PASS_SHARE of each window, so people clicking always
keep the rest. The row holds what HostUp last said (X-RateLimit-*), counted down by each
call a job is about to make; every answer corrects it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hostup_dash.hostup import HostupClient

from ..models import RateBudget

BUDGET_KEY = "hostup"
# When HostUp gave no window end, try again this soon.
UNKNOWN_WINDOW_WAIT_S = 1.0
# A reset time just passed: leave HostUp a moment to open the next window.
RESET_MARGIN_S = 0.05


def budget_take(*, share: float | None = None, client: HostupClient | None = None) -> float:
    """Take one request from the background share: 0.0 when it may be sent now, else seconds to wait.

    With `client`, first corrects the row from that client's last answer, in the same transaction
    (one round of locking per request instead of two).
    """
    share = settings.STATE_PASS_SHARE if share is None else share
    with transaction.atomic():
        budget, _ = RateBudget.objects.select_for_update().get_or_create(key=BUDGET_KEY)
        if client is not None:
            _apply_observation(budget, client)
        now = timezone.now()
        if budget.paused_until and budget.paused_until > now:
            budget.save()
            return _seconds_until(budget.paused_until, now)
        if budget.resets_at is not None and budget.resets_at <= now and budget.limit is not None:
            # The window HostUp told us of is over: the next one starts full.
            budget.remaining, budget.resets_at = budget.limit, None
        wait = 0.0
        if budget.limit is not None and budget.remaining is not None:
            reserve = budget.limit * (1 - share)
            if budget.remaining - 1 < reserve:
                wait = UNKNOWN_WINDOW_WAIT_S if budget.resets_at is None else _seconds_until(budget.resets_at, now)
            else:
                budget.remaining -= 1
        budget.save()
    return wait


def budget_observe(client: HostupClient) -> None:
    """Correct the shared row from the rate-limit headers of the client's last answer."""
    if client.rate_limit_remaining is None or client.rate_limit_limit is None:
        return
    with transaction.atomic():
        budget, _ = RateBudget.objects.select_for_update().get_or_create(key=BUDGET_KEY)
        _apply_observation(budget, client)
        budget.save()


def _apply_observation(budget: RateBudget, client: HostupClient) -> None:
    remaining, limit, resets_at = client.rate_limit_remaining, client.rate_limit_limit, client.rate_limit_reset
    if remaining is None or limit is None:
        return
    if resets_at is not None and budget.resets_at is not None and resets_at < budget.resets_at:
        return  # a late answer from a window that is already over
    # Within one window HostUp's count only falls; several workers' answers arrive out of order.
    if resets_at is not None and budget.resets_at == resets_at and budget.remaining is not None:
        remaining = min(budget.remaining, remaining)
    budget.remaining, budget.limit, budget.resets_at = remaining, limit, resets_at


def budget_pause(*, seconds: float) -> None:
    """HostUp answered 429: no background call until Retry-After has passed, on any worker."""
    until = timezone.now() + timedelta(seconds=max(seconds, UNKNOWN_WINDOW_WAIT_S))
    with transaction.atomic():
        budget, _ = RateBudget.objects.select_for_update().get_or_create(key=BUDGET_KEY)
        budget.paused_until, budget.remaining = until, 0
        budget.save()


def _seconds_until(moment: datetime, now: datetime) -> float:
    return max((moment - now).total_seconds(), 0.0) + RESET_MARGIN_S
