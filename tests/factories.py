"""Helpers that find or make the simulator VPSes and snapshot rows a test needs."""

from hostup_dash.core.clients import hostup_client
from hostup_dash.inventory import services
from hostup_dash.simulator.server import Simulator


def pick_vps(simulator: Simulator, *, allocated: bool) -> str:
    """A synced VPS whose routed IPv6 is available, with or without an active allocation."""
    client = hostup_client()
    try:
        for vps_id in simulator.vps_ids():
            state = client.get_routed_ipv6(vps_id)
            if state.available and bool(state.active_allocation) == allocated:
                return vps_id
    finally:
        client.close()
    raise AssertionError("the simulator's seed has no such VPS")


def synced(simulator: Simulator) -> Simulator:
    """Run the inventory pass so snapshot rows exist, then forget the calls it made."""
    services.inventory_sync(quick=True)
    simulator.reset_calls()
    return simulator


RELEASE_REASON = "Decommissioning this VPS"


def release_form(simulator: Simulator, vps_id: str, **fields: str) -> dict[str, str]:
    """A release form filled in as an admin would on the VPS page: its state read (and stored, as the page's
    live panel does; the read is then forgotten by the simulator), the prefix shown typed to confirm, a reason."""
    from hostup_dash.inventory.services.snapshot import vps_state_store

    client = hostup_client()
    try:
        state = client.get_routed_ipv6(vps_id)
    finally:
        client.close()
    vps_state_store(vps_id=vps_id, state=state)
    simulator.reset_calls()
    prefix = state.allocation.prefix if state.allocation else ""
    return {"confirm": prefix or "", "reason": RELEASE_REASON, **fields}


AUTH_ACTIONS = ("login", "login_failed", "logout")


def action_trail() -> list[tuple[str, str]]:
    """(action, outcome) of every audit record except login events, oldest first."""
    from hostup_dash.audit.models import AuditRecord

    return list(AuditRecord.objects.exclude(action__in=AUTH_ACTIONS).order_by("id").values_list("action", "outcome"))


def last_record():
    """The newest audit record that is not a login event."""
    from hostup_dash.audit.models import AuditRecord

    return AuditRecord.objects.exclude(action__in=AUTH_ACTIONS).order_by("-id").first()


def run_together(work, *, threads: int) -> list:
    """Run `work()` in several threads released at the same moment; return their results.

    Each thread has its own database connection, closed when it is done. An exception in
    a thread is returned as its result, for the test to assert on.
    """
    import threading

    from django.db import connections

    barrier = threading.Barrier(threads)
    results: list = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except Exception as error:  # noqa: BLE001 - handed to the test
            results.append(error)
        finally:
            connections.close_all()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return results
