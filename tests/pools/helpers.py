"""Account states the pools tests need, made through HostUp's API (the simulator), never the audit trail."""

from hostup_dash.core.clients import hostup_client
from hostup_dash.hostup.account_routes import AccountRoutes
from hostup_dash.simulator.server import Simulator

REASON = "ticket said so"


def account_state() -> AccountRoutes:
    client = hostup_client()
    try:
        return client.get_account_routes()
    finally:
        client.close()


def eligible_vps(state: AccountRoutes | None = None) -> str:
    state = state or account_state()
    return next(d.vps_id for d in state.destinations if d.can_receive_route and d.can_receive_route.allowed)


def ineligible_vps(state: AccountRoutes | None = None) -> str:
    state = state or account_state()
    return next(d.vps_id for d in state.destinations if d.can_receive_route and not d.can_receive_route.allowed)


def pool_emptied() -> str:
    """Delete every route of the seeded pool; its id."""
    client = hostup_client()
    try:
        pool = client.get_account_routes().pools[0]
        for route in pool.routes:
            client.delete_account_route(route.id)
    finally:
        client.close()
    return pool.id


def pool_gone(simulator: Simulator) -> None:
    """No pool and no cooldown: allocate_pool is allowed."""
    pool_id = pool_emptied()
    client = hostup_client()
    try:
        client.release_account_pool(pool_id)
    finally:
        client.close()
    simulator.expire_cooldowns()


def account_writes(simulator: Simulator) -> list:
    """The writes HostUp received on the account-level paths."""
    return [
        call
        for call in simulator.calls
        if call.path.startswith("/api/v2/routed-ipv6") and call.method in ("POST", "DELETE")
    ]
