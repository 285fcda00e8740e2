"""The dashboard's own HTTP answer for a failed attempt: what happened to the dashboard.

A 5xx from the dashboard must mean a bug in the dashboard, so HostUp's failures are
answered as a gateway would (502, 504) and never passed through.
"""

from __future__ import annotations

import math

from hostup_dash.core.errors import Refusal
from hostup_dash.hostup import HostupError
from hostup_dash.hostup.errors import CONNECT_TIMEOUT, TIMEOUT

BAD_REQUEST = 400
BAD_GATEWAY = 502
SERVICE_UNAVAILABLE = 503  # the dashboard's own: too many requests already wait on HostUp, this one was not sent
GATEWAY_TIMEOUT = 504
# HostUp's answers that describe the request itself: no such VPS, not in this state, too many requests.
PASSED_ON = frozenset({404, 409, 429})
# HostUp refused the request as sent; its field errors say why.
REFUSED_AS_SENT = frozenset({400, 422})


def problem_status(problem: HostupError | Refusal) -> int:
    """The status to answer with: a refusal's own; for HostUp's failures, as mapped here."""
    if isinstance(problem, Refusal):
        return problem.status
    if problem.is_busy:
        return SERVICE_UNAVAILABLE
    status = problem.status
    if status is None:  # no answer at all
        return GATEWAY_TIMEOUT if problem.code in (TIMEOUT, CONNECT_TIMEOUT) else BAD_GATEWAY
    if status in PASSED_ON:
        return status
    if status in REFUSED_AS_SENT:
        return BAD_REQUEST
    # HostUp failed (5xx), rejects our API key or its scopes (401/403), sent a 2xx we could not
    # read, or refused something no user input explains (405, 415...): the user did nothing wrong.
    return BAD_GATEWAY


def problem_headers(problem: HostupError | Refusal) -> dict[str, str]:
    """Headers that go with the status: on a 429, Retry-After in whole seconds when HostUp said how long."""
    wait = problem.retry_after if isinstance(problem, HostupError) and problem.is_rate_limited else None
    if wait is None or not math.isfinite(wait):
        return {}
    return {"Retry-After": str(math.ceil(wait))}
