"""Turning HostUp's non-2xx answers into HostupError, whatever their bodies look like."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import requests

from .errors import SCOPE_MISSING_STATUS, UNKNOWN_PROBLEM, FieldError, HostupError


def parse_retry_after(response: requests.Response) -> float | None:
    """Seconds to wait: Retry-After (seconds or HTTP date); for a 429 without it, until X-RateLimit-Reset."""
    now = datetime.now(UTC)
    header = response.headers.get("Retry-After")
    if header:
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(header) - now).total_seconds())
            except (TypeError, ValueError):
                pass
    reset = response.headers.get("X-RateLimit-Reset")
    if reset and response.status_code == 429:
        try:
            return max(0.0, (datetime.fromisoformat(reset.replace("Z", "+00:00")) - now).total_seconds())
        except ValueError:
            pass
    return None


def problem_from_response(response: requests.Response, scopes: tuple[str, ...]) -> HostupError:
    """Turn a non-2xx answer into HostupError, whatever its body looks like."""
    retry_after = parse_retry_after(response)
    required_scopes = scopes if response.status_code == SCOPE_MISSING_STATUS else ()
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return HostupError(
            status=response.status_code,
            code=UNKNOWN_PROBLEM,
            title=f"HostUp answered {response.status_code} {response.reason or ''}".strip(),
            detail="The answer carried no problem description.",
            retry_after=retry_after,
            required_scopes=required_scopes,
        )

    def text(key: str) -> str:
        value = body.get(key)
        return value if isinstance(value, str) else ""

    errors = (
        tuple(
            FieldError(
                pointer=str(item.get("pointer", "")), detail=str(item.get("detail", "")), code=str(item.get("code", ""))
            )
            for item in body.get("errors") or []
            if isinstance(item, dict)
        )
        if isinstance(body.get("errors"), list)
        else ()
    )
    return HostupError(
        status=response.status_code,
        code=text("code") or UNKNOWN_PROBLEM,
        title=text("title") or f"HostUp answered {response.status_code}",
        detail=text("detail"),
        errors=errors,
        request_id=text("requestId") or response.headers.get("X-Request-Id"),
        retry_after=retry_after,
        required_scopes=required_scopes,
    )
