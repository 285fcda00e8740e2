"""HostUp's rate limit: a fixed window per token, reported in X-RateLimit-* headers."""

import threading
import time
from dataclasses import dataclass
from datetime import timedelta

from hostup_dash.simulator.formats import iso, now


@dataclass(frozen=True)
class Window:
    """One token's standing in its fixed rate-limit window, after counting this request."""

    limit: int
    remaining: int
    is_exceeded: bool
    resets_in_s: float

    def headers(self) -> dict[str, str]:
        reset_at = now() + timedelta(seconds=self.resets_in_s)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": iso(reset_at),
        }


class RateLimiter:
    """Fixed windows per token. Limits come with each hit, so tests can change them on a running simulator."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # token -> (window start, requests counted)

    def hit(self, token: str, *, limit: int, length: float) -> Window:
        # Monotonic time, so a test that freezes the wall clock cannot freeze the window.
        moment = time.monotonic()
        with self._lock:
            started, count = self._windows.get(token, (moment, 0))
            if moment - started >= length:
                started, count = moment, 0
            count += 1
            self._windows[token] = (started, count)
        return Window(
            limit=limit,
            remaining=max(0, limit - count),
            is_exceeded=count > limit,
            resets_in_s=started + length - moment,
        )
