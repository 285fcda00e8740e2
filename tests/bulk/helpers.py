"""VPSes whose next hop has drifted, as the bulk tests need them."""

from hostup_dash.core.clients import hostup_client
from hostup_dash.inventory import services
from hostup_dash.simulator.server import Simulator


def drifted(simulator: Simulator, count: int) -> list[str]:
    """`count` new VPSes, each allocated and then renumbered, synced with their states; the calls are forgotten."""
    client = hostup_client()
    try:
        vps_ids = [simulator.add_vps(name=f"drift-{number:03d}") for number in range(count)]
        for vps_id in vps_ids:
            client.allocate_routed_ipv6(vps_id)
            simulator.renumber_net0(vps_id)
    finally:
        client.close()
    services.inventory_sync(quick=True)
    for vps_id in vps_ids:
        services.vps_state_refresh(vps_id=vps_id)
    simulator.reset_calls()
    return vps_ids


def posts_to(simulator: Simulator, vps_id: str) -> int:
    """Writes HostUp received for a VPS and did not turn away with a 429."""
    return sum(call.status != 429 for call in simulator.calls_to("POST", f"/api/v2/vps/{vps_id}/"))
