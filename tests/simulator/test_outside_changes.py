"""Changes made outside the dashboard: POST /_sim/outside-change and `hostup_simulator --outside-change-after`."""

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta, timezone
from pathlib import Path

import pytest
import requests

from hostup_dash.simulator.formats import iso, now
from hostup_dash.simulator.server import Simulator
from tests.simulator.helpers import REQUEST_ID_RE, call, find_vps, is_active, is_idle, is_in_cooldown, is_stale, routed

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTROL = "/_sim/outside-change"


def control(sim: Simulator, body: object) -> requests.Response:
    return requests.post(sim.url + CONTROL, json=body, timeout=5)


def our_key(sim: Simulator) -> str:
    request_id = call(sim, "GET", "/api/v2/vps").headers["X-Request-Id"]
    return next(event["actorId"] for event in sim.audit_events() if event["requestId"] == request_id)


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("customer", {"actorType": "customer", "actorId": "30000", "authMethod": "session"}),
        ("staff", {"actorType": "staff", "actorId": "1042", "authMethod": "staff_session", "ipAddress": None}),
        ("system", {"actorType": "system", "actorId": None, "authMethod": None, "requestId": None}),
        ("api_key_other", {"actorType": "api", "authMethod": "api_key"}),
    ],
)
def test_release_by_each_actor_changes_state_and_logs_its_event(
    simulator: Simulator, actor: str, expected: dict
) -> None:
    vps_id = find_vps(simulator, is_active)
    ours = our_key(simulator)

    response = control(simulator, {"vpsId": vps_id, "change": "release", "actor": actor})

    assert response.status_code == 200, response.text
    event = response.json()["event"]
    assert event.items() >= expected.items()
    assert (event["method"], event["path"], event["endpoint"]) == (
        "DELETE",
        routed(vps_id),
        "/api/v2/vps/{id}/routed-ipv6",
    )
    assert (event["action"], event["statusCode"], event["success"]) == ("routed_ipv6.release", 200, True)
    assert event["changes"] == [{"field": "status", "before": "active", "after": "cooldown"}]
    assert event["actorId"] != ours
    if actor != "system":
        assert REQUEST_ID_RE.match(event["requestId"])
    if actor == "api_key_other":
        assert event["actorId"].startswith("key_")
    assert is_in_cooldown(call(simulator, "GET", routed(vps_id)).json())
    assert event in simulator.audit_events()


def test_staff_refresh_and_customer_allocate(simulator: Simulator) -> None:
    stale, idle = find_vps(simulator, is_stale), find_vps(simulator, is_idle)
    before = call(simulator, "GET", routed(stale)).json()

    refreshed = simulator.outside_change(stale, "refresh_next_hop", "staff")
    allocated = simulator.outside_change(idle, "allocate", "customer")

    assert refreshed["action"] == "routed_ipv6.refresh_next_hop"
    assert refreshed["changes"] == [
        {"field": "nextHop", "before": before["allocation"]["nextHop"], "after": before["suggestedNextHop"]}
    ]
    assert (allocated["action"], allocated["statusCode"]) == ("routed_ipv6.allocate", 201)
    assert call(simulator, "GET", routed(idle)).json()["allocation"]["status"] == "active"


def test_a_refused_change_logs_a_failed_event_and_changes_nothing(simulator: Simulator) -> None:
    vps_id = find_vps(simulator, is_in_cooldown)
    before = call(simulator, "GET", routed(vps_id)).json()

    event = control(simulator, {"vpsId": vps_id, "change": "allocate", "actor": "customer"}).json()["event"]

    assert (event["statusCode"], event["success"], event["changes"]) == (409, False, [])
    assert "cooldown" in event["errorMessage"]
    assert call(simulator, "GET", routed(vps_id)).json() == before


def test_occurred_at_backdates_the_event_and_retention_still_applies(simulator: Simulator) -> None:
    vps_id = find_vps(simulator, is_active)
    two_hours_ago = now() - timedelta(hours=2)
    offset = two_hours_ago.astimezone(timezone(timedelta(hours=-5))).isoformat()

    kept = control(simulator, {"vpsId": vps_id, "change": "release", "actor": "staff", "occurredAt": offset})
    gone = simulator.outside_change(vps_id, "release", "staff", occurred_at=now() - timedelta(hours=13))

    assert kept.json()["event"]["occurredAt"] == iso(two_hours_ago)
    ids = [event["id"] for event in simulator.audit_events()]
    assert kept.json()["event"]["id"] in ids and gone["id"] not in ids


def test_control_calls_leave_no_api_event_and_need_no_key(simulator: Simulator) -> None:
    control(simulator, {"vpsId": find_vps(simulator, is_active), "change": "release", "actor": "system"})
    assert [event["actorType"] for event in simulator.audit_events() if event["method"] != "GET"] == ["system"]
    assert all(recorded.path.startswith("/api/v2/") for recorded in simulator.calls)


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"vpsId": "vps_" + "0" * 26, "change": "release", "actor": "customer"}, 404, "No VPS"),
        ({"change": "release", "actor": "customer"}, 404, "No VPS"),
        ({"vpsId": "ID", "change": "reboot", "actor": "customer"}, 400, "change must be one of"),
        ({"vpsId": "ID", "change": "release", "actor": "hacker"}, 400, "actor must be one of"),
        ({"vpsId": "ID", "change": "release", "actor": "staff", "occurredAt": "noon"}, 400, "occurredAt"),
        ({"vpsId": "ID", "change": "release", "actor": "staff", "occurredAt": "2026-12-01T10:00:00"}, 400, "zone"),
        (["not", "an", "object"], 400, "JSON object"),
    ],
)
def test_bad_control_requests_are_refused_in_words(simulator: Simulator, body: object, status: int, words: str) -> None:
    if isinstance(body, dict) and body.get("vpsId") == "ID":
        body["vpsId"] = simulator.vps_ids()[0]
    response = control(simulator, body)
    assert response.status_code == status
    assert words in response.json()["error"]
    assert simulator.audit_events() == []


def test_other_control_paths_and_methods(simulator: Simulator) -> None:
    assert requests.get(simulator.url + CONTROL, timeout=5).status_code == 405
    assert requests.post(simulator.url + "/_sim/reset", json={}, timeout=5).status_code == 404


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_command_makes_one_outside_change_after_the_delay() -> None:
    port = _free_port()
    command = ["manage.py", "hostup_simulator", "--port", str(port), "--vps", "20", "--outside-change-after", "0.5"]
    process = subprocess.Popen(
        [sys.executable, *command],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DEBUG": "true"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(7)]  # the banner's six, then the change
        assert "Outside change by the customer in HostUp's panel: Released the routed IPv6 of" in lines[6]
        url = f"http://127.0.0.1:{port}/api/v2/audit-log"
        deadline = time.monotonic() + 5
        while True:
            try:
                events = requests.get(url, headers={"Authorization": "Bearer sim-full-token"}, timeout=2).json()["data"]
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)
    finally:
        process.kill()
    (event,) = events
    assert (event["actorType"], event["action"], event["success"]) == ("customer", "routed_ipv6.release", True)
