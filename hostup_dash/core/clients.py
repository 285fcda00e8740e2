"""The HostUp client as settings configure it: commands, services, tests and bench share this one."""

from django.conf import settings

from hostup_dash.hostup import HostupClient

from .metrics import hostup_call_observe

# A person is waiting on a page: never hold a web worker long on a 429's Retry-After.
INTERACTIVE_RETRY_WAIT_S = 1.0


def hostup_client(*, actor: str = "", max_retry_wait: float = 10.0) -> HostupClient:
    """A client configured from settings; one per unit of work (a Session is not thread-safe)."""
    return HostupClient(
        base_url=settings.HOSTUP_API_URL,
        token=settings.HOSTUP_API_TOKEN,
        timeout=settings.HOSTUP_TIMEOUT,
        actor=actor,
        max_retry_wait=max_retry_wait,
        on_call=hostup_call_observe,
    )
