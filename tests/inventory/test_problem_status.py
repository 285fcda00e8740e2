"""The dashboard's own status for each way an action can fail, for htmx and for a plain form POST.

A 5xx from the dashboard means a bug in the dashboard: HostUp's failures come back as a gateway's
502 or 504, HostUp's refusals and our own as the 4xx that fits, and the page says what happened.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from hostup_dash.core.problems import problem_status
from hostup_dash.hostup import HostupError
from hostup_dash.hostup import errors as codes
from tests.conftest import READ_TOKEN
from tests.factories import pick_vps, synced

TRANSPORTS = {"htmx": {"HTTP_HX_REQUEST": "true"}, "plain": {}}
UNKNOWN_VPS = "vps_" + "0" * 26
WRONG_TOKEN = "not-a-key-hostup-knows"
NOTHING_LISTENS = "http://127.0.0.1:9"  # the discard port: the connection is refused


def _fail(kind: str, **knobs) -> Callable:
    def inject(hostup, settings, vps_id: str) -> None:
        hostup.fail_next(kind, path_prefix=f"/api/v2/vps/{vps_id}", **knobs)

    return inject


def _setting(name: str, value) -> Callable:
    def change(hostup, settings, vps_id: str) -> None:
        setattr(settings, name, value)

    return change


def _slow(hostup, settings, vps_id: str) -> None:
    settings.HOSTUP_TIMEOUT = 0.3
    hostup.config.latency_ms = 1000


def _as_is(hostup, settings, vps_id: str) -> None:
    """No injected failure: the request itself is refused."""


@dataclass(frozen=True)
class Case:
    status: int  # the dashboard's answer
    words: str  # what the page says
    inject: Callable = _as_is
    action: str = "ipv6-allocate"
    vps_id: str = ""  # empty: a synced VPS without an allocation
    rack_id: str = ""
    headers: tuple[tuple[str, str], ...] = ()  # that the answer must carry


CASES = {
    "hostup 500": Case(502, "An unexpected error occurred.", _fail("internal")),
    "hostup 503": Case(502, "The service is temporarily unavailable.", _fail("unavailable")),
    "hostup 502": Case(502, "The upstream service did not answer.", _fail("bad_gateway")),
    "2xx not json": Case(502, "HostUp sent an answer we could not read", _fail("malformed")),
    "2xx wrong shape": Case(502, "HostUp sent an answer we could not read", _fail("wrong_shape")),
    "timeout": Case(504, "HostUp did not answer in time", _slow),
    "connection refused": Case(502, "HostUp could not be reached", _setting("HOSTUP_API_URL", NOTHING_LISTENS)),
    "key rejected": Case(
        502, "HostUp does not accept the dashboard's API key.", _setting("HOSTUP_API_TOKEN", WRONG_TOKEN)
    ),
    "scope missing": Case(
        502,
        "The dashboard's API key lacks the write:network scope at HostUp.",
        _setting("HOSTUP_API_TOKEN", READ_TOKEN),
    ),
    "hostup 429": Case(
        429,
        "HostUp is rate-limiting us, try again in 7 s.",
        _fail("rate_limit", retry_after=7),
        headers=(("Retry-After", "7"),),
    ),
    "hostup 404": Case(404, "No VPS matching the given ID was found.", vps_id=UNKNOWN_VPS),
    "hostup 409": Case(409, "Routed IPv6 not allocated", action="ipv6-refresh-next-hop"),
    "refused input": Case(
        400,
        '<p class="field-error" id="rack-id-error">Rack id must be at most 50 characters.</p>',
        rack_id="r" * 51,
    ),
    "refused unconfirmed": Case(400, "Give a reason for this change.", action="ipv6-release"),
}


@pytest.fixture
def free_vps(hostup) -> str:
    vps_id = pick_vps(hostup, allocated=False)
    synced(hostup)
    return vps_id


def _attempt(client, hostup, settings, free_vps: str, case: Case, transport: str):
    vps_id = case.vps_id or free_vps
    case.inject(hostup, settings, vps_id)
    data = {"rack_id": case.rack_id} if case.rack_id else {}
    return client.post(reverse(f"inventory:{case.action}", args=[vps_id]), data, **TRANSPORTS[transport])


@pytest.mark.django_db
@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_failed_action_answers_the_mapped_status_and_says_why(
    hostup, settings, admin_client_role, free_vps, case, transport
):
    response = _attempt(admin_client_role, hostup, settings, free_vps, case, transport)

    assert response.status_code == case.status
    assert case.words in response.content.decode()
    assert [(name, response.get(name)) for name, _ in case.headers] == list(case.headers)


@pytest.mark.django_db
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_failed_action_answers_htmx_with_the_panel_and_a_plain_post_with_the_page(
    hostup, settings, admin_client_role, free_vps, transport
):
    response = _attempt(admin_client_role, hostup, settings, free_vps, CASES["hostup 500"], transport)

    assert response.content.decode().lstrip().startswith("<!doctype html>") == (transport == "plain")


@pytest.mark.django_db
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_rejected_key_is_never_shown(hostup, settings, admin_client_role, free_vps, transport):
    response = _attempt(admin_client_role, hostup, settings, free_vps, CASES["key rejected"], transport)

    assert WRONG_TOKEN not in response.content.decode()


def _problem(code: str, status: int | None = None) -> HostupError:
    return HostupError(code=code, title="t", status=status)


# Failures the simulator has no knob for; the same function answers them.
@pytest.mark.parametrize(
    ("problem", "status"),
    [
        (_problem(codes.CONNECTION_DROPPED), 502),
        (_problem(codes.CONNECT_TIMEOUT), 504),
        (_problem("invalid_request", 400), 400),
        (_problem("unprocessable", 422), 400),
        (_problem("method_not_allowed", 405), 502),
        (_problem("gateway_timeout", 504), 502),
    ],
)
def test_failures_without_a_simulator_knob_map_too(problem, status):
    assert problem_status(problem) == status
