"""The client's audit-log calls against the simulator over real HTTP: parsing, paging, window, refusals."""

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from hostup_dash.hostup import HostupClient, HostupError
from hostup_dash.hostup import errors as codes
from hostup_dash.hostup.audit_log import (
    AuditChange,
    AuditEventPage,
    is_routed_ipv6,
    vps_id_of,
)
from hostup_dash.simulator.formats import iso
from tests.conftest import FULL_TOKEN, READ_TOKEN

AUDIT_LOG = "/api/v2/audit-log"


def _ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def _seed(simulator, at: datetime, **fields) -> dict:
    return simulator.add_audit_event({"occurredAt": iso(at.astimezone(UTC)), "eventSource": "request_audit", **fields})


def _idle_vps(simulator, client: HostupClient) -> str:
    for vps_id in simulator.vps_ids():
        state = client.get_routed_ipv6(vps_id)
        if state.available and state.allocation is None:
            return vps_id
    raise AssertionError("the seed has no idle VPS")


def test_a_write_is_found_by_the_request_id_it_returned(simulator, hostup_client):
    vps_id = _idle_vps(simulator, hostup_client)
    reply = hostup_client.allocate_routed_ipv6(vps_id)

    (event,) = hostup_client.list_audit_events(_ago(minutes=5)).events  # hide_get: only the write is left

    assert event.request_id == reply.request_id
    assert (event.method, event.path, event.endpoint) == (
        "POST",
        f"/api/v2/vps/{vps_id}/routed-ipv6",
        "/api/v2/vps/{id}/routed-ipv6",
    )
    assert (event.status_code, event.success, event.severity, event.category) == (201, True, "info", "api")
    assert event.action == "routed_ipv6.allocate"
    assert event.changes == (
        AuditChange("prefix", None, reply.value.allocation.prefix),
        AuditChange("nextHop", None, reply.value.allocation.next_hop),
    )
    assert (event.actor_type, event.auth_method) == ("api", "api_key")
    assert event.actor_id.startswith("key_")
    assert event.user_agent.startswith("hostup-dash/")
    assert event.ip_address == "127.0.0.1"
    assert event.event_source == "request_audit"
    assert event.occurred_at.tzinfo is not None
    assert event.duration_ms is not None and event.error_message is None
    assert event.summary and event.resource_label == hostup_client.get_vps(vps_id).name
    assert event.raw["requestId"] == reply.request_id and event.raw["tags"] == ["routed_ipv6.allocate"]
    assert is_routed_ipv6(event) and vps_id_of(event) == vps_id


def test_a_timed_out_write_shows_up_with_its_real_status(simulator, hostup_client):
    vps_id = _idle_vps(simulator, hostup_client)
    simulator.config.latency_ms = 800
    slow = HostupClient(base_url=simulator.url, token=FULL_TOKEN, timeout=0.2)
    with pytest.raises(HostupError) as caught:
        slow.allocate_routed_ipv6(vps_id)
    slow.close()
    assert caught.value.code == codes.TIMEOUT and caught.value.request_id is None
    simulator.config.latency_ms = 0

    deadline = time.monotonic() + 5
    while not (events := hostup_client.list_audit_events(_ago(minutes=5)).events):
        assert time.monotonic() < deadline, "the timed-out write left no event"
        time.sleep(0.1)

    (event,) = events
    assert (event.method, vps_id_of(event), event.action) == ("POST", vps_id, "routed_ipv6.allocate")
    assert (event.status_code, event.success) == (201, True)
    assert event.request_id and event.request_id.startswith("req_")


def test_every_field_may_be_null_absent_or_unknown(simulator, hostup_client):
    moment = _ago(minutes=3)
    _seed(simulator, moment, id="evt_bare")  # only the two fields the client needs
    _seed(
        simulator,
        moment - timedelta(seconds=1),
        id="evt_nulls",
        method=None,
        endpoint=None,
        path=None,
        statusCode=None,
        durationMs=None,
        success=None,
        severity=None,
        category=None,
        action=None,
        summary=None,
        resourceLabel=None,
        changes=None,
        actorType=None,
        actorId=None,
        authMethod=None,
        requestId=None,
        ipAddress=None,
        userAgent=None,
        errorMessage=None,
    )
    _seed(
        simulator,
        moment - timedelta(seconds=2),
        id="evt_unknowns",
        method="post",
        eventSource="something_new",
        actorType="smartcopy",
        authMethod="hardware_token",
        category="vps",
        changes={"nextHop": {"before": "2001:db8::1", "after": "2001:db8::2"}, "label": "web"},
        newField={"kept": True},
    )
    _seed(simulator, moment - timedelta(seconds=3), id="evt_odd_changes", changes=["junk", {"before": 1}])

    page = hostup_client.list_audit_events(_ago(minutes=10), hide_get=False)
    bare, nulls, unknowns, odd = page.events

    assert bare.id == "evt_bare" and bare.event_source == "request_audit"
    assert bare.changes == () and bare.method is None and bare.status_code is None
    for name in ("method", "endpoint", "path", "status_code", "duration_ms", "success", "severity", "category"):
        assert getattr(nulls, name) is None
    for name in ("action", "summary", "resource_label", "actor_type", "actor_id", "auth_method", "request_id"):
        assert getattr(nulls, name) is None
    assert (nulls.ip_address, nulls.user_agent, nulls.error_message, nulls.changes) == (None, None, None, ())
    assert not is_routed_ipv6(nulls) and vps_id_of(nulls) is None
    assert (unknowns.method, unknowns.event_source, unknowns.actor_type) == ("POST", "something_new", "smartcopy")
    assert (unknowns.auth_method, unknowns.category) == ("hardware_token", "vps")
    assert unknowns.changes == (AuditChange("nextHop", "2001:db8::1", "2001:db8::2"), AuditChange("label", None, "web"))
    assert unknowns.raw["newField"] == {"kept": True}
    assert odd.changes == ()  # unreadable entries are skipped; `raw` still holds them
    assert odd.raw["changes"] == ["junk", {"before": 1}]


def test_an_event_without_its_time_is_a_malformed_answer(simulator, hostup_client):
    simulator.add_audit_event({"occurredAt": iso(_ago(minutes=1)), "id": 42})

    with pytest.raises(HostupError) as caught:
        hostup_client.list_audit_events(_ago(minutes=5))

    assert caught.value.code == codes.MALFORMED_RESPONSE


def test_page_envelope_without_has_more_trusts_the_cursor():
    event = {"id": "evt_x", "occurredAt": "2026-12-01T09:30:00.000Z"}
    assert AuditEventPage.from_json({"data": [event], "nextCursor": "abc"}).has_more is True
    last = AuditEventPage.from_json({"data": [event], "nextCursor": None})
    assert (last.has_more, last.next_cursor, len(last.events)) == (False, None, 1)


def test_iter_walks_every_page_with_the_same_parameters(simulator, hostup_client):
    start = _ago(hours=2)
    end = _ago(seconds=1)
    seeded = [_seed(simulator, start + timedelta(seconds=n), method="POST")["id"] for n in range(230)]
    simulator.reset_calls()

    ids = [event.id for event in hostup_client.iter_audit_events(start, end)]

    assert sorted(ids) == sorted(seeded) and len(ids) == 230
    assert ids == sorted(ids, reverse=True)  # newest first: the ids carry their time
    calls = simulator.calls_to("GET", AUDIT_LOG)
    assert len(calls) == 3
    for call in calls:
        assert call.query["startAt"] == [iso(start)] and call.query["endAt"] == [iso(end)]
        assert call.query["hideGet"] == ["true"] and call.query["limit"] == ["100"]
    assert "cursor" not in calls[0].query and all("cursor" in call.query for call in calls[1:])


def test_iter_without_an_end_gives_each_event_once_as_new_ones_arrive(simulator, hostup_client):
    start = _ago(hours=1)
    seeded = {_seed(simulator, start + timedelta(seconds=n), method="POST")["id"] for n in range(150)}
    seen = []
    for event in hostup_client.iter_audit_events(start, hide_get=False):
        if not seen:  # newer events push older ones down while the first page is being read
            for _ in range(7):
                hostup_client.get_vps(simulator.vps_ids()[0])
        seen.append(event.id)

    assert len(seen) == len(set(seen))
    assert seeded <= set(seen)


def test_hide_get_is_the_default(simulator, hostup_client):
    hostup_client.get_vps(simulator.vps_ids()[0])
    vps_id = _idle_vps(simulator, hostup_client)
    hostup_client.allocate_routed_ipv6(vps_id)

    hidden = hostup_client.list_audit_events(_ago(minutes=5))
    shown = hostup_client.list_audit_events(_ago(minutes=5), hide_get=False)

    assert [event.method for event in hidden.events] == ["POST"]
    assert {event.method for event in shown.events} == {"GET", "POST"}
    assert len(shown.events) > 2


def test_window_bounds_are_inclusive_and_sent_as_utc_milliseconds(simulator, hostup_client):
    start = _ago(hours=2).astimezone(timezone(timedelta(hours=1)))  # microseconds and an offset
    end = start + timedelta(minutes=30)
    start_ms = start.replace(microsecond=start.microsecond // 1000 * 1000)
    end_ms = end.replace(microsecond=end.microsecond // 1000 * 1000)
    inside = {_seed(simulator, start_ms)["id"], _seed(simulator, end_ms)["id"]}
    _seed(simulator, start_ms - timedelta(milliseconds=1))
    _seed(simulator, end_ms + timedelta(milliseconds=1))
    simulator.reset_calls()

    page = hostup_client.list_audit_events(start, end, hide_get=False)

    assert {event.id for event in page.events} == inside
    (call,) = simulator.calls_to("GET", AUDIT_LOG)
    assert call.query["startAt"] == [iso(start_ms.astimezone(UTC))]
    assert call.query["startAt"][0].endswith("Z")


def test_start_is_required_to_be_aware(hostup_client):
    with pytest.raises(ValueError, match="timezone-aware"):
        hostup_client.list_audit_events(datetime(2026, 12, 1, 12, 0))
    with pytest.raises(ValueError, match="limit"):
        hostup_client.list_audit_events(_ago(hours=1), limit=101)


def test_an_invalid_cursor_is_a_400_problem(hostup_client):
    with pytest.raises(HostupError) as caught:
        hostup_client.list_audit_events(_ago(hours=1), cursor="bm9wZQ")

    assert (caught.value.status, caught.value.code) == (400, "invalid_cursor")


def test_a_key_without_audit_read_is_refused_with_the_scope_named(simulator):
    for token in (READ_TOKEN, simulator.config.no_audit_token):
        client = HostupClient(base_url=simulator.url, token=token, timeout=2.0)
        with pytest.raises(HostupError) as caught:
            client.list_audit_events(_ago(hours=1))
        client.close()
        assert caught.value.is_scope_missing
        assert caught.value.required_scopes == ("audit:read",)
        assert caught.value.code == "forbidden"


@pytest.mark.parametrize(
    ("actor", "actor_type", "actor_id", "auth_method"),
    [
        ("customer", "customer", "30000", "session"),
        ("staff", "staff", "1042", "staff_session"),
        ("system", "system", None, None),
        ("api_key_other", "api", "other key", "api_key"),
    ],
)
def test_outside_changes_carry_their_actor(simulator, hostup_client, actor, actor_type, actor_id, auth_method):
    vps_id = _idle_vps(simulator, hostup_client)
    hostup_client.allocate_routed_ipv6(vps_id)
    ours = hostup_client.list_audit_events(_ago(minutes=5)).events[0]

    simulator.outside_change(vps_id, "release", actor)

    event = hostup_client.list_audit_events(_ago(minutes=5)).events[0]
    assert (event.action, event.method, vps_id_of(event)) == ("routed_ipv6.release", "DELETE", vps_id)
    assert is_routed_ipv6(event) and event.success is True
    assert event.changes == (AuditChange("status", "active", "cooldown"),)
    assert (event.actor_type, event.auth_method) == (actor_type, auth_method)
    if actor_id == "other key":
        assert event.actor_id.startswith("key_") and event.actor_id != ours.actor_id
    else:
        assert event.actor_id == actor_id
    assert (event.request_id is None) is (actor == "system")
    assert event.request_id != ours.request_id
    assert hostup_client.get_routed_ipv6(vps_id).allocation.status == "cooldown"
