"""A bound on the threads of one process that may wait on HostUp at once.

A HostUp that accepts connections and never answers would otherwise hold every web thread
for the full timeout, and the health check behind them. Plain threading, no Django: the
factory in core.clients makes one per process and hands it to interactive clients.
"""

from __future__ import annotations

import threading

from .errors import HOSTUP_BUSY, HostupError

# Long enough to ride out a slot being handed back, short enough that nobody notices the wait.
DEFAULT_PATIENCE_S = 0.05
BUSY_TITLE = "HostUp is slow, try again"
BUSY_DETAIL = "Too many requests are already waiting for HostUp, so this one was not sent. Try again in a moment."


class WaitingSlots:
    """`size` slots shared by the threads of a process; a thread that finds none free is turned away."""

    def __init__(self, size: int, *, patience: float = DEFAULT_PATIENCE_S) -> None:
        if size < 1:
            raise ValueError("WaitingSlots needs at least one slot.")
        self.size = size
        self._patience = patience
        self._semaphore = threading.BoundedSemaphore(size)

    def take(self) -> None:
        """Take a slot; raises HostupError (code hostup_busy) when none frees up within the patience."""
        if not self._semaphore.acquire(timeout=self._patience):
            raise HostupError(code=HOSTUP_BUSY, title=BUSY_TITLE, detail=BUSY_DETAIL)

    def give_back(self) -> None:
        self._semaphore.release()
