"""The one error type the HostUp client raises: a parsed RFC 7807 problem.

Failures that never produced a problem document (timeouts, refused connections,
bodies that are not what the contract promises) use the same type, each with a
code of our own, so callers handle every failure in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

# Codes of our own, for failures HostUp itself did not describe.
TIMEOUT = "timeout"  # the request was sent but no answer came in time: the outcome is unknown
CONNECT_TIMEOUT = "connect_timeout"  # the request never left: nothing happened upstream
CONNECTION_FAILED = "connection_failed"  # refused: the request was not sent
CONNECTION_DROPPED = "connection_dropped"  # broke after sending: the outcome is unknown
MALFORMED_RESPONSE = "malformed_response"  # only ever for a 2xx answer: HostUp did something
# HostUp's API never redirects, so a 3xx is not its answer; following one would replay a write as a GET.
UNEXPECTED_REDIRECT = "unexpected_redirect"
# Every slot for waiting on HostUp in this process is taken: the request was not sent.
HOSTUP_BUSY = "hostup_busy"
INVALID_VPS_ID = "invalid_vps_id"
INVALID_RACK_ID = "invalid_rack_id"
UNKNOWN_PROBLEM = "unknown_problem"

# HostUp's statuses that callers branch on.
KEY_REJECTED_STATUS = 401
SCOPE_MISSING_STATUS = 403
RATE_LIMITED_STATUS = 429


@dataclass(frozen=True)
class FieldError:
    """One entry of a problem's `errors[]`: which part of the request was rejected, and why."""

    pointer: str
    detail: str
    code: str

    @property
    def field(self) -> str:
        """The top-level request field the JSON pointer names (`/rackId` -> `rackId`)."""
        return self.pointer.lstrip("/").split("/", 1)[0]


class InvalidRequest(ValueError):
    """Input the client refuses to send (a malformed VPS id, a rack id HostUp would reject).

    Not a HostupError: nothing reached HostUp. Callers turn it into their own refusal.
    """

    def __init__(self, *, code: str, title: str, detail: str, errors: tuple[FieldError, ...] = ()) -> None:
        super().__init__(f"{title}: {detail}")
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = errors


class HostupError(Exception):
    """A HostUp call failed; carries the problem document's fields.

    `status` is None when no HTTP answer arrived at all. On a 403, `required_scopes` names
    what the operation needs, so the message can say which scope our API key lacks.
    """

    def __init__(
        self,
        *,
        code: str,
        title: str,
        detail: str = "",
        status: int | None = None,
        errors: tuple[FieldError, ...] = (),
        request_id: str | None = None,
        retry_after: float | None = None,
        required_scopes: tuple[str, ...] = (),
    ) -> None:
        super().__init__(f"{title}: {detail}" if detail else title)
        self.code = code
        self.title = title
        self.detail = detail
        self.status = status
        self.errors = errors
        self.request_id = request_id
        self.retry_after = retry_after
        self.required_scopes = required_scopes

    @property
    def is_outcome_unknown(self) -> bool:
        """True when a write may or may not have happened upstream.

        A gateway's 502/504 says nothing of what the server behind it did; an unreadable
        2xx answer means HostUp did act, we just cannot tell the result; a 3xx came from
        something between us and HostUp, which may or may not have passed the request on.
        """
        unknown = (TIMEOUT, CONNECTION_DROPPED, MALFORMED_RESPONSE, UNEXPECTED_REDIRECT)
        return self.code in unknown or self.status in (502, 504)

    @property
    def is_busy(self) -> bool:
        """Too many requests of this process are already waiting on HostUp: nothing was sent."""
        return self.code == HOSTUP_BUSY

    @property
    def is_rate_limited(self) -> bool:
        return self.status == RATE_LIMITED_STATUS

    @property
    def is_key_rejected(self) -> bool:
        """HostUp does not accept our API key at all (missing, wrong or revoked)."""
        return self.status == KEY_REJECTED_STATUS

    @property
    def is_scope_missing(self) -> bool:
        """Our API key is valid but lacks a scope this operation needs."""
        return self.status == SCOPE_MISSING_STATUS

    def __repr__(self) -> str:
        return f"HostupError(status={self.status!r}, code={self.code!r}, request_id={self.request_id!r})"
