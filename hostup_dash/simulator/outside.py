"""Changes made "outside the dashboard", for tests and demos: the customer in HostUp's panel, HostUp staff,
a HostUp system job or a script with another API key changes a VPS's routed IPv6.

Each goes through the same operation as the API route, so the state changes as it would, and
leaves the event HostUp would write, with that actor (NOTES.md's actor table). Reached over
HTTP as `POST /_sim/outside-change` (outside /api/v2, no key needed) or `Simulator.outside_change`.
"""

import json
import time
from datetime import UTC, datetime

from hostup_dash.simulator.config import SimulatorConfig
from hostup_dash.simulator.describe import ACCOUNT_NUMBER, Outcome, target_of
from hostup_dash.simulator.formats import now
from hostup_dash.simulator.http import JSON, Reply
from hostup_dash.simulator.problems import ApiProblem
from hostup_dash.simulator.recording import OTHER_KEY_NAME, Actor, key_id, request_event
from hostup_dash.simulator.routes import dispatch
from hostup_dash.simulator.state import SimState

CONTROL_PREFIX = "/_sim/"
OUTSIDE_CHANGE_PATH = "/_sim/outside-change"
# change -> the v2 request it is (method, body).
CHANGES = {
    "release": ("DELETE", b""),
    "refresh_next_hop": ("POST", b'{"action": "refresh_next_hop"}'),
    "allocate": ("POST", b'{"action": "allocate"}'),
}
ACTORS = ("customer", "staff", "system", "api_key_other")
STAFF_ID = "1042"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


class ControlError(ValueError):
    """A control request the simulator cannot act on; answered as {"error": ...} with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def actor_of(config: SimulatorConfig, kind: str) -> Actor:
    if kind == "customer":
        return Actor("customer", ACCOUNT_NUMBER, "session", "198.51.100.23", BROWSER)
    if kind == "staff":
        return Actor("staff", STAFF_ID, "staff_session", None, None)
    if kind == "system":
        return Actor("system", None, None, None, None)
    if kind == "api_key_other":
        return Actor("api", key_id(config, OTHER_KEY_NAME), "api_key", "203.0.113.77", "python-requests/2.32.3")
    raise ControlError(400, f"actor must be one of {', '.join(ACTORS)}.")


def outside_change(
    state: SimState, config: SimulatorConfig, *, vps_id: str, change: str, actor: str, occurred_at: datetime | None
) -> dict[str, object]:
    """Make the change as that actor and log its event (backdated to `occurred_at` if given); the event.

    A change HostUp refuses (e.g. allocate in cooldown) changes nothing and logs a failed event.
    """
    if change not in CHANGES:
        raise ControlError(400, f"change must be one of {', '.join(CHANGES)}.")
    who = actor_of(config, actor)
    try:
        state.vps_json(vps_id)
    except ApiProblem:
        raise ControlError(404, "No VPS with that id.") from None
    method, body = CHANGES[change]
    path = f"/api/v2/vps/{vps_id}/routed-ipv6"
    arrived_at, started = now(), time.monotonic()
    target = target_of(state, config, method=method, path=path, body=body)
    try:
        status, payload = dispatch(
            state, config, method=method, path=path, query={}, token=config.full_token, body=body
        )
        outcome = Outcome(status, payload=payload)
    except ApiProblem as problem:
        outcome = Outcome(problem.status, error=problem.detail)
    # The simulator writes UTC milliseconds; a caller may pass any aware time.
    occurred = arrived_at if occurred_at is None else occurred_at.astimezone(UTC)
    occurred = occurred.replace(microsecond=occurred.microsecond // 1000 * 1000)
    event = request_event(
        event_id=state.events.new_event_id(occurred),
        occurred_at=occurred,
        duration_ms=round((time.monotonic() - started) * 1000),
        target=target,
        outcome=outcome,
        actor=who,
        # A system job is no API request; the panel, staff tools and scripts make requests of their own.
        request_id=None if actor == "system" else state.new_request_id(),
    )
    return state.events.add(event)


def answer_control(state: SimState, config: SimulatorConfig, *, method: str, path: str, body: bytes) -> Reply:
    """The control endpoints under /_sim/: only POST /_sim/outside-change."""
    try:
        if path != OUTSIDE_CHANGE_PATH:
            raise ControlError(404, f"The only control endpoint is POST {OUTSIDE_CHANGE_PATH}.")
        if method != "POST":
            raise ControlError(405, "Use POST.")
        request = _control_body(body)
        event = outside_change(
            state,
            config,
            vps_id=str(request.get("vpsId")),
            change=str(request.get("change")),
            actor=str(request.get("actor")),
            occurred_at=_occurred_at(request.get("occurredAt")),
        )
        return Reply(200, json.dumps({"event": event}).encode(), JSON)
    except ControlError as error:
        return Reply(error.status, json.dumps({"error": str(error)}).encode(), JSON)


def _control_body(body: bytes) -> dict[str, object]:
    try:
        request = json.loads(body or b"null")
    except ValueError:
        request = None
    if not isinstance(request, dict):
        raise ControlError(400, "The body must be a JSON object: {vpsId, change, actor, occurredAt?}.")
    return request


def _occurred_at(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ControlError(400, "occurredAt must be an ISO 8601 timestamp with a time zone.")
    return moment


def demo_vps(state: SimState) -> str | None:
    """The first VPS with an active allocation, for the demo's outside release."""
    for vps_id in state.vps_ids():
        allocation = state.routed_state(vps_id)["allocation"]
        if isinstance(allocation, dict) and allocation.get("status") == "active":
            return vps_id
    return None
