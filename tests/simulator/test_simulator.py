"""Behaviour of the HostUp simulator, driven over real HTTP (hostup-api/NOTES.md is the rulebook)."""

import base64
import ipaddress
import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import requests

from hostup_dash.simulator.server import RecordedCall, Simulator, SimulatorConfig
from tests.simulator.helpers import (
    ALLOCATION_ID_RE,
    FULL,
    PROBLEM_KEYS,
    READ,
    REQUEST_ID_RE,
    ROUTE_ID_RE,
    TIMESTAMP_RE,
    VPS_ID_RE,
    call,
    find_vps,
    is_active,
    is_idle,
    is_in_cooldown,
    is_stale,
    lacks_net0_ipv6,
    routed,
)

STATE_KEYS = {
    "available",
    "reason",
    "parentCidr",
    "prefixLength",
    "cooldownDays",
    "maxPerVm",
    "suggestedNextHop",
    "created",
    "allocation",
}


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    sim = Simulator(SimulatorConfig(vps_count=25, seed=1)).start()
    yield sim
    sim.stop()


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def assert_problem(response: requests.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == f"https://developer.hostup.se/errors/{code}"
    assert body["instance"] == response.request.path_url.split("?")[0]
    assert REQUEST_ID_RE.match(body["requestId"])
    assert TIMESTAMP_RE.match(body["timestamp"])
    return body


def walk(sim: Simulator, **params: object) -> list[dict]:
    """Every page of GET /api/v2/vps, following nextCursor."""
    items: list[dict] = []
    cursor = None
    while True:
        page = call(sim, "GET", "/api/v2/vps", params={**params, **({"cursor": cursor} if cursor else {})}).json()
        items += page["data"]
        cursor = page["nextCursor"]
        assert page["hasMore"] is (cursor is not None)
        if cursor is None:
            return items


# --- access -----------------------------------------------------------------------


def test_missing_token_is_unauthorized(simulator: Simulator) -> None:
    body = assert_problem(call(simulator, "GET", "/api/v2/vps", headers={}), 401, "unauthorized")
    assert body["detail"] == "Authentication required."


def test_unknown_token_is_unauthorized(simulator: Simulator) -> None:
    assert_problem(call(simulator, "GET", "/api/v2/vps", headers={"Authorization": "Bearer nope"}), 401, "unauthorized")


def test_read_token_reads_but_cannot_allocate(simulator: Simulator) -> None:
    vps_id = simulator.vps_ids()[0]
    assert call(simulator, "GET", routed(vps_id), headers=READ).status_code == 200
    assert call(simulator, "GET", "/api/v2/routed-ipv6", headers=READ).status_code == 200
    assert_problem(call(simulator, "POST", routed(vps_id), headers=READ), 403, "forbidden")
    assert_problem(call(simulator, "DELETE", routed(vps_id), headers=READ), 403, "forbidden")


def test_unknown_vps_is_not_found(simulator: Simulator) -> None:
    body = assert_problem(call(simulator, "GET", "/api/v2/vps/vps_" + "0" * 26), 404, "vps_not_found")
    assert body["detail"] == "No VPS matching the given ID was found."


@pytest.mark.parametrize("vps_id", ["192.0.2.1", "vps_short", "vps_" + "U" * 26, "vps_" + "i" * 26])
def test_malformed_vps_id_is_not_found(simulator: Simulator, vps_id: str) -> None:
    assert_problem(call(simulator, "GET", routed(vps_id)), 404, "vps_not_found")


def test_unknown_path_is_not_found(simulator: Simulator) -> None:
    assert_problem(call(simulator, "GET", "/api/v2/orders"), 404, "not_found")


def test_wrong_method_is_405_with_allow(simulator: Simulator) -> None:
    response = call(simulator, "PUT", routed(simulator.vps_ids()[0]))
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST, DELETE"


# --- listing ----------------------------------------------------------------------


def test_pagination_walks_every_vps_with_limit_7(simulator: Simulator) -> None:
    sizes, ids, cursor = [], [], None
    while True:
        page = call(simulator, "GET", "/api/v2/vps", params={"limit": 7, **({"cursor": cursor} if cursor else {})})
        body = page.json()
        sizes.append(len(body["data"]))
        ids += [item["id"] for item in body["data"]]
        cursor = body["nextCursor"]
        assert body["hasMore"] is (cursor is not None)
        if cursor is None:
            break
    assert sizes == [7, 7, 7, 4]
    assert ids == simulator.vps_ids()
    assert len(set(ids)) == 25


def test_cursor_is_base64url_of_offset(simulator: Simulator) -> None:
    cursor = call(simulator, "GET", "/api/v2/vps", params={"limit": 7}).json()["nextCursor"]
    assert "=" not in cursor
    assert json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))) == {"offset": 7}


def test_default_page_size_is_20(simulator: Simulator) -> None:
    body = call(simulator, "GET", "/api/v2/vps").json()
    assert len(body["data"]) == 20
    assert body["hasMore"] is True


def _b64(data: str) -> str:
    return base64.urlsafe_b64encode(data.encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "cursor", ["", "not a cursor!", _b64("nope"), _b64('{"offset":-1}'), _b64('{"offset":"7"}'), _b64("[7]")]
)
def test_bad_cursor_is_invalid_cursor(simulator: Simulator, cursor: str) -> None:
    response = call(simulator, "GET", "/api/v2/vps", params={"cursor": cursor})
    assert assert_problem(response, 400, "invalid_cursor")["detail"] == "Cursor is invalid or malformed."


@pytest.mark.parametrize("limit", ["0", "101", "ten", "-1"])
def test_limit_out_of_range_is_invalid_request(simulator: Simulator, limit: str) -> None:
    body = assert_problem(call(simulator, "GET", "/api/v2/vps", params={"limit": limit}), 400, "invalid_request")
    assert body["errors"][0]["pointer"] == "/limit"


def test_filter_by_primary_ip(simulator: Simulator) -> None:
    target = walk(simulator)[9]
    assert walk(simulator, primaryIp=target["primaryIp"]) == [target]
    assert walk(simulator, primaryIp="192.0.2.250") == []


def test_filter_by_name_ignores_case(simulator: Simulator) -> None:
    target = walk(simulator)[3]
    assert walk(simulator, name=target["name"].upper()) == [target]
    assert walk(simulator, name=target["name"][:-1]) == []


def test_filters_apply_before_paging(simulator: Simulator) -> None:
    target = walk(simulator)[24]
    body = call(simulator, "GET", "/api/v2/vps", params={"name": target["name"], "limit": 1}).json()
    assert body == {"data": [target], "hasMore": False, "nextCursor": None}


def test_include_pending_maintenance_adds_fields(simulator: Simulator) -> None:
    item = call(simulator, "GET", "/api/v2/vps", params={"include": "pendingMaintenance"}).json()["data"][0]
    assert {"pendingMaintenance", "pendingMaintenanceHasDeadline"} <= item.keys()


def test_get_vps_matches_its_list_item(simulator: Simulator) -> None:
    item = walk(simulator)[5]
    response = call(simulator, "GET", f"/api/v2/vps/{item['id']}")
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == item
    assert {
        "id",
        "name",
        "primaryIp",
        "serviceStatus",
        "powerState",
        "operatingSystem",
        "billing",
        "resources",
    } == item.keys()


# --- seeded data ------------------------------------------------------------------


def test_seeded_fleet_has_the_documented_mix() -> None:
    sim = Simulator(SimulatorConfig(vps_count=100, seed=7)).start()
    try:
        items = walk(sim, limit=100)
        states = [call(sim, "GET", routed(item["id"])).json() for item in items]
    finally:
        sim.stop()
    assert all(VPS_ID_RE.match(item["id"]) for item in items)
    assert len({item["name"] for item in items}) == 100
    assert len({item["primaryIp"] for item in items}) == 100
    assert sum(item["serviceStatus"] == "active" for item in items) >= 90
    assert 80 <= sum(item["powerState"] == "running" for item in items) < 100
    unavailable = [s for s in states if not s["available"] and not is_in_cooldown(s)]
    active = [s for s in states if is_active(s)]
    assert 10 <= len(unavailable) <= 20
    assert any(
        s["reason"] == "Assign IPv6 to the net0 interface first to enable routed IPv6."
        and s["suggestedNextHop"] is None
        for s in unavailable
    )
    assert any(s["reason"] == "The VPS is not running." for s in unavailable)
    assert 15 <= len(active) <= 25
    assert 0.3 <= sum(is_stale(s) for s in active) / len(active) <= 0.7
    assert 1 <= sum(is_in_cooldown(s) for s in states) <= 2
    prefixes = [ipaddress.IPv6Network(s["allocation"]["prefix"]) for s in states if s["allocation"]]
    assert len(set(prefixes)) == len(prefixes)


def test_large_fleet_has_unique_addresses() -> None:
    sim = Simulator(SimulatorConfig(vps_count=2000))
    try:
        items = walk(sim.start(), limit=100)
    finally:
        sim.stop()
    assert len({item["primaryIp"] for item in items}) == 2000


def test_same_seed_gives_same_fleet_and_other_seed_does_not() -> None:
    fleets = []
    for seed in (5, 5, 6):
        sim = Simulator(SimulatorConfig(vps_count=25, seed=seed)).start()
        try:
            fleets.append(walk(sim))
        finally:
            sim.stop()
    assert fleets[0] == fleets[1]
    assert fleets[0] != fleets[2]


def test_add_vps_appends_to_the_list(simulator: Simulator) -> None:
    vps_id = simulator.add_vps(name="Edge-900", primary_ip="203.0.113.200")
    assert VPS_ID_RE.match(vps_id)
    assert simulator.vps_ids()[-1] == vps_id
    assert walk(simulator, primaryIp="203.0.113.200")[0]["id"] == vps_id
    assert call(simulator, "GET", routed(vps_id)).json()["available"] is True


def test_add_vps_without_net0_ipv6_or_stopped_is_unavailable(simulator: Simulator) -> None:
    no_ipv6 = call(simulator, "GET", routed(simulator.add_vps(name="x-1", available=False))).json()
    stopped = call(simulator, "GET", routed(simulator.add_vps(name="x-2", power_state="stopped"))).json()
    assert (no_ipv6["available"], no_ipv6["suggestedNextHop"]) == (False, None)
    assert no_ipv6["reason"] == "Assign IPv6 to the net0 interface first to enable routed IPv6."
    assert (stopped["available"], stopped["reason"]) == (False, "The VPS is not running.")


def test_renumber_net0_makes_an_active_allocation_drift(simulator: Simulator) -> None:
    vps_id = find_vps(simulator, is_idle)
    call(simulator, "POST", routed(vps_id), json={"action": "allocate"})

    new_address = simulator.renumber_net0(vps_id)

    state = call(simulator, "GET", routed(vps_id)).json()
    assert state["suggestedNextHop"] == new_address
    assert is_stale(state)


# --- routed IPv6 of one VPS ---------------------------------------------------------


def test_routed_state_has_all_nine_keys_and_null_created(simulator: Simulator) -> None:
    state = call(simulator, "GET", routed(simulator.vps_ids()[0])).json()
    assert state.keys() == STATE_KEYS
    assert state["created"] is None
    assert (state["parentCidr"], state["cooldownDays"], state["maxPerVm"]) == ("2001:db8:42::/48", 30, 1)


def test_allocate_creates_then_returns_existing(simulator: Simulator) -> None:
    vps_id = find_vps(simulator, is_idle)
    first = call(simulator, "POST", routed(vps_id))
    assert first.status_code == 201
    state = first.json()
    allocation = state["allocation"]
    assert (state["created"], state["available"], allocation["status"]) == (True, True, "active")
    assert ALLOCATION_ID_RE.match(allocation["id"])
    prefix = ipaddress.IPv6Network(allocation["prefix"])
    assert prefix.prefixlen == allocation["prefixLength"] == 64
    assert prefix.subnet_of(ipaddress.IPv6Network(state["parentCidr"]))
    assert allocation["nextHop"] == state["suggestedNextHop"]
    assert all(TIMESTAMP_RE.match(allocation[key]) for key in ("allocatedAt", "createdAt", "updatedAt"))

    again = call(simulator, "POST", routed(vps_id), json={"action": "allocate"})
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["allocation"] == allocation


@pytest.mark.parametrize("body", [{}, {"action": "allocate", "rackId": "stockholm-a"}, {"rackId": "x" * 50}])
def test_allocate_accepts_empty_object_and_rack_id(simulator: Simulator, body: dict) -> None:
    assert call(simulator, "POST", routed(find_vps(simulator, is_idle)), json=body).status_code == 201


def test_refresh_points_allocation_at_suggested_next_hop(simulator: Simulator) -> None:
    vps_id = find_vps(simulator, is_stale)
    before = call(simulator, "GET", routed(vps_id)).json()
    response = call(simulator, "POST", routed(vps_id), json={"action": "refresh_next_hop"})
    assert response.status_code == 200
    after = response.json()
    assert after["created"] is False
    assert after["allocation"]["nextHop"] == before["suggestedNextHop"] != before["allocation"]["nextHop"]
    assert after["allocation"]["id"] == before["allocation"]["id"]
    assert after["allocation"]["prefix"] == before["allocation"]["prefix"]
    assert parse_time(after["allocation"]["updatedAt"]) > parse_time(before["allocation"]["updatedAt"])


def test_refresh_without_allocation_is_conflict(simulator: Simulator) -> None:
    response = call(simulator, "POST", routed(find_vps(simulator, is_idle)), json={"action": "refresh_next_hop"})
    assert_problem(response, 409, "routed_ipv6_not_allocated")


def test_release_starts_a_cooldown_that_blocks_allocation(simulator: Simulator) -> None:
    vps_id = find_vps(simulator, is_idle)
    allocation_id = call(simulator, "POST", routed(vps_id)).json()["allocation"]["id"]

    released = call(simulator, "DELETE", routed(vps_id))
    assert released.status_code == 200
    body = released.json()
    assert body.keys() == {"released", "cooldownDays", "cooldownUntil", "allocation"}
    assert (body["released"], body["cooldownDays"]) == (True, 30)
    allocation = body["allocation"]
    assert (allocation["id"], allocation["status"]) == (allocation_id, "cooldown")
    assert allocation["cooldownUntil"] == body["cooldownUntil"]
    assert parse_time(body["cooldownUntil"]) - parse_time(allocation["releasedAt"]) == timedelta(days=30)

    state = call(simulator, "GET", routed(vps_id)).json()
    assert state["available"] is False
    assert "cooldown" in state["reason"]
    assert state["allocation"] == allocation
    assert_problem(call(simulator, "POST", routed(vps_id)), 409, "routed_ipv6_cooldown")


def test_release_with_nothing_allocated_reports_released_false(simulator: Simulator) -> None:
    body = call(simulator, "DELETE", routed(find_vps(simulator, is_idle))).json()
    assert body == {"released": False, "cooldownDays": 30, "cooldownUntil": None, "allocation": None}


def test_seeded_cooldown_blocks_allocation(simulator: Simulator) -> None:
    vps_id = find_vps(simulator, is_in_cooldown)
    assert_problem(call(simulator, "POST", routed(vps_id)), 409, "routed_ipv6_cooldown")


def test_expire_cooldowns_allows_a_new_allocation(simulator: Simulator) -> None:
    vps_id = find_vps(simulator, is_idle)
    first_prefix = call(simulator, "POST", routed(vps_id)).json()["allocation"]["prefix"]
    call(simulator, "DELETE", routed(vps_id))

    simulator.expire_cooldowns()

    state = call(simulator, "GET", routed(vps_id)).json()
    assert (state["available"], state["reason"], state["allocation"]) == (True, None, None)
    again = call(simulator, "POST", routed(vps_id))
    assert again.status_code == 201
    assert again.json()["allocation"]["prefix"] != first_prefix


def test_rack_id_too_long_is_invalid_request(simulator: Simulator) -> None:
    response = call(simulator, "POST", routed(simulator.vps_ids()[0]), json={"rackId": "r" * 51})
    assert assert_problem(response, 400, "invalid_request")["errors"][0]["pointer"] == "/rackId"


@pytest.mark.parametrize(
    ("body", "pointers"),
    [
        (json.dumps({"rackId": 7}), ["/rackId"]),
        (json.dumps({"action": "explode"}), ["/action"]),
        (json.dumps({"action": None, "rackId": "r" * 51}), ["/action", "/rackId"]),
        (json.dumps([{"action": "allocate"}]), [""]),
        ("{not json", [""]),
    ],
)
def test_bad_post_body_is_invalid_request(simulator: Simulator, body: str, pointers: list[str]) -> None:
    response = call(
        simulator,
        "POST",
        routed(simulator.vps_ids()[0]),
        data=body,
        headers={**FULL, "Content-Type": "application/json"},
    )
    errors = assert_problem(response, 400, "invalid_request")["errors"]
    assert [error["pointer"] for error in errors] == pointers
    assert all(error.keys() == {"pointer", "detail", "code"} for error in errors)


def test_allocate_on_unavailable_vps_is_vps_not_ready(simulator: Simulator) -> None:
    vps_id = find_vps(simulator, lacks_net0_ipv6)
    body = assert_problem(call(simulator, "POST", routed(vps_id)), 409, "vps_not_ready")
    assert body["detail"] == "Assign IPv6 to the net0 interface first to enable routed IPv6."


def test_concurrent_allocations_on_one_vps_create_one(simulator: Simulator) -> None:
    vps_id = find_vps(simulator, is_idle)
    responses: list[requests.Response] = []
    threads = [
        threading.Thread(target=lambda: responses.append(call(simulator, "POST", routed(vps_id)))) for _ in range(10)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(response.status_code for response in responses) == [200] * 9 + [201]
    assert len({response.json()["allocation"]["id"] for response in responses}) == 1


# --- account level ----------------------------------------------------------------


def test_account_state_lists_the_seeded_pool(simulator: Simulator) -> None:
    body = call(simulator, "GET", "/api/v2/routed-ipv6").json()
    assert body["allowedPrefixLengths"] == [48, 56, 64]
    assert body["available"] is True
    [pool] = body["pools"]
    assert pool["parentCidr"] == "2001:db8:1000::/48"
    assert ALLOCATION_ID_RE.match(pool["id"])
    assert len(pool["routes"]) == 3
    for route in pool["routes"]:
        assert ROUTE_ID_RE.match(route["id"])
        assert ipaddress.IPv6Network(route["prefix"]).subnet_of(ipaddress.IPv6Network(pool["parentCidr"]))
        assert route["vpsId"] in simulator.vps_ids()
    assert [destination["vpsId"] for destination in body["destinations"]] == simulator.vps_ids()


def _account_route_prefixes(sim: Simulator) -> set[str]:
    pools = call(sim, "GET", "/api/v2/routed-ipv6").json()["pools"]
    return {route["prefix"] for pool in pools for route in pool["routes"]}


def _active_allocations(sim: Simulator) -> dict[str, dict]:
    states = {vps_id: call(sim, "GET", routed(vps_id)).json() for vps_id in sim.vps_ids()}
    return {vps_id: state["allocation"] for vps_id, state in states.items() if is_active(state)}


def test_allocations_are_not_account_routes_by_default(simulator: Simulator) -> None:
    allocations = _active_allocations(simulator)
    assert allocations
    assert not {allocation["prefix"] for allocation in allocations.values()} & _account_route_prefixes(simulator)


def test_mirror_mode_lists_active_allocations_as_routes(simulator: Simulator) -> None:
    simulator.config.mirror_allocations = True
    released_id = next(iter(_active_allocations(simulator)))
    call(simulator, "DELETE", routed(released_id))
    allocations = _active_allocations(simulator)

    pools = call(simulator, "GET", "/api/v2/routed-ipv6").json()["pools"]
    [mirror] = [pool for pool in pools if pool["parentCidr"] == "2001:db8:42::/48"]
    routes = {route["vpsId"]: route for route in mirror["routes"]}
    assert routes.keys() == allocations.keys()
    for vps_id, allocation in allocations.items():
        route = routes[vps_id]
        assert ROUTE_ID_RE.match(route["id"])
        assert (route["prefix"], route["nextHop"]) == (allocation["prefix"], allocation["nextHop"])
        assert route["vpsName"] == call(simulator, "GET", f"/api/v2/vps/{vps_id}").json()["name"]


# --- rate limits, latency, failure injection, recording -------------------------------


def test_rate_limit_answers_429_with_headers(simulator: Simulator) -> None:
    simulator.config.rate_limit = 3
    remaining = [call(simulator, "GET", "/api/v2/vps").headers["X-RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]

    response = call(simulator, "GET", "/api/v2/vps")
    body = assert_problem(response, 429, "rate_limit_exceeded")
    assert body["title"] == "Too many requests"
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["X-RateLimit-Limit"] == "3"
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert TIMESTAMP_RE.match(response.headers["X-RateLimit-Reset"])
    assert simulator.calls[-1].status == 429


def test_rate_limit_is_per_token_and_window(simulator: Simulator) -> None:
    simulator.config.rate_limit = 1
    simulator.config.rate_window_s = 0.3
    assert call(simulator, "GET", "/api/v2/vps").status_code == 200
    assert call(simulator, "GET", "/api/v2/vps").status_code == 429
    assert call(simulator, "GET", "/api/v2/vps", headers=READ).status_code == 200
    time.sleep(0.35)
    assert call(simulator, "GET", "/api/v2/vps").status_code == 200


def test_latency_delays_every_answer(simulator: Simulator) -> None:
    simulator.config.latency_ms = 150
    started = time.monotonic()
    call(simulator, "GET", "/api/v2/vps")
    assert time.monotonic() - started >= 0.15


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("unavailable", 503, "service_unavailable"),
        ("bad_gateway", 502, "bad_gateway"),
        ("internal", 500, "internal_error"),
        ("unauthorized", 401, "unauthorized"),
        ("conflict", 409, "vps_not_ready"),
    ],
)
def test_fail_next_problem_kinds(simulator: Simulator, kind: str, status: int, code: str) -> None:
    simulator.fail_next(kind)
    assert_problem(call(simulator, "GET", "/api/v2/vps"), status, code)
    assert call(simulator, "GET", "/api/v2/vps").status_code == 200


def test_fail_next_rate_limit_sends_retry_after(simulator: Simulator) -> None:
    simulator.fail_next("rate_limit", retry_after=7)
    response = call(simulator, "GET", "/api/v2/vps")
    assert_problem(response, 429, "rate_limit_exceeded")
    assert (response.headers["Retry-After"], response.headers["X-RateLimit-Remaining"]) == ("7", "0")


def test_fail_next_malformed_is_not_json(simulator: Simulator) -> None:
    simulator.fail_next("malformed")
    response = call(simulator, "GET", "/api/v2/vps")
    assert (response.status_code, response.headers["Content-Type"]) == (200, "application/json")
    with pytest.raises(ValueError):
        json.loads(response.text)


def test_fail_next_wrong_shape_is_a_json_list(simulator: Simulator) -> None:
    simulator.fail_next("wrong_shape")
    response = call(simulator, "GET", "/api/v2/vps")
    assert response.status_code == 200
    assert isinstance(response.json(), list)


def test_fail_next_honours_count_and_path_prefix(simulator: Simulator) -> None:
    simulator.fail_next("unavailable", count=2, path_prefix="/api/v2/routed-ipv6")
    assert call(simulator, "GET", "/api/v2/vps").status_code == 200
    statuses = [call(simulator, "GET", "/api/v2/routed-ipv6").status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


def test_fail_next_rejects_unknown_kind(simulator: Simulator) -> None:
    with pytest.raises(ValueError):
        simulator.fail_next("meteor")


def test_every_call_is_recorded(simulator: Simulator) -> None:
    vps_id = simulator.vps_ids()[0]
    simulator.reset_calls()
    call(simulator, "GET", "/api/v2/vps", params={"limit": "5"})
    simulator.fail_next("internal")
    call(simulator, "POST", routed(vps_id), json={"action": "allocate"})
    assert simulator.calls == [
        RecordedCall("GET", "/api/v2/vps", {"limit": ["5"]}, b"", 200),
        RecordedCall("POST", routed(vps_id), {}, b'{"action": "allocate"}', 500),
    ]
    assert simulator.calls_to("POST", "/api/v2/vps/") == simulator.calls[1:]
    simulator.reset_calls()
    assert simulator.calls == []
