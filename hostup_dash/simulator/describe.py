"""HostUp's reading of a request for its audit log: endpoint template, action, summary, label, changes, resources.

The vocabulary is the simulator's own (NOTES.md "Account audit log": action names, `type:id` resources,
changes as {field, before, after}, empty for reads and failures). Nothing here raises: a request the
simulator refused or could not route still gets a description.
"""

import json
import re
from dataclasses import dataclass, field, replace

from hostup_dash.simulator.config import SimulatorConfig
from hostup_dash.simulator.problems import ApiProblem
from hostup_dash.simulator.state import SimState

# The account number, as the customer's actorId in HostUp's panel (the old log's client_id example).
ACCOUNT_NUMBER = "30000"
ACCOUNT_LABEL = f"Account {ACCOUNT_NUMBER}"
UNKNOWN_ACTION = "api.request"


@dataclass(frozen=True)
class Endpoint:
    template: str
    actions: dict[str, str]  # method -> action; a POST body's `action` may name another (BODY_ACTIONS)

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(re.escape(self.template).replace(r"\{id\}", "(?P<id>[^/]+)"))


ENDPOINTS = (
    Endpoint("/api/v2/vps", {"GET": "vps.list"}),
    Endpoint("/api/v2/vps/{id}", {"GET": "vps.view"}),
    Endpoint(
        "/api/v2/vps/{id}/routed-ipv6",
        {"GET": "routed_ipv6.view", "POST": "routed_ipv6.allocate", "DELETE": "routed_ipv6.release"},
    ),
    Endpoint("/api/v2/routed-ipv6", {"GET": "account_routed_ipv6.view", "POST": "routed_ipv6_route.create"}),
    Endpoint("/api/v2/routed-ipv6/routes/{id}", {"DELETE": "routed_ipv6_route.delete"}),
    Endpoint("/api/v2/routed-ipv6/{id}", {"DELETE": "routed_ipv6_pool.release"}),
    Endpoint("/api/v2/audit-log", {"GET": "audit_log.list"}),
)
_PATTERNS = tuple((endpoint, endpoint.pattern) for endpoint in ENDPOINTS)
# POST bodies whose `action` picks another operation on the same path.
BODY_ACTIONS = {
    ("routed_ipv6.allocate", "refresh_next_hop"): "routed_ipv6.refresh_next_hop",
    ("routed_ipv6_route.create", "allocate_pool"): "routed_ipv6_pool.allocate",
}

PAST = {
    "vps.list": "Listed the account's VPSes.",
    "vps.view": "Viewed VPS {label}.",
    "routed_ipv6.view": "Viewed the routed IPv6 of {label}.",
    "account_routed_ipv6.view": "Viewed the account's routed IPv6 pools and routes.",
    "audit_log.list": "Listed the account's audit events.",
}
ATTEMPTS = {
    "vps.list": "list the account's VPSes",
    "vps.view": "view VPS {label}",
    "routed_ipv6.view": "view the routed IPv6 of {label}",
    "routed_ipv6.allocate": "allocate routed IPv6 to {label}",
    "routed_ipv6.refresh_next_hop": "refresh the routed IPv6 next hop of {label}",
    "routed_ipv6.release": "release the routed IPv6 of {label}",
    "account_routed_ipv6.view": "view the account's routed IPv6",
    "routed_ipv6_pool.allocate": "allocate a routed IPv6 pool",
    "routed_ipv6_pool.release": "release routed IPv6 pool {label}",
    "routed_ipv6_route.create": "create a routed IPv6 route",
    "routed_ipv6_route.delete": "delete routed IPv6 route {label}",
    "audit_log.list": "list the account's audit events",
}


@dataclass(frozen=True)
class Target:
    """What a request is about, and the state of it just before it was handled."""

    method: str
    path: str
    endpoint: str
    action: str
    resource_id: str | None = None
    vps_name: str | None = None
    before: dict[str, object] = field(default_factory=dict)  # routed or account state before a write


@dataclass(frozen=True)
class Outcome:
    status: int
    payload: object = None  # the JSON answered on success
    error: str | None = None  # the problem's detail on failure

    @property
    def succeeded(self) -> bool:
        return self.status < 400


@dataclass(frozen=True)
class Description:
    endpoint: str
    action: str
    summary: str
    resource_label: str | None
    changes: list[dict[str, object]]
    resources_accessed: list[str]


def target_of(state: SimState, config: SimulatorConfig, *, method: str, path: str, body: bytes) -> Target:
    """Route the request to its endpoint and action, and look at what it is about before it runs."""
    for endpoint, pattern in _PATTERNS:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        action = endpoint.actions.get(method, UNKNOWN_ACTION)
        action = BODY_ACTIONS.get((action, _body_action(body)), action)
        resource_id = match.groupdict().get("id")
        target = Target(method, path, endpoint.template, action, resource_id)
        return _looked_at(state, config, target)
    return Target(method, path, path, UNKNOWN_ACTION)


def _body_action(body: bytes) -> str | None:
    try:
        payload = json.loads(body) if body.strip() else {}
    except ValueError:
        return None
    return payload.get("action") if isinstance(payload, dict) else None


def _looked_at(state: SimState, config: SimulatorConfig, target: Target) -> Target:
    is_write = target.method != "GET"
    try:
        if target.endpoint.startswith("/api/v2/vps/"):
            vps_id = target.resource_id or ""
            name = str(state.vps_json(vps_id)["name"])
            before = state.routed_state(vps_id) if is_write else {}
            return replace(target, vps_name=name, before=before)
        if target.endpoint.startswith("/api/v2/routed-ipv6") and is_write:
            before = state.account_state(mirror_allocations=config.mirror_allocations)
            return replace(target, before=before)
    except ApiProblem:  # an unknown VPS: the request will be refused, and is described all the same
        pass
    return target


def describe(target: Target, outcome: Outcome) -> Description:
    label = _label(target, outcome)
    changes = _changes(target, outcome) if outcome.succeeded else []
    if not outcome.succeeded:
        attempt = ATTEMPTS.get(target.action, f"{target.method} {target.path}").format(label=label)
        summary = f"Failed to {attempt} ({outcome.status})."
    else:
        summary = _success_summary(target, outcome, label, changes)
    return Description(target.endpoint, target.action, summary, label, changes, _resources(target))


def _label(target: Target, outcome: Outcome) -> str:
    """The VPS name, or the prefix for pools and routes; the id when the resource does not exist."""
    if target.endpoint.startswith("/api/v2/vps/"):
        return target.vps_name or target.resource_id or ""
    if target.action == "routed_ipv6_route.delete":
        return _prefix_of(target.before, "routes", target.resource_id) or target.resource_id or ""
    if target.action == "routed_ipv6_pool.release":
        return _prefix_of(target.before, "pools", target.resource_id) or target.resource_id or ""
    if target.action in ("routed_ipv6_route.create", "routed_ipv6_pool.allocate") and outcome.succeeded:
        added = _added(target.before, outcome.payload, target.action)
        if added:
            return str(added.get("prefix") or added.get("parentCidr"))
    return ACCOUNT_LABEL


def _resources(target: Target) -> list[str]:
    if target.resource_id is None:
        return []
    kind = {
        "routed_ipv6_route.delete": "routed_ipv6_route",
        "routed_ipv6_pool.release": "routed_ipv6_pool",
    }.get(target.action, "vps")
    return [f"{kind}:{target.resource_id}"]


def _changes(target: Target, outcome: Outcome) -> list[dict[str, object]]:
    after = outcome.payload if isinstance(outcome.payload, dict) else {}
    allocation = after.get("allocation") if isinstance(after.get("allocation"), dict) else {}
    if target.action == "routed_ipv6.allocate" and outcome.status == 201:
        return [_change("prefix", None, allocation.get("prefix")), _change("nextHop", None, allocation.get("nextHop"))]
    if target.action == "routed_ipv6.refresh_next_hop":
        previous = target.before.get("allocation")
        before = previous.get("nextHop") if isinstance(previous, dict) else None
        return [] if before == allocation.get("nextHop") else [_change("nextHop", before, allocation.get("nextHop"))]
    if target.action == "routed_ipv6.release" and after.get("released") is True:
        return [_change("status", "active", allocation.get("status"))]
    if target.action == "routed_ipv6_route.create":
        route = _added(target.before, after, target.action) or {}
        return [_change(name, None, route.get(name)) for name in ("prefix", "nextHop", "vpsId") if route]
    if target.action == "routed_ipv6_pool.allocate":
        pool = _added(target.before, after, target.action)
        return [_change("prefix", None, pool.get("parentCidr"))] if pool else []
    if target.action == "routed_ipv6_route.delete":
        return [_change("prefix", _prefix_of(target.before, "routes", target.resource_id), None)]
    if target.action == "routed_ipv6_pool.release":
        return [_change("status", "active", "released")]
    return []


def _success_summary(target: Target, outcome: Outcome, label: str, changes: list[dict[str, object]]) -> str:
    after = {change["field"]: change["after"] for change in changes}
    if target.action in PAST:
        return PAST[target.action].format(label=label)
    if target.action == "routed_ipv6.allocate":
        if changes:
            return f"Allocated routed IPv6 {after['prefix']} to {label}."
        return f"{label} already holds an active routed IPv6 allocation; nothing changed."
    if target.action == "routed_ipv6.refresh_next_hop":
        if changes:
            return f"Pointed the routed IPv6 of {label} at next hop {after['nextHop']}."
        return f"The routed IPv6 next hop of {label} was already current; nothing changed."
    if target.action == "routed_ipv6.release":
        if changes:
            return f"Released the routed IPv6 of {label} into cooldown."
        return f"{label} had no active routed IPv6 to release."
    if target.action == "routed_ipv6_route.create":
        return f"Created routed IPv6 route {label}."
    if target.action == "routed_ipv6_route.delete":
        return f"Deleted routed IPv6 route {label}."
    if target.action == "routed_ipv6_pool.allocate":
        return f"Allocated routed IPv6 pool {label}."
    if target.action == "routed_ipv6_pool.release":
        return f"Released routed IPv6 pool {label}."
    return f"{target.method} {target.path} answered {outcome.status}."


def _change(name: str, before: object, after: object) -> dict[str, object]:
    return {"field": name, "before": before, "after": after}


def _items(account: object, kind: str) -> list[dict[str, object]]:
    """The pools, or every route of every pool, of an account state."""
    pools = account.get("pools") if isinstance(account, dict) else None
    pools = [pool for pool in pools or [] if isinstance(pool, dict)]
    if kind == "pools":
        return pools
    return [route for pool in pools for route in pool.get("routes") or [] if isinstance(route, dict)]


def _prefix_of(account: object, kind: str, item_id: str | None) -> str | None:
    for item in _items(account, kind):
        if item.get("id") == item_id:
            return str(item.get("prefix") or item.get("parentCidr"))
    return None


def _added(before: object, after: object, action: str) -> dict[str, object] | None:
    """The pool or route the write created: in the state after, not before."""
    kind = "pools" if action == "routed_ipv6_pool.allocate" else "routes"
    known = {item.get("id") for item in _items(before, kind)}
    return next((item for item in _items(after, kind) if item.get("id") not in known), None)
