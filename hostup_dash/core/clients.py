"""The HostUp client as settings configure it: commands, services, tests and bench share this one."""

from functools import cache

from django.conf import settings

from hostup_dash.hostup import HostupClient
from hostup_dash.hostup.waiting import WaitingSlots

from .metrics import hostup_call_observe

# A person is waiting on a page: never hold a web worker long on a 429's Retry-After.
INTERACTIVE_RETRY_WAIT_S = 1.0


@cache
def _waiting_slots(size: int) -> WaitingSlots:
    """One set of slots per process (and per size, so a test that changes the setting gets its own)."""
    return WaitingSlots(size)


def hostup_client(*, actor: str = "", max_retry_wait: float = 10.0, interactive: bool = False) -> HostupClient:
    """A client configured from settings; one per unit of work (a Session is not thread-safe).

    `interactive`: a person waits on it, so it holds one of this process's HOSTUP_MAX_WAITING slots
    (raises HostupError, code hostup_busy, when none is free) and its reads give up after
    HOSTUP_READ_TIMEOUT. Background jobs are not bounded by the slots.
    """
    return HostupClient(
        base_url=settings.HOSTUP_API_URL,
        token=settings.HOSTUP_API_TOKEN,
        timeout=settings.HOSTUP_TIMEOUT,
        read_timeout=settings.HOSTUP_READ_TIMEOUT if interactive else None,
        waiting=_waiting_slots(settings.HOSTUP_MAX_WAITING) if interactive else None,
        actor=actor,
        max_retry_wait=max_retry_wait,
        on_call=hostup_call_observe,
    )
