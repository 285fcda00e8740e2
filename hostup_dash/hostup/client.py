"""HTTP client for the routed-IPv6 subset of HostUp's API v2.

Knows nothing of Django: callers pass the URL, token and timeout. Every call
returns a typed result or raises HostupError.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import requests
from urllib3.exceptions import NewConnectionError

from hostup_dash import __version__

from .account_routes import AccountRoutesCalls
from .audit_log import AuditLogCalls
from .errors import (
    CONNECT_TIMEOUT,
    CONNECTION_DROPPED,
    CONNECTION_FAILED,
    INVALID_RACK_ID,
    INVALID_VPS_ID,
    MALFORMED_RESPONSE,
    TIMEOUT,
    UNEXPECTED_REDIRECT,
    FieldError,
    HostupError,
    InvalidRequest,
)
from .problems import problem_from_response
from .types import Reply, RoutedIpv6Release, RoutedIpv6State, Vps, VpsPage
from .waiting import WaitingSlots

# Documented only by example: `vps_` + 26 lower-case ULID characters.
VPS_ID_PATTERN = re.compile(r"^vps_[0-9a-hjkmnp-tv-z]{26}$")
RACK_ID_MAX_LENGTH = 50
PAGE_SIZE = 100
RETRY_STATUSES = frozenset({429, 502, 503, 504})
USER_AGENT = f"hostup-dash/{__version__}"
_VPS_IN_PATH = re.compile(r"^/api/v2/vps/([^/]+)")
# A pool's or route's id in the path: metrics name the template, so each new id adds no series.
_ACCOUNT_ID_IN_PATH = re.compile(r"^(/api/v2/routed-ipv6(?:/routes)?)/[^/]+$")

# The scopes each operation needs (NOTES.md "Access"), named on a 403 so an admin knows what our key lacks.
READ_VM = ("read:vm",)
WRITE_NETWORK = ("write:network",)

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class HostupCall:
    """One HTTP exchange, as an observer (the metrics) is told of it."""

    method: str
    endpoint: str  # the path with the VPS id as {id}, so every VPS shares one endpoint
    status: int | None  # None when no answer came
    error_code: str
    seconds: float
    rate_limit_remaining: int | None  # as the answer stated it; None when no answer came


def is_valid_vps_id(vps_id: str) -> bool:
    return bool(VPS_ID_PATTERN.fullmatch(vps_id))


def check_vps_id(vps_id: str) -> None:
    """Raises InvalidRequest unless the id has HostUp's form (it becomes part of a URL path)."""
    if not is_valid_vps_id(vps_id):
        raise InvalidRequest(
            code=INVALID_VPS_ID,
            title="Not a HostUp VPS id",
            detail="A VPS id looks like vps_ followed by 26 letters and digits.",
        )


def check_rack_id(rack_id: str | None) -> None:
    """Raises InvalidRequest for a rack id HostUp would refuse."""
    if rack_id is None:
        return
    if len(rack_id) > RACK_ID_MAX_LENGTH:
        detail, code = f"Rack id must be at most {RACK_ID_MAX_LENGTH} characters.", "too_long"
    elif not rack_id.isprintable():
        detail, code = "Rack id must not contain control characters.", "invalid_characters"
    else:
        return
    raise InvalidRequest(
        code=INVALID_RACK_ID,
        title="Invalid rack id",
        detail=detail,
        errors=(FieldError(pointer="/rackId", detail=detail, code=code),),
    )


def _never_sent(error: requests.ConnectionError) -> bool:
    """The connection was never made (refused, no route, DNS), so nothing reached HostUp."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)


def _dropped() -> HostupError:
    return HostupError(
        code=CONNECTION_DROPPED,
        title="The connection to HostUp broke",
        detail="The connection failed after the request was sent, so its outcome is unknown.",
    )


class HostupClient(AuditLogCalls, AccountRoutesCalls):
    """One requests.Session per client; not shared between threads.

    Given `waiting`, the client holds one of those slots from its creation to close(): when none
    is free, creating it raises HostupError (hostup_busy), before anything is sent or recorded.
    """

    def __init__(
        self,
        *,
        base_url: str,
        token: str,
        timeout: float,
        read_timeout: float | None = None,
        waiting: WaitingSlots | None = None,
        max_retries: int = 2,
        max_retry_wait: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        actor: str = "",
        on_call: Callable[[HostupCall], None] | None = None,
    ) -> None:
        if waiting is not None:
            waiting.take()
        self._waiting = waiting
        self._base_url = base_url.rstrip("/")
        self._actor = actor  # who the calls are made for, in the log lines
        # A refused or black-holed connect should fail fast even when reads may be slow.
        self._timeout = (min(timeout, 5.0), timeout)
        # A GET changes nothing, so giving up on it sooner loses nothing but the answer.
        read = timeout if read_timeout is None else read_timeout
        self._read_timeout = (min(read, 5.0), read)
        self._max_retries = max_retries
        self._max_retry_wait = max_retry_wait
        self._sleep = sleep
        self._on_call = on_call
        self._session = requests.Session()
        self._session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": USER_AGENT}
        )
        # The last rate-limit headers seen, so long jobs can pace themselves.
        self.rate_limit_remaining: int | None = None
        self.rate_limit_limit: int | None = None
        self.rate_limit_reset: datetime | None = None
        # Requests sent, retries included: syncs report it.
        self.calls_made = 0

    def __repr__(self) -> str:  # never show the token
        return f"HostupClient(base_url={self._base_url!r})"

    def close(self) -> None:
        self._session.close()
        if self._waiting is not None:
            self._waiting.give_back()
            self._waiting = None

    # --- operations -------------------------------------------------------

    def list_vps_page(self, *, cursor: str | None = None, limit: int = PAGE_SIZE) -> VpsPage:
        """listVps: one page of VPSes."""
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        return VpsPage.from_json(self._get("/api/v2/vps", READ_VM, params=params).value)

    def iter_vps(self) -> Iterator[Vps]:
        """listVps, walking nextCursor through every page."""
        cursor: str | None = None
        while True:
            page = self.list_vps_page(cursor=cursor)
            yield from page.items
            if not page.next_cursor or not page.items:
                return
            cursor = page.next_cursor

    def list_vps(self) -> list[Vps]:
        """listVps: every VPS of the account."""
        return list(self.iter_vps())

    def get_vps(self, vps_id: str) -> Vps:
        """getVps."""
        check_vps_id(vps_id)
        return Vps.from_json(self._get(f"/api/v2/vps/{vps_id}", READ_VM).value)

    def get_routed_ipv6(self, vps_id: str) -> RoutedIpv6State:
        """getVpsRoutedIpv6."""
        check_vps_id(vps_id)
        return RoutedIpv6State.from_json(self._get(f"/api/v2/vps/{vps_id}/routed-ipv6", READ_VM).value)

    def allocate_routed_ipv6(self, vps_id: str, *, rack_id: str | None = None) -> Reply[RoutedIpv6State]:
        """allocateOrRefreshVpsRoutedIpv6 with action=allocate (201 new, 200 existing)."""
        return self._post_action(vps_id, "allocate", rack_id)

    def refresh_next_hop(self, vps_id: str, *, rack_id: str | None = None) -> Reply[RoutedIpv6State]:
        """allocateOrRefreshVpsRoutedIpv6 with action=refresh_next_hop."""
        return self._post_action(vps_id, "refresh_next_hop", rack_id)

    def release_routed_ipv6(self, vps_id: str) -> Reply[RoutedIpv6Release]:
        """releaseVpsRoutedIpv6."""
        check_vps_id(vps_id)
        reply = self._send("DELETE", f"/api/v2/vps/{vps_id}/routed-ipv6", WRITE_NETWORK)
        return Reply(RoutedIpv6Release.from_json(reply.value), reply.status, reply.request_id)

    # --- plumbing ---------------------------------------------------------

    def _post_action(self, vps_id: str, action: str, rack_id: str | None) -> Reply[RoutedIpv6State]:
        check_vps_id(vps_id)
        check_rack_id(rack_id)
        body: dict[str, str] = {"action": action}
        if rack_id:
            body["rackId"] = rack_id
        reply = self._send("POST", f"/api/v2/vps/{vps_id}/routed-ipv6", WRITE_NETWORK, json=body)
        return Reply(RoutedIpv6State.from_json(reply.value), reply.status, reply.request_id)

    def _get(self, path: str, scopes: tuple[str, ...], *, params: dict[str, Any] | None = None) -> Reply[Any]:
        """GETs are safe to repeat: retry on 429/502/503/504 within a bounded wait."""
        waited = 0.0
        for attempt in range(self._max_retries + 1):
            try:
                return self._send("GET", path, scopes, params=params)
            except HostupError as error:
                if error.status not in RETRY_STATUSES or attempt == self._max_retries:
                    raise
                delay = error.retry_after if error.retry_after is not None else 2.0**attempt
                if waited + delay > self._max_retry_wait:
                    raise
                self._sleep(delay)
                waited += delay
        raise AssertionError("unreachable")  # the loop either returns or raises

    def _send(self, method: str, path: str, scopes: tuple[str, ...], **kwargs: Any) -> Reply[Any]:
        """One HTTP exchange, logged as one JSON line; writes come here directly and are never retried."""
        self.calls_made += 1
        started = time.monotonic()
        status: int | None = None
        request_id: str | None = None
        error_code = ""
        try:
            reply = self._exchange(method, path, scopes, **kwargs)
            status, request_id = reply.status, reply.request_id
            return reply
        except HostupError as error:
            status, request_id, error_code = error.status, error.request_id, error.code
            raise
        finally:
            seconds = time.monotonic() - started
            vps = _VPS_IN_PATH.match(path)
            logger.info(
                "hostup %s %s -> %s",
                method,
                path,
                status or error_code,
                extra={
                    "event": "hostup_call",
                    "method": method,
                    "path": path,
                    "status": status,
                    "error_code": error_code,
                    "duration_ms": round(seconds * 1000, 1),
                    "hostup_request_id": request_id,
                    "vps_id": vps.group(1) if vps else None,
                    "actor": self._actor,
                },
            )
            if self._on_call:
                answered = status is not None
                self._on_call(
                    HostupCall(
                        method=method,
                        endpoint=_ACCOUNT_ID_IN_PATH.sub(
                            r"\1/{id}", _VPS_IN_PATH.sub("/api/v2/vps/{id}", path, count=1)
                        ),
                        status=status,
                        error_code=error_code,
                        seconds=seconds,
                        rate_limit_remaining=self.rate_limit_remaining if answered else None,
                    )
                )

    def _exchange(self, method: str, path: str, scopes: tuple[str, ...], **kwargs: Any) -> Reply[Any]:
        try:
            response = self._session.request(
                method,
                self._base_url + path,
                timeout=self._read_timeout if method == "GET" else self._timeout,
                # Followed, a 302 to a POST comes back as a GET, and the write would read as done.
                allow_redirects=False,
                **kwargs,
            )
        except requests.ConnectTimeout:
            raise HostupError(
                code=CONNECT_TIMEOUT,
                title="HostUp could not be reached",
                detail="Connecting to HostUp timed out; the request was not sent.",
            ) from None
        except requests.Timeout:
            raise HostupError(
                code=TIMEOUT,
                title="HostUp did not answer in time",
                detail="The request was sent but no answer came back in time, so its outcome is unknown.",
            ) from None
        except requests.ConnectionError as error:
            if _never_sent(error):
                raise HostupError(
                    code=CONNECTION_FAILED,
                    title="HostUp could not be reached",
                    detail="The connection to HostUp was refused; the request was not sent.",
                ) from None
            raise _dropped() from None
        except requests.RequestException:  # broken chunked body, bad encoding, redirect loop...
            raise _dropped() from None
        self._remember_rate_limit(response)
        request_id = response.headers.get("X-Request-Id")
        if 300 <= response.status_code < 400:
            raise HostupError(
                status=response.status_code,
                code=UNEXPECTED_REDIRECT,
                title="HostUp sent an answer we could not read",
                detail=f"The answer was a redirect ({response.status_code}), which HostUp's API never sends.",
                request_id=request_id,
            )
        if not response.ok:
            raise problem_from_response(response, scopes)
        try:
            body = response.json()
        except ValueError:
            raise HostupError(
                status=response.status_code,
                code=MALFORMED_RESPONSE,
                title="HostUp sent an answer we could not read",
                detail="The answer was not valid JSON.",
                request_id=request_id,
            ) from None
        return Reply(body, response.status_code, request_id)

    def _remember_rate_limit(self, response: requests.Response) -> None:
        remaining = response.headers.get("X-RateLimit-Remaining", "")
        if remaining.isdigit():
            self.rate_limit_remaining = int(remaining)
        limit = response.headers.get("X-RateLimit-Limit", "")
        if limit.isdigit():
            self.rate_limit_limit = int(limit)
        reset = response.headers.get("X-RateLimit-Reset")
        if reset:
            try:
                self.rate_limit_reset = datetime.fromisoformat(reset.replace("Z", "+00:00"))
            except ValueError:
                self.rate_limit_reset = None
