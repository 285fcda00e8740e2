"""The simulator's account audit log over real HTTP (NOTES.md "Account audit log" is the rulebook)."""

import re
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from hostup_dash.simulator import events
from hostup_dash.simulator.formats import iso, now
from hostup_dash.simulator.server import Simulator, SimulatorConfig
from tests.simulator.helpers import (
    FULL,
    ID_SUFFIX,
    READ,
    REQUEST_ID_RE,
    TIMESTAMP_RE,
    call,
    find_vps,
    is_active,
    is_idle,
    is_in_cooldown,
    is_stale,
    routed,
)

AUDIT_LOG = "/api/v2/audit-log"
NO_AUDIT = {"Authorization": "Bearer sim-no-audit-token"}
EVENT_ID_RE = re.compile(rf"^evt_{ID_SUFFIX}$")
KEY_ID_RE = re.compile(rf"^key_{ID_SUFFIX}$")
EVENT_KEYS = {
    "id",
    "occurredAt",
    "method",
    "endpoint",
    "path",
    "ipAddress",
    "userAgent",
    "statusCode",
    "success",
    "durationMs",
    "errorMessage",
    "authMethod",
    "resourcesAccessed",
    "severity",
    "tags",
    "eventSource",
    "actorType",
    "actorId",
    "requestId",
    "category",
    "action",
    "summary",
    "resourceLabel",
    "changes",
}


def audit_log(sim: Simulator, **params: object) -> requests.Response:
    """Seeded events are POSTs: hideGet leaves out the audit log's own calls unless a test asks for GETs."""
    return call(sim, "GET", AUDIT_LOG, params={"hideGet": "true", "limit": 100, **params})


def events_by_request_id(sim: Simulator) -> dict[str, dict]:
    return {event["requestId"]: event for event in sim.audit_events()}


def seed(sim: Simulator, at: datetime, **fields: object) -> dict:
    return sim.add_audit_event({"occurredAt": iso(at), "method": "POST", "eventSource": "request_audit", **fields})


def test_every_answered_request_leaves_one_event_with_its_request_id(simulator: Simulator) -> None:
    simulator.fail_next("internal", path_prefix="/api/v2/routed-ipv6")
    answers = [
        call(simulator, "GET", "/api/v2/vps"),  # 200
        call(simulator, "GET", "/api/v2/vps/vps_" + "0" * 26),  # 404
        call(simulator, "POST", routed(simulator.vps_ids()[0]), json={"rackId": "r" * 51}),  # 400
        call(simulator, "POST", routed(simulator.vps_ids()[0]), headers=READ),  # 403
        call(simulator, "POST", routed(find_vps(simulator, is_in_cooldown))),  # 409
        call(simulator, "GET", "/api/v2/routed-ipv6"),  # 500, injected
        call(simulator, "GET", AUDIT_LOG, headers=READ),  # 403: the audit log's own calls count too
        audit_log(simulator),  # 200
    ]
    simulator.config.rate_limit = 1
    answers.append(call(simulator, "GET", "/api/v2/vps", headers=READ))  # 429 (READ's second request)
    unauthenticated = [
        call(simulator, "GET", "/api/v2/vps", headers={}),
        call(simulator, "GET", "/api/v2/vps", headers={"Authorization": "Bearer nope"}),
    ]
    simulator.config.rate_limit = 600

    by_request = events_by_request_id(simulator)
    assert [answer.status_code for answer in answers] == [200, 404, 400, 403, 409, 500, 403, 200, 429]
    for answer in answers:
        event = by_request[answer.headers["X-Request-Id"]]
        assert event.keys() == EVENT_KEYS
        assert event["statusCode"] == answer.status_code
        assert event["success"] is (answer.status_code < 400)
        assert event["method"] == answer.request.method
        assert event["path"] == answer.request.path_url.split("?")[0]
        assert event["severity"] == (
            "info" if answer.status_code < 400 else "warning" if answer.status_code < 500 else "error"
        )
        assert event["category"] == ("security" if answer.status_code == 403 else "api")
        assert event["errorMessage"] == (answer.json()["detail"] if answer.status_code >= 400 else None)
        assert event["eventSource"] == "request_audit"
        assert (event["actorType"], event["authMethod"]) == ("api", "api_key")
        assert event["ipAddress"] == "127.0.0.1"
        assert event["userAgent"] == answer.request.headers["User-Agent"]
        assert EVENT_ID_RE.match(event["id"]) and TIMESTAMP_RE.match(event["occurredAt"])
        assert isinstance(event["durationMs"], int) and event["durationMs"] >= 0
        assert event["tags"] == [event["action"]]
    for answer in unauthenticated:
        assert answer.status_code == 401
        assert answer.headers["X-Request-Id"] not in by_request  # nothing ties it to the account
    # One event per answered request (find_vps's reads included), none for the 401s.
    assert len(simulator.audit_events()) == sum(1 for recorded in simulator.calls if recorded.status != 401)


def test_actor_is_the_keys_public_id_stable_per_key(simulator: Simulator) -> None:
    full_ids = {call(simulator, "GET", "/api/v2/vps").headers["X-Request-Id"] for _ in range(2)}
    read_id = call(simulator, "GET", "/api/v2/vps", headers=READ).headers["X-Request-Id"]
    no_audit_id = call(simulator, "GET", "/api/v2/vps", headers=NO_AUDIT).headers["X-Request-Id"]
    by_request = events_by_request_id(simulator)

    full_keys = {by_request[request_id]["actorId"] for request_id in full_ids}
    assert len(full_keys) == 1
    keys = full_keys | {by_request[read_id]["actorId"], by_request[no_audit_id]["actorId"]}
    assert len(keys) == 3 and all(KEY_ID_RE.match(key) for key in keys)
    assert not any("sim-" in key for key in keys)  # never the secret
    # The same seed and key give the same id in another simulator: an importer can keep it.
    other = Simulator(SimulatorConfig(vps_count=3, seed=1)).start()
    try:
        call(other, "GET", "/api/v2/vps")
        assert other.audit_events()[0]["actorId"] in full_keys
    finally:
        other.stop()


def test_a_key_without_audit_read_gets_403_and_works_otherwise(simulator: Simulator) -> None:
    response = call(simulator, "GET", AUDIT_LOG, headers=NO_AUDIT)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "audit:read" in response.json()["detail"]
    assert call(simulator, "POST", routed(find_vps(simulator, is_idle)), headers=NO_AUDIT).status_code == 201


def test_routed_ipv6_writes_describe_their_changes(simulator: Simulator) -> None:
    idle, stale, active = (find_vps(simulator, predicate) for predicate in (is_idle, is_stale, is_active))
    before = call(simulator, "GET", routed(stale)).json()
    allocated = call(simulator, "POST", routed(idle), json={"action": "allocate"})
    refreshed = call(simulator, "POST", routed(stale), json={"action": "refresh_next_hop"})
    released = call(simulator, "DELETE", routed(active))
    viewed = call(simulator, "GET", routed(idle))
    by_request = events_by_request_id(simulator)

    allocation = allocated.json()["allocation"]
    event = by_request[allocated.headers["X-Request-Id"]]
    assert (event["action"], event["endpoint"]) == ("routed_ipv6.allocate", "/api/v2/vps/{id}/routed-ipv6")
    assert event["changes"] == [
        {"field": "prefix", "before": None, "after": allocation["prefix"]},
        {"field": "nextHop", "before": None, "after": allocation["nextHop"]},
    ]
    name = call(simulator, "GET", f"/api/v2/vps/{idle}").json()["name"]
    assert event["resourceLabel"] == name and name in event["summary"]
    assert event["resourcesAccessed"] == [f"vps:{idle}"]

    event = by_request[refreshed.headers["X-Request-Id"]]
    assert event["action"] == "routed_ipv6.refresh_next_hop"
    assert event["changes"] == [
        {"field": "nextHop", "before": before["allocation"]["nextHop"], "after": before["suggestedNextHop"]}
    ]
    event = by_request[released.headers["X-Request-Id"]]
    assert event["action"] == "routed_ipv6.release"
    assert event["changes"] == [{"field": "status", "before": "active", "after": "cooldown"}]
    event = by_request[viewed.headers["X-Request-Id"]]
    assert (event["action"], event["changes"]) == ("routed_ipv6.view", [])


def test_failed_write_keeps_the_attempted_action_and_no_changes(simulator: Simulator) -> None:
    response = call(simulator, "POST", routed(find_vps(simulator, is_idle)), json={"action": "refresh_next_hop"})
    event = events_by_request_id(simulator)[response.headers["X-Request-Id"]]
    assert response.status_code == 409
    assert (event["action"], event["changes"], event["success"]) == ("routed_ipv6.refresh_next_hop", [], False)
    assert event["errorMessage"] == response.json()["detail"]


def test_account_route_writes_are_described_by_prefix(simulator: Simulator) -> None:
    state = call(simulator, "GET", "/api/v2/routed-ipv6").json()
    pool_id = state["pools"][0]["id"]
    vps_id = next(d["vpsId"] for d in state["destinations"] if d["actions"]["canReceiveRoute"]["allowed"])
    created = call(
        simulator,
        "POST",
        "/api/v2/routed-ipv6",
        json={"action": "create_route", "poolId": pool_id, "vpsId": vps_id, "prefixLength": 64},
    )
    assert created.status_code == 201, created.text
    known = {route["id"] for route in state["pools"][0]["routes"]}
    route = next(route for route in created.json()["pools"][0]["routes"] if route["id"] not in known)
    deleted = call(simulator, "DELETE", f"/api/v2/routed-ipv6/routes/{route['id']}")
    by_request = events_by_request_id(simulator)

    event = by_request[created.headers["X-Request-Id"]]
    assert (event["action"], event["resourceLabel"]) == ("routed_ipv6_route.create", route["prefix"])
    assert {change["field"]: change["after"] for change in event["changes"]} == {
        "prefix": route["prefix"],
        "nextHop": route["nextHop"],
        "vpsId": vps_id,
    }
    event = by_request[deleted.headers["X-Request-Id"]]
    assert (event["action"], event["endpoint"]) == ("routed_ipv6_route.delete", "/api/v2/routed-ipv6/routes/{id}")
    assert event["resourceLabel"] == route["prefix"]
    assert event["changes"] == [{"field": "prefix", "before": route["prefix"], "after": None}]
    assert event["resourcesAccessed"] == [f"routed_ipv6_route:{route['id']}"]


def test_a_write_whose_caller_timed_out_still_gets_its_event_with_the_status_produced(simulator: Simulator) -> None:
    vps_id = find_vps(simulator, is_idle)
    simulator.config.latency_ms = 600
    sent_at = now()
    with pytest.raises(requests.ReadTimeout):
        requests.post(simulator.url + routed(vps_id), headers=FULL, json={"action": "allocate"}, timeout=0.2)
    deadline = time.monotonic() + 5
    while not (events := [e for e in simulator.audit_events() if e["method"] == "POST"]):
        assert time.monotonic() < deadline, "no event for the timed-out write"
        time.sleep(0.05)
    simulator.config.latency_ms = 0

    (event,) = events
    assert (event["statusCode"], event["success"], event["action"]) == (201, True, "routed_ipv6.allocate")
    assert REQUEST_ID_RE.match(event["requestId"])
    # occurredAt is when it arrived, not when handling ended.
    assert abs(datetime.fromisoformat(event["occurredAt"]) - sent_at) < timedelta(milliseconds=300)
    assert event["durationMs"] >= 600
    assert call(simulator, "GET", routed(vps_id)).json()["allocation"]["status"] == "active"


def test_events_are_written_when_handling_ends(simulator: Simulator) -> None:
    listed = audit_log(simulator, hideGet="false")
    assert listed.json()["data"] == []  # its own event is written after its answer was built
    assert audit_log(simulator, hideGet="false").json()["data"][0]["requestId"] == listed.headers["X-Request-Id"]


# --- the window -----------------------------------------------------------------


def test_start_and_end_are_inclusive(simulator: Simulator) -> None:
    start = now() - timedelta(hours=1)
    end = start + timedelta(minutes=10)
    inside = [seed(simulator, start)["id"], seed(simulator, end)["id"]]
    seed(simulator, start - timedelta(milliseconds=1))
    seed(simulator, end + timedelta(milliseconds=1))

    body = audit_log(simulator, startAt=iso(start), endAt=iso(end)).json()
    assert sorted(event["id"] for event in body["data"]) == sorted(inside)


def test_bounds_may_carry_an_offset(simulator: Simulator) -> None:
    moment = now() - timedelta(hours=2)
    wanted = seed(simulator, moment)["id"]
    bound = moment.astimezone(timezone(timedelta(hours=2))).isoformat(timespec="milliseconds")
    assert bound.endswith("+02:00")
    body = audit_log(simulator, startAt=bound, endAt=bound).json()
    assert [event["id"] for event in body["data"]] == [wanted]


def test_without_start_the_window_is_the_last_12_hours(simulator: Simulator) -> None:
    simulator.config.audit_retention_s = 48 * 3600
    recent = seed(simulator, now() - timedelta(hours=11, minutes=59))["id"]
    seed(simulator, now() - timedelta(hours=12, minutes=1))

    assert [event["id"] for event in audit_log(simulator).json()["data"]] == [recent]
    older = audit_log(simulator, startAt=iso(now() - timedelta(hours=13))).json()["data"]
    assert len(older) == 2


def test_events_past_retention_are_gone_and_an_older_start_is_no_error(simulator: Simulator) -> None:
    kept = seed(simulator, now() - timedelta(hours=11))["id"]
    seed(simulator, now() - timedelta(hours=13))

    response = audit_log(simulator, startAt=iso(now() - timedelta(days=3)))
    assert response.status_code == 200
    assert [event["id"] for event in response.json()["data"]] == [kept]
    simulator.config.audit_retention_s = 3600
    assert audit_log(simulator, startAt=iso(now() - timedelta(days=3))).json()["data"] == []


def test_newest_first_ties_by_id_descending(simulator: Simulator) -> None:
    moment = now() - timedelta(minutes=5)
    for suffix in ("b", "c", "a"):
        seed(simulator, moment, id=f"evt_{suffix * 26}")
    seed(simulator, moment - timedelta(seconds=1), id="evt_" + "z" * 26)
    ids = [
        event["id"][4:5] for event in audit_log(simulator, startAt=iso(moment - timedelta(minutes=1))).json()["data"]
    ]
    assert ids == ["c", "b", "a", "z"]


def test_hide_get_and_include_dns_events(simulator: Simulator) -> None:
    call(simulator, "GET", "/api/v2/vps")
    call(simulator, "POST", routed(find_vps(simulator, is_idle)))
    seed(simulator, now() - timedelta(minutes=1), eventSource="dns_history", method="PUT", category="dns")

    every = audit_log(simulator, hideGet="false").json()["data"]
    changes = audit_log(simulator, hideGet="true").json()["data"]
    without_dns = audit_log(simulator, hideGet="true", includeDnsEvents="false").json()["data"]
    assert {event["method"] for event in every} == {"GET", "POST", "PUT"}
    assert {event["method"] for event in changes} == {"POST", "PUT"}
    assert [event["method"] for event in without_dns] == ["POST"]


def test_stats_count_the_whole_filtered_window(simulator: Simulator) -> None:
    for _ in range(3):
        call(simulator, "GET", "/api/v2/vps")
    call(simulator, "POST", routed(simulator.vps_ids()[0]), headers=READ)  # 403: a security event

    body = audit_log(simulator, hideGet="false", includeStats="true", limit=1).json()
    assert len(body["data"]) == 1
    stats = body["stats"]
    assert (stats["totalEvents"], stats["apiCalls"], stats["securityEvents"]) == (4, 4, 1)
    assert stats["topEndpoints"][0] == {"endpoint": "/api/v2/vps", "count": 3}
    assert "stats" not in audit_log(simulator).json()


# --- paging and refusals ----------------------------------------------------------


def test_pages_with_a_fixed_end_walk_every_event_once(simulator: Simulator) -> None:
    start = now() - timedelta(hours=1)
    seeded = {seed(simulator, start + timedelta(seconds=second))["id"] for second in range(45)}
    end = iso(now())
    ids, sizes, cursor = [], [], None
    while True:
        params = {"startAt": iso(start), "endAt": end, "limit": 20, **({"cursor": cursor} if cursor else {})}
        body = audit_log(simulator, **params).json()
        sizes.append(len(body["data"]))
        ids += [event["id"] for event in body["data"]]
        assert body["hasMore"] is (body["nextCursor"] is not None)
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert sizes == [20, 20, 5]
    assert set(ids) == seeded and len(ids) == 45  # the audit-log calls themselves fall after endAt


def test_default_page_size_is_20(simulator: Simulator) -> None:
    for second in range(25):
        seed(simulator, now() - timedelta(seconds=second + 1))
    body = call(simulator, "GET", AUDIT_LOG).json()
    assert len(body["data"]) == 20 and body["hasMore"] is True


@pytest.mark.parametrize(
    ("params", "pointer"),
    [
        ({"startAt": "yesterday"}, "/startAt"),
        ({"startAt": "2026-12-01"}, "/startAt"),
        ({"startAt": "2026-12-01T10:00:00"}, "/startAt"),  # no time zone
        ({"endAt": "2026-13-01T10:00:00Z"}, "/endAt"),
        ({"startAt": "2026-12-01T10:00:00Z", "endAt": "2026-12-01T09:59:59Z"}, "/startAt"),
        ({"hideGet": "1"}, "/hideGet"),
        ({"includeStats": "yes"}, "/includeStats"),
        ({"includeDnsEvents": "TRUE"}, "/includeDnsEvents"),
        ({"limit": "0"}, "/limit"),
        ({"limit": "101"}, "/limit"),
    ],
)
def test_bad_query_is_400_pointing_at_the_parameter(simulator: Simulator, params: dict, pointer: str) -> None:
    response = call(simulator, "GET", AUDIT_LOG, params=params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"
    assert response.json()["errors"][0]["pointer"] == pointer


@pytest.mark.parametrize("cursor", ["not a cursor", "bm9wZQ", "eyJvZmZzZXQiOi0xfQ"])
def test_bad_cursor_is_400_invalid_cursor(simulator: Simulator, cursor: str) -> None:
    response = call(simulator, "GET", AUDIT_LOG, params={"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


def test_past_the_cap_the_oldest_reads_are_forgotten_and_every_change_kept(
    simulator: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(events, "MAX_EVENTS", 10)
    monkeypatch.setattr(events, "TRIM_BATCH", 2)
    start = now() - timedelta(minutes=30)
    reads = [seed(simulator, start + timedelta(seconds=n), method="GET")["id"] for n in range(8)]
    writes = [seed(simulator, start + timedelta(seconds=10 + n))["id"] for n in range(5)]

    kept = {event["id"] for event in simulator.audit_events()}
    assert set(writes) <= kept
    assert kept & set(reads) == set(reads[3:])  # the 11th event went past 10: the three oldest reads went
