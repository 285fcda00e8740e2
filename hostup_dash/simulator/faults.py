"""Failures that tests inject with `Simulator.fail_next`: each answers the next matching requests instead."""

import threading
from dataclasses import dataclass

from hostup_dash.simulator.http import JSON, Reply
from hostup_dash.simulator.problems import ApiProblem

FAILURE_KINDS = (
    "rate_limit",
    "unavailable",
    "bad_gateway",
    "internal",
    "malformed",
    "wrong_shape",
    "unauthorized",
    "conflict",
    "redirect",
)
# Where the redirect kind points: a real path, so a client that follows it gets a 200 of another shape.
REDIRECT_LOCATION = "/api/v2/vps"


@dataclass
class Injection:
    kind: str
    remaining: int
    path_prefix: str
    retry_after: int | None

    def reply(self) -> Reply:
        """The canned answer for this kind; problem kinds are raised and rendered as usual."""
        if self.kind == "malformed":
            return Reply(200, b"<html>oops</html>", JSON)
        if self.kind == "wrong_shape":
            return Reply(200, b'["not", "the", "documented", "shape"]', JSON)
        if self.kind == "redirect":  # HostUp never redirects; a hostile or misconfigured proxy in front of it might
            return Reply(302, b"", JSON, {"Location": REDIRECT_LOCATION})
        if self.kind == "rate_limit":
            # retry_after=None leaves Retry-After out: clients then fall back to X-RateLimit-Reset.
            retry = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
            raise ApiProblem(
                429, "rate_limit_exceeded", "Too many requests.", headers={**retry, "X-RateLimit-Remaining": "0"}
            )
        if self.kind == "unavailable":
            raise ApiProblem(503, "service_unavailable", "The service is temporarily unavailable.")
        if self.kind == "bad_gateway":
            raise ApiProblem(502, "bad_gateway", "The upstream service did not answer.")
        if self.kind == "unauthorized":  # the key was revoked mid-run
            raise ApiProblem(401, "unauthorized", "Authentication required.")
        if self.kind == "conflict":
            raise ApiProblem(409, "vps_not_ready", "The VPS is not ready for this operation.")
        raise ApiProblem(500, "internal_error", "An unexpected error occurred.")


class Faults:
    """The pending injections, first added first used; tests add them while the server threads take them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[Injection] = []

    def add(self, kind: str, *, count: int, path_prefix: str, retry_after: int | None) -> None:
        if kind not in FAILURE_KINDS:
            raise ValueError(f"Unknown failure kind {kind!r}; use one of {', '.join(FAILURE_KINDS)}.")
        with self._lock:
            self._pending.append(Injection(kind, count, path_prefix, retry_after))

    def take(self, path: str) -> Injection | None:
        """The first injection that covers `path`, counted as used once; None when no failure is due."""
        with self._lock:
            for injection in self._pending:
                if path.startswith(injection.path_prefix):
                    injection.remaining -= 1
                    if injection.remaining <= 0:
                        self._pending.remove(injection)
                    return injection
        return None
