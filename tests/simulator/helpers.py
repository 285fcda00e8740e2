"""Plain-HTTP helpers shared by the simulator's tests (deliberately not the project's client)."""

import re
from collections.abc import Callable

import requests

from hostup_dash.simulator.server import Simulator

FULL = {"Authorization": "Bearer sim-full-token"}
READ = {"Authorization": "Bearer sim-read-token"}
ID_SUFFIX = "[0-9a-hjkmnp-tv-z]{26}"
VPS_ID_RE = re.compile(rf"^vps_{ID_SUFFIX}$")
ALLOCATION_ID_RE = re.compile(rf"^ripv6_{ID_SUFFIX}$")
ROUTE_ID_RE = re.compile(rf"^ripv6rt_{ID_SUFFIX}$")
REQUEST_ID_RE = re.compile(rf"^req_{ID_SUFFIX}$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
PROBLEM_KEYS = {"type", "title", "status", "detail", "code", "instance", "requestId", "timestamp", "extensions"}


def call(
    sim: Simulator, method: str, path: str, *, headers: dict[str, str] = FULL, **kwargs: object
) -> requests.Response:
    return requests.request(method, sim.url + path, headers=headers, timeout=5, **kwargs)  # type: ignore[arg-type]


def routed(vps_id: str) -> str:
    return f"/api/v2/vps/{vps_id}/routed-ipv6"


def find_vps(sim: Simulator, predicate: Callable[[dict], bool]) -> str:
    """The first VPS whose routed-IPv6 state matches."""
    for vps_id in sim.vps_ids():
        if predicate(call(sim, "GET", routed(vps_id)).json()):
            return vps_id
    raise AssertionError("no seeded VPS in that state")


def is_idle(state: dict) -> bool:
    return state["available"] and state["allocation"] is None


def is_active(state: dict) -> bool:
    return bool(state["allocation"]) and state["allocation"]["status"] == "active"


def is_stale(state: dict) -> bool:
    """Active, but pointing at an old next hop: a refresh is due."""
    return is_active(state) and state["allocation"]["nextHop"] != state["suggestedNextHop"]


def is_in_cooldown(state: dict) -> bool:
    return bool(state["allocation"]) and state["allocation"]["status"] == "cooldown"


def lacks_net0_ipv6(state: dict) -> bool:
    return state["suggestedNextHop"] is None
