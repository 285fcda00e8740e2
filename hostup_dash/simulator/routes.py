"""The routing table: which operation answers a path and method, with the scopes it needs, and the operations."""

import re
from collections.abc import Callable
from dataclasses import dataclass

from hostup_dash.simulator.account_body import parse_account_body
from hostup_dash.simulator.audit_log import list_audit_log
from hostup_dash.simulator.config import SimulatorConfig
from hostup_dash.simulator.params import decode_cursor, encode_cursor, first, parse_limit, parse_vps_action
from hostup_dash.simulator.problems import ApiProblem, field_error, invalid_request
from hostup_dash.simulator.state import SimState

READ_VM = "read:vm"
READ_NETWORK = "read:network"
WRITE_NETWORK = "write:network"
AUDIT_READ = "audit:read"
FULL_SCOPES = frozenset({READ_VM, READ_NETWORK, WRITE_NETWORK, AUDIT_READ})
READ_SCOPES = frozenset({READ_VM, READ_NETWORK})
NO_AUDIT_SCOPES = FULL_SCOPES - {AUDIT_READ}


@dataclass(frozen=True)
class ApiRequest:
    path_params: dict[str, str]
    query: dict[str, list[str]]
    body: bytes


Handler = Callable[[SimState, SimulatorConfig, ApiRequest], tuple[int, object]]


def _list_vps(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    limit = parse_limit(first(request.query, "limit"))
    cursor = first(request.query, "cursor")
    offset = 0 if cursor is None else decode_cursor(cursor)
    includes = request.query.get("include", [])
    if any(value != "pendingMaintenance" for value in includes):
        raise invalid_request([field_error("/include", "The only value is pendingMaintenance.", "invalid_choice")])
    items, has_more = state.list_page(
        primary_ip=first(request.query, "primaryIp"),
        name=first(request.query, "name"),
        offset=offset,
        limit=limit,
        include_maintenance=bool(includes),
    )
    return 200, {"data": items, "hasMore": has_more, "nextCursor": encode_cursor(offset + limit) if has_more else None}


def _get_vps(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    return 200, state.vps_json(request.path_params["vps_id"])


def _get_routed_ipv6(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    return 200, state.routed_state(request.path_params["vps_id"])


def _post_routed_ipv6(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    action = parse_vps_action(request.body)
    vps_id = request.path_params["vps_id"]
    if action == "refresh_next_hop":
        return 200, state.refresh_next_hop(vps_id)
    is_new, routed = state.allocate(vps_id)
    return (201 if is_new else 200), routed


def _delete_routed_ipv6(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    return 200, state.release(request.path_params["vps_id"])


def _get_account_routed_ipv6(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    return 200, state.account_state(mirror_allocations=config.mirror_allocations)


def _post_account_routed_ipv6(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    _, route = parse_account_body(request.body)
    return 201, state.account_change(route, mirror_allocations=config.mirror_allocations)


def _delete_account_route(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    return 200, state.account_route_delete(
        request.path_params["route_id"], mirror_allocations=config.mirror_allocations
    )


def _delete_account_pool(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    return 200, state.account_pool_release(request.path_params["pool_id"])


@dataclass(frozen=True)
class _Operation:
    handler: Handler
    scopes: frozenset[str]


_ROUTES: tuple[tuple[re.Pattern[str], dict[str, _Operation]], ...] = (
    (re.compile(r"/api/v2/vps"), {"GET": _Operation(_list_vps, frozenset({READ_VM}))}),
    (re.compile(r"/api/v2/vps/(?P<vps_id>[^/]+)"), {"GET": _Operation(_get_vps, frozenset({READ_VM}))}),
    (
        re.compile(r"/api/v2/vps/(?P<vps_id>[^/]+)/routed-ipv6"),
        {
            "GET": _Operation(_get_routed_ipv6, frozenset({READ_VM})),
            "POST": _Operation(_post_routed_ipv6, frozenset({WRITE_NETWORK})),
            "DELETE": _Operation(_delete_routed_ipv6, frozenset({WRITE_NETWORK})),
        },
    ),
    (
        re.compile(r"/api/v2/routed-ipv6"),
        {
            "GET": _Operation(_get_account_routed_ipv6, frozenset({READ_VM, READ_NETWORK})),
            "POST": _Operation(_post_account_routed_ipv6, frozenset({WRITE_NETWORK})),
        },
    ),
    (
        re.compile(r"/api/v2/routed-ipv6/routes/(?P<route_id>[^/]+)"),
        {"DELETE": _Operation(_delete_account_route, frozenset({WRITE_NETWORK}))},
    ),
    (
        re.compile(r"/api/v2/routed-ipv6/(?P<pool_id>[^/]+)"),
        {"DELETE": _Operation(_delete_account_pool, frozenset({WRITE_NETWORK}))},
    ),
    (re.compile(r"/api/v2/audit-log"), {"GET": _Operation(list_audit_log, frozenset({AUDIT_READ}))}),
)


def dispatch(
    state: SimState,
    config: SimulatorConfig,
    *,
    method: str,
    path: str,
    query: dict[str, list[str]],
    token: str | None,
    body: bytes,
) -> tuple[int, object]:
    """Status and JSON payload of the operation at `path`; raises the 401/403/404/405 problems and the operation's."""
    scopes = _scopes_of(config, token)
    if scopes is None:
        raise ApiProblem(401, "unauthorized", "Authentication required.")
    for pattern, operations in _ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        operation = operations.get(method)
        if operation is None:
            raise ApiProblem(
                405,
                "method_not_allowed",
                f"{method} is not allowed on this path.",
                headers={"Allow": ", ".join(operations)},
            )
        missing = operation.scopes - scopes
        if missing:
            raise ApiProblem(
                403,
                "forbidden",
                f"This API key lacks the scope {', '.join(sorted(missing))}.",
                extensions={"missingScopes": sorted(missing)},
            )
        return operation.handler(state, config, ApiRequest(match.groupdict(), query, body))
    raise ApiProblem(404, "not_found", "No API endpoint matches this path.")


def _scopes_of(config: SimulatorConfig, token: str | None) -> frozenset[str] | None:
    # Read the tokens on every request: tests may change them on a running simulator.
    return {
        config.full_token: FULL_SCOPES,
        config.read_token: READ_SCOPES,
        config.no_audit_token: NO_AUDIT_SCOPES,
    }.get(token or "")
