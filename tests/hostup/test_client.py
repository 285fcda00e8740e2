"""The HostUp client against the simulator over real HTTP."""

import socket
from datetime import datetime

import pytest

from hostup_dash.hostup import HostupClient, HostupError, InvalidRequest
from hostup_dash.hostup import errors as codes
from hostup_dash.hostup.client import HostupCall
from tests.conftest import FULL_TOKEN, READ_TOKEN


def _available_id(simulator, client: HostupClient, *, allocated: bool = False) -> str:
    """A VPS whose routed IPv6 is available, with or without an active allocation."""
    for vps_id in simulator.vps_ids():
        state = client.get_routed_ipv6(vps_id)
        if state.available and bool(state.active_allocation) == allocated:
            return vps_id
    raise AssertionError("the seed has no such VPS")


def test_list_vps_walks_every_page(simulator, hostup_client):
    simulator.add_vps(name="extra")
    simulator.reset_calls()
    simulator_count = len(simulator.vps_ids())

    vpses = hostup_client.list_vps()

    assert len(vpses) == simulator_count
    assert len({vps.id for vps in vpses}) == simulator_count
    assert [call.query.get("limit") for call in simulator.calls_to("GET", "/api/v2/vps")] == [["100"]]


def test_list_vps_follows_next_cursor(simulator, hostup_client):
    first = hostup_client.list_vps_page(limit=5)
    second = hostup_client.list_vps_page(limit=5, cursor=first.next_cursor)

    assert first.next_cursor
    assert {vps.id for vps in first.items}.isdisjoint(vps.id for vps in second.items)


def test_get_vps_returns_typed_result(simulator, hostup_client):
    vps_id = simulator.vps_ids()[0]

    vps = hostup_client.get_vps(vps_id)

    assert vps.id == vps_id
    assert vps.name
    assert vps.service_status


def test_get_routed_ipv6_parses_timestamps_as_aware(simulator, hostup_client):
    vps_id = _available_id(simulator, hostup_client, allocated=True)

    state = hostup_client.get_routed_ipv6(vps_id)

    assert isinstance(state.allocation.allocated_at, datetime)
    assert state.allocation.allocated_at.tzinfo is not None


def test_allocate_then_refresh_then_release(simulator, hostup_client):
    vps_id = _available_id(simulator, hostup_client)

    reply = hostup_client.allocate_routed_ipv6(vps_id, rack_id="stockholm-a")
    allocated = reply.value
    assert reply.status == 201
    assert reply.request_id.startswith("req_")
    assert allocated.created is True
    assert allocated.active_allocation.prefix

    refreshed = hostup_client.refresh_next_hop(vps_id)
    assert refreshed.status == 200
    assert refreshed.request_id != reply.request_id
    assert refreshed.value.allocation.prefix == allocated.allocation.prefix

    released = hostup_client.release_routed_ipv6(vps_id).value
    assert released.released is True
    assert released.cooldown_until is not None
    assert hostup_client.get_routed_ipv6(vps_id).allocation.status == "cooldown"


def test_allocate_sends_action_and_rack_id(simulator, hostup_client):
    vps_id = _available_id(simulator, hostup_client)
    simulator.reset_calls()

    hostup_client.allocate_routed_ipv6(vps_id, rack_id="stockholm-a")

    (call,) = simulator.calls_to("POST", f"/api/v2/vps/{vps_id}/routed-ipv6")
    assert call.body == b'{"action": "allocate", "rackId": "stockholm-a"}'


def test_get_account_routes_reads_pools_and_routes(simulator, hostup_client):
    account = hostup_client.get_account_routes()

    assert account.pools
    assert all(route.id.startswith("ripv6rt_") for route in account.routes)


def test_missing_token_is_401(simulator):
    client = HostupClient(base_url=simulator.url, token="wrong", timeout=2)

    with pytest.raises(HostupError) as caught:
        client.list_vps()

    assert (caught.value.status, caught.value.code) == (401, "unauthorized")
    assert caught.value.request_id.startswith("req_")


def test_read_only_token_cannot_write_403(simulator):
    client = HostupClient(base_url=simulator.url, token=READ_TOKEN, timeout=2)

    with pytest.raises(HostupError) as caught:
        client.allocate_routed_ipv6(simulator.vps_ids()[0])

    assert (caught.value.status, caught.value.code) == (403, "forbidden")


@pytest.mark.parametrize(
    "write", [HostupClient.allocate_routed_ipv6, HostupClient.refresh_next_hop, HostupClient.release_routed_ipv6]
)
def test_403_names_the_scope_the_operation_needs(simulator, write):
    client = HostupClient(base_url=simulator.url, token=READ_TOKEN, timeout=2)

    with pytest.raises(HostupError) as caught:
        write(client, simulator.vps_ids()[0])

    assert caught.value.required_scopes == ("write:network",)
    assert caught.value.is_scope_missing


def test_other_failures_name_no_scope(hostup_client):
    with pytest.raises(HostupError) as caught:
        hostup_client.get_routed_ipv6("vps_" + "0" * 26)

    assert caught.value.required_scopes == ()


def test_unknown_vps_is_404(hostup_client):
    with pytest.raises(HostupError) as caught:
        hostup_client.get_routed_ipv6("vps_" + "0" * 26)

    assert (caught.value.status, caught.value.code) == (404, "vps_not_found")


def test_malformed_vps_id_is_refused_before_sending(simulator, hostup_client):
    simulator.reset_calls()

    with pytest.raises(InvalidRequest) as caught:
        hostup_client.get_routed_ipv6("../../etc/passwd")

    assert caught.value.code == codes.INVALID_VPS_ID
    assert simulator.calls == []


def test_long_rack_id_is_refused_before_sending(simulator, hostup_client):
    simulator.reset_calls()

    with pytest.raises(InvalidRequest) as caught:
        hostup_client.allocate_routed_ipv6(simulator.vps_ids()[0], rack_id="r" * 51)

    assert caught.value.errors[0].field == "rackId"
    assert simulator.calls == []


def test_upstream_400_carries_field_errors(hostup_client):
    with pytest.raises(HostupError) as caught:
        hostup_client.list_vps_page(limit=500)

    assert (caught.value.status, caught.value.code) == (400, "invalid_request")
    assert [error.field for error in caught.value.errors] == ["limit"]


def test_bad_cursor_is_400(hostup_client):
    with pytest.raises(HostupError) as caught:
        hostup_client.list_vps_page(cursor="not-a-cursor")

    assert (caught.value.status, caught.value.code) == (400, "invalid_cursor")


def test_get_retries_after_429_and_succeeds(simulator):
    waits: list[float] = []
    client = HostupClient(base_url=simulator.url, token=FULL_TOKEN, timeout=2, sleep=waits.append)
    simulator.fail_next("rate_limit", count=1, path_prefix="/api/v2/vps", retry_after=1)
    simulator.reset_calls()

    vps = client.get_vps(simulator.vps_ids()[0])

    assert vps.id
    assert waits == [1.0]
    assert [call.status for call in simulator.calls] == [429, 200]


def test_get_retries_are_bounded(simulator):
    waits: list[float] = []
    client = HostupClient(base_url=simulator.url, token=FULL_TOKEN, timeout=2, sleep=waits.append)
    simulator.fail_next("unavailable", count=5, path_prefix="/api/v2/vps")

    with pytest.raises(HostupError) as caught:
        client.get_vps(simulator.vps_ids()[0])

    assert caught.value.status == 503
    assert len(waits) == 2


def test_retry_wait_over_budget_is_not_waited(simulator):
    waits: list[float] = []
    client = HostupClient(base_url=simulator.url, token=FULL_TOKEN, timeout=2, sleep=waits.append)
    simulator.fail_next("rate_limit", count=1, path_prefix="/api/v2/vps", retry_after=60)

    with pytest.raises(HostupError) as caught:
        client.get_vps(simulator.vps_ids()[0])

    assert caught.value.is_rate_limited
    assert caught.value.retry_after == 60
    assert waits == []


def test_writes_are_never_retried(simulator, hostup_client):
    simulator.fail_next("unavailable", count=1, path_prefix="/api/v2/vps")
    simulator.reset_calls()

    with pytest.raises(HostupError):
        hostup_client.allocate_routed_ipv6(simulator.vps_ids()[0])

    assert len(simulator.calls) == 1


def test_rate_limit_remaining_is_exposed(simulator, hostup_client):
    simulator.config.rate_limit = 10

    hostup_client.get_vps(simulator.vps_ids()[0])

    assert hostup_client.rate_limit_remaining == 9
    assert hostup_client.rate_limit_limit == 10


def test_timeout_is_outcome_unknown(simulator):
    simulator.config.latency_ms = 1500
    client = HostupClient(base_url=simulator.url, token=FULL_TOKEN, timeout=0.3)

    with pytest.raises(HostupError) as caught:
        client.allocate_routed_ipv6(simulator.vps_ids()[0])

    assert caught.value.code == codes.TIMEOUT
    assert caught.value.is_outcome_unknown
    assert caught.value.status is None


def test_refused_connection(unused_port):
    client = HostupClient(base_url=f"http://127.0.0.1:{unused_port}", token=FULL_TOKEN, timeout=1)

    with pytest.raises(HostupError) as caught:
        client.get_account_routes()

    assert caught.value.code == codes.CONNECTION_FAILED
    assert "could not be reached" in caught.value.title


@pytest.mark.parametrize("kind", ["malformed", "wrong_shape"])
def test_unreadable_body(simulator, hostup_client, kind):
    simulator.fail_next(kind, path_prefix="/api/v2/vps")

    with pytest.raises(HostupError) as caught:
        hostup_client.get_routed_ipv6(simulator.vps_ids()[0])

    assert caught.value.code == codes.MALFORMED_RESPONSE


def test_observer_hears_each_call_by_endpoint_template(simulator):
    calls: list[HostupCall] = []
    client = HostupClient(base_url=simulator.url, token=FULL_TOKEN, timeout=2, on_call=calls.append)
    vps_id = simulator.vps_ids()[0]

    client.get_routed_ipv6(vps_id)

    [call] = calls
    assert (call.method, call.endpoint, call.status) == ("GET", "/api/v2/vps/{id}/routed-ipv6", 200)
    assert call.error_code == ""
    assert call.seconds > 0 and isinstance(call.rate_limit_remaining, int)


def test_observer_hears_a_call_that_got_no_answer(unused_port):
    calls: list[HostupCall] = []
    client = HostupClient(base_url=f"http://127.0.0.1:{unused_port}", token=FULL_TOKEN, timeout=1, on_call=calls.append)

    with pytest.raises(HostupError):
        client.get_account_routes()

    assert [(call.endpoint, call.status, call.error_code, call.rate_limit_remaining) for call in calls] == [
        ("/api/v2/routed-ipv6", None, codes.CONNECTION_FAILED, None)
    ]


def test_token_not_in_repr(hostup_client):
    assert FULL_TOKEN not in repr(hostup_client)


@pytest.fixture
def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_429_without_retry_after_waits_for_the_rate_limit_reset(simulator):
    simulator.config.rate_window_s = 2.0
    waits: list[float] = []
    client = HostupClient(base_url=simulator.url, token=FULL_TOKEN, timeout=2, sleep=waits.append)
    simulator.fail_next("rate_limit", path_prefix="/api/v2/vps", retry_after=None)

    vps = client.get_vps(simulator.vps_ids()[0])

    assert vps.id
    assert len(waits) == 1 and 0 < waits[0] <= 2.0
