"""The account-route calls against the simulator over real HTTP: every write, every refusal, every input the
client refuses to send."""

import json

import pytest

from hostup_dash.hostup import HostupClient, HostupError, InvalidRequest
from hostup_dash.hostup.account_routes import AccountRoutes, parse_route_prefix
from tests.conftest import READ_TOKEN

UNKNOWN_POOL = "ripv6_" + "0" * 26
UNKNOWN_ROUTE = "ripv6rt_" + "0" * 26


def _eligible(state: AccountRoutes, allowed: bool = True) -> str:
    return next(d.vps_id for d in state.destinations if d.can_receive_route.allowed is allowed)


def _emptied(client: HostupClient) -> str:
    pool = client.get_account_routes().pools[0]
    for route in pool.routes:
        client.delete_account_route(route.id)
    return pool.id


def test_account_state_reads_pools_routes_destinations_and_gates(hostup_client):
    state = hostup_client.get_account_routes()

    (pool,) = state.pools
    assert (pool.parent_cidr, pool.status, state.allowed_prefix_lengths) == (
        "2001:db8:1000::/48",
        "active",
        (48, 56, 64),
    )
    assert pool.allocated_at is not None
    assert [(r.prefix, r.prefix_length, r.label) for r in pool.routes] == [
        ("2001:db8:1000:10::/64", 64, "web subnet"),
        ("2001:db8:1000:100::/56", 56, None),
        ("2001:db8:1000:11::/64", 64, "monitoring"),
    ]
    assert all(route.can_delete.allowed and route.vps_name and route.next_hop for route in pool.routes)
    assert not state.can_allocate_pool.allowed and "already holds" in state.can_allocate_pool.reason
    blocked = [d for d in state.destinations if not d.can_receive_route.allowed]
    assert blocked and all(d.can_receive_route.reason for d in blocked)


def test_create_route_takes_the_first_free_child(simulator, hostup_client):
    state = hostup_client.get_account_routes()
    vps_id = _eligible(state)

    reply = hostup_client.create_account_route(pool_id=state.pools[0].id, vps_id=vps_id, prefix_length=56, label="edge")

    assert reply.status == 201 and reply.request_id.startswith("req_")
    new = [route for route in reply.value.pools[0].routes if route.label == "edge"]
    assert [(route.prefix, route.vps_id) for route in new] == [("2001:db8:1000:200::/56", vps_id)]
    (call,) = simulator.calls_to("POST", "/api/v2/routed-ipv6")
    assert json.loads(call.body) == {
        "action": "create_route",
        "poolId": state.pools[0].id,
        "vpsId": vps_id,
        "prefixLength": 56,
        "label": "edge",
    }


def test_create_route_sends_an_explicit_prefix_as_hostup_writes_it(simulator, hostup_client):
    state = hostup_client.get_account_routes()

    reply = hostup_client.create_account_route(
        pool_id=state.pools[0].id, vps_id=_eligible(state), prefix_length=64, prefix=" 2001:DB8:1000:00ff:0::/64 "
    )

    assert "2001:db8:1000:ff::/64" in [route.prefix for route in reply.value.pools[0].routes]
    assert json.loads(simulator.calls[-1].body)["prefix"] == "2001:db8:1000:ff::/64"


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"prefix": "2001:db8:1000:10::/64"}, 409, "routed_ipv6_prefix_in_use"),
        ({"prefix": "2001:db8:1000:1ff::/64"}, 409, "routed_ipv6_prefix_in_use"),  # inside the seeded /56
        ({"prefix": "2001:db8:2000::/64"}, 400, "invalid_request"),  # outside the pool
        ({"pool_id": UNKNOWN_POOL}, 404, "not_found"),
        ({"vps_id": "vps_" + "0" * 26}, 404, "not_found"),
        ({"eligible": False}, 409, "routed_ipv6_destination_not_eligible"),
    ],
)
def test_create_route_refusals_are_hostup_problems(hostup_client, fields, status, code):
    state = hostup_client.get_account_routes()
    args = {"pool_id": state.pools[0].id, "vps_id": _eligible(state, fields.pop("eligible", True)), "prefix_length": 64}

    with pytest.raises(HostupError) as raised:
        hostup_client.create_account_route(**(args | fields))

    assert (raised.value.status, raised.value.code) == (status, code)
    if status == 400:
        assert [error.pointer for error in raised.value.errors] == ["/prefix"]


def test_a_full_pool_is_exhausted(hostup_client):
    pool_id = _emptied(hostup_client)
    vps_id = _eligible(hostup_client.get_account_routes())
    hostup_client.create_account_route(pool_id=pool_id, vps_id=vps_id, prefix_length=48)

    with pytest.raises(HostupError) as raised:
        hostup_client.create_account_route(pool_id=pool_id, vps_id=vps_id, prefix_length=64)

    assert (raised.value.status, raised.value.code) == (409, "routed_ipv6_pool_exhausted")


@pytest.mark.parametrize(
    ("fields", "pointer"),
    [
        ({"prefix_length": 60}, "/prefixLength"),
        ({"prefix": "2001:db8:1000:100::/64", "prefix_length": 56}, "/prefix"),  # a /64 where a /56 was chosen
        ({"prefix": "2001:db8:1000:101::/56", "prefix_length": 56}, "/prefix"),  # misaligned
        ({"prefix": "10.0.0.0/8"}, "/prefix"),
        ({"prefix": "2001:db8:1000::"}, "/prefix"),  # no length
        ({"prefix": "fe80::%eth0/64"}, "/prefix"),
        ({"label": "x" * 65}, "/label"),
        ({"label": "tab\there"}, "/label"),
    ],
)
def test_bad_route_input_is_refused_before_sending(simulator, hostup_client, fields, pointer):
    args = {"pool_id": UNKNOWN_POOL, "vps_id": simulator.vps_ids()[0], "prefix_length": 64}
    simulator.reset_calls()

    with pytest.raises(InvalidRequest) as raised:
        hostup_client.create_account_route(**(args | fields))

    assert [error.pointer for error in raised.value.errors] == [pointer]
    assert simulator.calls == []


@pytest.mark.parametrize(
    "call",
    [
        lambda client: client.create_account_route(pool_id="ripv6_nope", vps_id="vps_" + "0" * 26, prefix_length=64),
        lambda client: client.create_account_route(pool_id=UNKNOWN_POOL, vps_id="192.0.2.1", prefix_length=64),
        lambda client: client.delete_account_route("../../vps"),
        lambda client: client.release_account_pool("ripv6rt_" + "0" * 26),
    ],
)
def test_malformed_ids_never_reach_a_url(simulator, hostup_client, call):
    with pytest.raises(InvalidRequest):
        call(hostup_client)

    assert simulator.calls == []


def test_delete_route_frees_its_prefix_at_once(hostup_client):
    state = hostup_client.get_account_routes()
    route = state.pools[0].routes[0]

    reply = hostup_client.delete_account_route(route.id)
    again = hostup_client.create_account_route(
        pool_id=state.pools[0].id, vps_id=_eligible(state), prefix_length=64, prefix=route.prefix
    )

    assert reply.status == 200 and reply.value.route(route.id) is None
    assert route.prefix in [r.prefix for r in again.value.pools[0].routes]


def test_delete_unknown_or_mirrored_route_is_refused(simulator, hostup_client):
    simulator.config.mirror_allocations = True
    mirrored = hostup_client.get_account_routes().pools[1].routes[0]

    with pytest.raises(HostupError) as unknown:
        hostup_client.delete_account_route(UNKNOWN_ROUTE)
    with pytest.raises(HostupError) as per_vps:
        hostup_client.delete_account_route(mirrored.id)

    assert (unknown.value.status, unknown.value.code) == (404, "not_found")
    assert (per_vps.value.status, per_vps.value.code) == (409, "routed_ipv6_route_not_deletable")
    assert not mirrored.can_delete.allowed


def test_pool_release_waits_for_the_routes_then_a_cooldown_blocks_allocation(simulator, hostup_client):
    pool_id = hostup_client.get_account_routes().pools[0].id
    with pytest.raises(HostupError) as in_use:
        hostup_client.release_account_pool(pool_id)
    _emptied(hostup_client)

    release = hostup_client.release_account_pool(pool_id)
    with pytest.raises(HostupError) as cooling:
        hostup_client.allocate_account_pool()
    gate = hostup_client.get_account_routes().can_allocate_pool
    simulator.expire_cooldowns()
    allocated = hostup_client.allocate_account_pool()

    assert (in_use.value.status, in_use.value.code) == (409, "routed_ipv6_pool_not_empty")
    assert release.status == 200 and release.value.released and release.value.cooldown_until is not None
    assert (cooling.value.status, cooling.value.code) == (409, "routed_ipv6_cooldown")
    assert not gate.allowed and "cooldown" in gate.reason
    assert allocated.status == 201 and [pool.parent_cidr for pool in allocated.value.pools] == ["2001:db8:1001::/48"]


def test_allocate_pool_while_one_exists_is_refused(hostup_client):
    with pytest.raises(HostupError) as raised:
        hostup_client.allocate_account_pool()

    assert (raised.value.status, raised.value.code) == (409, "routed_ipv6_pool_exists")


def test_release_unknown_pool_is_not_found(hostup_client):
    with pytest.raises(HostupError) as raised:
        hostup_client.release_account_pool(UNKNOWN_POOL)

    assert (raised.value.status, raised.value.code) == (404, "not_found")


def test_writes_are_never_retried(simulator, hostup_client):
    state = hostup_client.get_account_routes()
    simulator.fail_next("unavailable", path_prefix="/api/v2/routed-ipv6")
    simulator.reset_calls()

    with pytest.raises(HostupError) as raised:
        hostup_client.create_account_route(pool_id=state.pools[0].id, vps_id=_eligible(state), prefix_length=64)

    assert raised.value.status == 503
    assert len(simulator.calls) == 1


def test_a_read_only_key_names_the_scope_it_lacks(simulator):
    client = HostupClient(base_url=simulator.url, token=READ_TOKEN, timeout=2.0)
    try:
        with pytest.raises(HostupError) as raised:
            client.allocate_account_pool()
    finally:
        client.close()

    assert raised.value.status == 403 and raised.value.required_scopes == ("write:network",)


def test_unreadable_answer_is_malformed(simulator, hostup_client):
    simulator.fail_next("wrong_shape", path_prefix="/api/v2/routed-ipv6")

    with pytest.raises(HostupError) as raised:
        hostup_client.delete_account_route(UNKNOWN_ROUTE)

    assert raised.value.code == "malformed_response" and raised.value.is_outcome_unknown


@pytest.mark.parametrize(
    ("text", "length", "words"),
    [
        ("2001:db8:1000:100::/56", 56, ""),
        ("2001:db8:1000:101::/56", 56, "is not aligned to a /56: the /56 holding it starts at 2001:db8:1000:100::/56."),
        ("2001:db8::/48", 64, "This is a /48; the chosen length is /64."),
        ("2001:db8::", 64, "Write the prefix with its length"),
        ("not a prefix/64", 64, "not a prefix/64 is not an IPv6 prefix."),
    ],
)
def test_prefix_parsing_says_what_is_wrong(text, length, words):
    network, problem = parse_route_prefix(text, length)

    assert (network is None) == bool(words) and words in problem


def test_calls_are_observed_by_endpoint_template_not_by_id(simulator):
    seen = []
    client = HostupClient(base_url=simulator.url, token="test-full-token", timeout=2.0, on_call=seen.append)
    try:
        route = client.get_account_routes().pools[0].routes[0]
        client.delete_account_route(route.id)
        with pytest.raises(HostupError):
            client.release_account_pool(UNKNOWN_POOL)
    finally:
        client.close()

    assert [(call.method, call.endpoint) for call in seen] == [
        ("GET", "/api/v2/routed-ipv6"),
        ("DELETE", "/api/v2/routed-ipv6/routes/{id}"),
        ("DELETE", "/api/v2/routed-ipv6/{id}"),
    ]
