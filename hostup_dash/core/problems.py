"""The dashboard's own HTTP status for a failed attempt: what happened to the dashboard.

A 5xx from the dashboard must mean a bug in the dashboard, so HostUp's failures are
answered as a gateway would (502, 504) and never passed through.
"""

from __future__ import annotations

from hostup_dash.core.errors import Refusal
from hostup_dash.hostup import HostupError
from hostup_dash.hostup.errors import CONNECT_TIMEOUT, TIMEOUT

BAD_GATEWAY = 502
GATEWAY_TIMEOUT = 504


def problem_status(problem: HostupError | Refusal) -> int:
    """The status to answer with: a refusal's own; for HostUp's failures, as mapped here."""
    if isinstance(problem, Refusal):
        return problem.status
    status = problem.status
    if status is None:  # no answer at all
        return GATEWAY_TIMEOUT if problem.code in (TIMEOUT, CONNECT_TIMEOUT) else BAD_GATEWAY
    if status in (401, 403) or status >= 500 or status < 400:
        # Our API key is wrong or lacks a scope, HostUp failed, or a 2xx was unreadable.
        return BAD_GATEWAY
    if status in (404, 409, 429):
        return status
    return 400  # HostUp refused the request as sent (400, 422, ...)
