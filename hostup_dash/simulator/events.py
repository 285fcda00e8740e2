"""The account's audit log as the simulator keeps it: every event as its JSON object, newest first on the way out.

Events come from `recording` (one per authenticated request), from outside changes (`outside`)
and from tests, which may add any event, old or odd, with `add`.
"""

import random
import threading
from datetime import datetime

from hostup_dash.simulator.formats import ID_ALPHABET, ID_LENGTH

_ULID_TIME_CHARS = 10
# A long `make run` reads HostUp all day; beyond this many events the oldest GET events are forgotten
# (in batches), so memory stays bounded (~2 kB an event) while every change is kept for the whole retention.
MAX_EVENTS = 50_000
TRIM_BATCH = 5_000


class EventLog:
    """Every kept event as its JSON object; tests read them with `events()` and add their own with `add`."""

    def __init__(self, *, seed: int) -> None:
        self._lock = threading.Lock()
        self._events: list[tuple[datetime, str, dict[str, object]]] = []
        self._rng = random.Random(f"events-{seed}")

    def new_event_id(self, at: datetime) -> str:
        """`evt_` + 26 like a lower-case ULID: the time first, so ids sort with their events."""
        millis = int(at.timestamp() * 1000)
        stamp = "".join(ID_ALPHABET[(millis >> (5 * shift)) & 31] for shift in reversed(range(_ULID_TIME_CHARS)))
        with self._lock:
            randomness = "".join(self._rng.choice(ID_ALPHABET) for _ in range(ID_LENGTH - _ULID_TIME_CHARS))
        return f"evt_{stamp}{randomness}"

    def add(self, event: dict[str, object]) -> dict[str, object]:
        """Keep an event; one without `id` gets a new one. `occurredAt` (ISO 8601) is required."""
        occurred_at = datetime.fromisoformat(str(event["occurredAt"]).replace("Z", "+00:00"))
        if "id" not in event:
            event = {"id": self.new_event_id(occurred_at), **event}
        with self._lock:
            self._events.append((occurred_at, str(event["id"]), event))
            if len(self._events) > MAX_EVENTS:
                self._forget_reads(len(self._events) - MAX_EVENTS + TRIM_BATCH)
        return event

    def _forget_reads(self, count: int) -> None:
        """Drop the `count` earliest-written GET events."""
        kept = []
        for entry in self._events:
            if count and entry[2].get("method") == "GET":
                count -= 1
            else:
                kept.append(entry)
        self._events = kept

    def events(
        self, *, kept_from: datetime, start: datetime | None = None, end: datetime | None = None
    ) -> list[dict[str, object]]:
        """The events since `kept_from` with occurredAt in [start, end], newest first (ties by id, descending)."""
        with self._lock:
            # Forget what is past retention; a startAt older than that is answered with what is left.
            self._events = [entry for entry in self._events if entry[0] >= kept_from]
            chosen = [
                entry
                for entry in self._events
                if (start is None or entry[0] >= start) and (end is None or entry[0] <= end)
            ]
        chosen.sort(key=lambda entry: (entry[0], entry[1]), reverse=True)
        return [event for _, _, event in chosen]
