"""Every kind of answer the simulator gives, checked against hostup-api/openapi.yaml.

openapi-core checks that the operation declares the status, the Content-Type and the
headers, and validates the body against the declared schema. The spec leaves every
Problem member optional, so the eight members NOTES.md promises are checked here too.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIResponse
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.responses.exceptions import ResponseFinderError
from openapi_core.validation.response.exceptions import DataValidationError
from openapi_schema_validator import OAS31Validator
from werkzeug.datastructures import Headers, ImmutableMultiDict

from hostup_dash.simulator.formats import iso, now
from hostup_dash.simulator.server import Simulator, SimulatorConfig
from tests.simulator.helpers import (
    FULL,
    PROBLEM_KEYS,
    READ,
    call,
    find_vps,
    is_active,
    is_idle,
    is_in_cooldown,
    is_stale,
    lacks_net0_ipv6,
    routed,
)

SPEC_PATH = Path(__file__).resolve().parents[2].parent / "shared" / "hostup-api" / "openapi.yaml"
# Requests are replayed to openapi-core as if sent to the spec's own server.
SPEC_SERVER = "https://cloud.hostup.se"
UNKNOWN_VPS = "vps_" + "0" * 26
ACCOUNT = "/api/v2/routed-ipv6"
AUDIT_LOG = "/api/v2/audit-log"
# A DNS change as HostUp merges it in from its DNS history (the simulator writes these only when seeded).
DNS_EVENT = {
    "method": "PUT",
    "endpoint": "/api/v2/domains/{id}/dns",
    "path": "/api/v2/domains/dom_1/dns",
    "success": True,
    "statusCode": None,
    "durationMs": None,
    "resourcesAccessed": ["domain:dom_1"],
    "severity": "info",
    "tags": ["dns.record_update"],
    "actorType": "customer",
    "actorId": "30000",
    "category": "dns",
    "action": "dns.record_update",
    "summary": "Changed the A record of www.example.com.",
}


def _json_loads(value: bytes, **parameters: str) -> object:
    return json.loads(value)


@pytest.fixture(scope="module")
def openapi() -> OpenAPI:
    # openapi-core parses only plain application/json as JSON; problems come as application/problem+json.
    config = Config(extra_media_type_deserializers={"application/problem+json": _json_loads})
    return OpenAPI.from_file_path(str(SPEC_PATH), config=config)


@pytest.fixture(scope="module")
def problem_validator() -> OAS31Validator:
    spec = yaml.safe_load(SPEC_PATH.read_text())
    return OAS31Validator(spec["components"]["schemas"]["Problem"])


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    sim = Simulator(SimulatorConfig(vps_count=25, seed=3)).start()
    yield sim
    sim.stop()


@dataclass
class SpecRequest:
    """openapi-core's Request protocol, describing what `requests` actually sent."""

    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    content_type: str
    body: bytes | None

    @classmethod
    def from_sent(cls, sent: requests.PreparedRequest) -> "SpecRequest":
        url = urlsplit(sent.url or "")
        body = sent.body.encode() if isinstance(sent.body, str) else sent.body
        assert body is None or isinstance(body, bytes)  # these tests never stream a body
        return cls(
            host_url=SPEC_SERVER,
            path=url.path,
            method=(sent.method or "").lower(),
            parameters=RequestParameters(
                query=ImmutableMultiDict(parse_qsl(url.query, keep_blank_values=True)),
                header=Headers(dict(sent.headers)),
            ),
            content_type=str(sent.headers.get("Content-Type", "")),
            body=body,
        )


def validate(openapi: OpenAPI, response: requests.Response) -> None:
    openapi.validate_response(SpecRequest.from_sent(response.request), RequestsOpenAPIResponse(response))


# --- scenarios: each returns one answer of a distinct kind -------------------------------


def list_first_page(sim: Simulator) -> requests.Response:
    return call(sim, "GET", "/api/v2/vps", params={"limit": 7})


def list_last_page(sim: Simulator) -> requests.Response:
    cursor = list_first_page(sim).json()["nextCursor"]
    return call(sim, "GET", "/api/v2/vps", params={"limit": 100, "cursor": cursor})


def list_filtered_to_nothing(sim: Simulator) -> requests.Response:
    return call(sim, "GET", "/api/v2/vps", params={"primaryIp": "192.0.2.254", "name": "nobody"})


def list_with_maintenance(sim: Simulator) -> requests.Response:
    return call(sim, "GET", "/api/v2/vps", params={"include": "pendingMaintenance"})


def list_bad_cursor(sim: Simulator) -> requests.Response:
    return call(sim, "GET", "/api/v2/vps", params={"cursor": "bm9wZQ"})


def list_bad_limit(sim: Simulator) -> requests.Response:
    return call(sim, "GET", "/api/v2/vps", params={"limit": 101})


def list_without_token(sim: Simulator) -> requests.Response:
    return call(sim, "GET", "/api/v2/vps", headers={})


def list_over_rate_limit(sim: Simulator) -> requests.Response:
    sim.config.rate_limit = 1
    call(sim, "GET", "/api/v2/vps")
    return call(sim, "GET", "/api/v2/vps")


def list_injected_rate_limit(sim: Simulator) -> requests.Response:
    sim.fail_next("rate_limit", retry_after=5)
    return call(sim, "GET", "/api/v2/vps")


def list_injected_internal_error(sim: Simulator) -> requests.Response:
    sim.fail_next("internal")
    return call(sim, "GET", "/api/v2/vps")


def get_vps(sim: Simulator) -> requests.Response:
    return call(sim, "GET", f"/api/v2/vps/{sim.vps_ids()[0]}")


def get_unknown_vps(sim: Simulator) -> requests.Response:
    return call(sim, "GET", f"/api/v2/vps/{UNKNOWN_VPS}")


def get_malformed_vps_id(sim: Simulator) -> requests.Response:
    return call(sim, "GET", "/api/v2/vps/192.0.2.1")


def get_vps_bad_token(sim: Simulator) -> requests.Response:
    return call(sim, "GET", f"/api/v2/vps/{sim.vps_ids()[0]}", headers={"Authorization": "Bearer wrong"})


def state_of(predicate: Callable[[dict], bool]) -> Callable[[Simulator], requests.Response]:
    def scenario(sim: Simulator) -> requests.Response:
        return call(sim, "GET", routed(find_vps(sim, predicate)))

    return scenario


def state_of_unknown_vps(sim: Simulator) -> requests.Response:
    return call(sim, "GET", routed(UNKNOWN_VPS))


def allocate_new(sim: Simulator) -> requests.Response:
    return call(sim, "POST", routed(find_vps(sim, is_idle)))


def allocate_existing(sim: Simulator) -> requests.Response:
    return call(sim, "POST", routed(find_vps(sim, is_active)), json={"action": "allocate"})


def refresh_next_hop(sim: Simulator) -> requests.Response:
    return call(sim, "POST", routed(find_vps(sim, is_stale)), json={"action": "refresh_next_hop"})


def allocate_rack_id_too_long(sim: Simulator) -> requests.Response:
    return call(sim, "POST", routed(sim.vps_ids()[0]), json={"rackId": "r" * 51})


def allocate_body_not_json(sim: Simulator) -> requests.Response:
    return call(
        sim, "POST", routed(sim.vps_ids()[0]), data="{oops", headers={**FULL, "Content-Type": "application/json"}
    )


def allocate_with_read_token(sim: Simulator) -> requests.Response:
    return call(sim, "POST", routed(sim.vps_ids()[0]), headers=READ)


def allocate_unknown_vps(sim: Simulator) -> requests.Response:
    return call(sim, "POST", routed(UNKNOWN_VPS))


def allocate_without_net0_ipv6(sim: Simulator) -> requests.Response:
    return call(sim, "POST", routed(find_vps(sim, lacks_net0_ipv6)))


def allocate_in_cooldown(sim: Simulator) -> requests.Response:
    return call(sim, "POST", routed(find_vps(sim, is_in_cooldown)))


def refresh_without_allocation(sim: Simulator) -> requests.Response:
    return call(sim, "POST", routed(find_vps(sim, is_idle)), json={"action": "refresh_next_hop"})


def allocate_injected_rate_limit(sim: Simulator) -> requests.Response:
    sim.fail_next("rate_limit", path_prefix="/api/v2/vps/")
    return call(sim, "POST", routed(sim.vps_ids()[0]))


def release(sim: Simulator) -> requests.Response:
    return call(sim, "DELETE", routed(find_vps(sim, is_active)))


def release_nothing(sim: Simulator) -> requests.Response:
    return call(sim, "DELETE", routed(find_vps(sim, is_idle)))


def release_with_read_token(sim: Simulator) -> requests.Response:
    return call(sim, "DELETE", routed(sim.vps_ids()[0]), headers=READ)


def release_unknown_vps(sim: Simulator) -> requests.Response:
    return call(sim, "DELETE", routed(UNKNOWN_VPS))


def account_state(sim: Simulator) -> requests.Response:
    return call(sim, "GET", "/api/v2/routed-ipv6")


def account_state_mirrored(sim: Simulator) -> requests.Response:
    sim.config.mirror_allocations = True
    return call(sim, "GET", "/api/v2/routed-ipv6")


def account_state_without_token(sim: Simulator) -> requests.Response:
    return call(sim, "GET", "/api/v2/routed-ipv6", headers={})


def account_state_injected_internal_error(sim: Simulator) -> requests.Response:
    sim.fail_next("internal")
    return call(sim, "GET", "/api/v2/routed-ipv6")


def release_unknown_pool(sim: Simulator) -> requests.Response:
    return call(sim, "DELETE", "/api/v2/routed-ipv6/ripv6_" + "0" * 26)


def delete_unknown_route(sim: Simulator) -> requests.Response:
    return call(sim, "DELETE", "/api/v2/routed-ipv6/routes/ripv6rt_" + "0" * 26)


def _account(sim: Simulator) -> dict:
    return call(sim, "GET", ACCOUNT).json()


def _route_body(sim: Simulator, *, eligible: bool = True, **fields: object) -> dict:
    state = _account(sim)
    vps_id = next(d["vpsId"] for d in state["destinations"] if d["actions"]["canReceiveRoute"]["allowed"] is eligible)
    return {"action": "create_route", "poolId": state["pools"][0]["id"], "vpsId": vps_id, "prefixLength": 64} | fields


def _empty_pool(sim: Simulator) -> str:
    """Delete every route of the seeded pool; its id."""
    pool = _account(sim)["pools"][0]
    for route in pool["routes"]:
        call(sim, "DELETE", f"{ACCOUNT}/routes/{route['id']}")
    return pool["id"]


def create_route_first_free(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json=_route_body(sim, label="web subnet"))


def create_route_explicit_prefix(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json=_route_body(sim, prefixLength=56, prefix="2001:db8:1000:ff00::/56"))


def create_route_prefix_in_use(sim: Simulator) -> requests.Response:
    taken = _account(sim)["pools"][0]["routes"][0]["prefix"]
    return call(sim, "POST", ACCOUNT, json=_route_body(sim, prefix=taken))


def create_route_misaligned(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json=_route_body(sim, prefixLength=56, prefix="2001:db8:1000:101::/56"))


def create_route_outside_pool(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json=_route_body(sim, prefix="2001:db8:9999::/64"))


def create_route_label_too_long(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json=_route_body(sim, label="x" * 65))


def create_route_with_next_hop(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json=_route_body(sim, nextHop="2001:db8::1"))


def create_route_unknown_pool(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json=_route_body(sim, poolId="ripv6_" + "0" * 26))


def create_route_unknown_vps(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json=_route_body(sim, vpsId="vps_" + "0" * 26))


def create_route_length_mismatch(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json=_route_body(sim, prefixLength=64, prefix="2001:db8:1000:ff00::/56"))


def create_route_without_pool(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json={"action": "create_route", "prefixLength": 64})


def create_route_ineligible_vps(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json=_route_body(sim, eligible=False))


def create_route_pool_exhausted(sim: Simulator) -> requests.Response:
    _empty_pool(sim)
    call(sim, "POST", ACCOUNT, json=_route_body(sim, prefixLength=48))
    return call(sim, "POST", ACCOUNT, json=_route_body(sim))


def create_route_with_read_token(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json=_route_body(sim), headers=READ)


def allocate_pool_while_one_exists(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json={"action": "allocate_pool"})


def allocate_pool_in_cooldown(sim: Simulator) -> requests.Response:
    call(sim, "DELETE", f"{ACCOUNT}/{_empty_pool(sim)}")
    return call(sim, "POST", ACCOUNT, json={"action": "allocate_pool"})


def allocate_pool_after_cooldown(sim: Simulator) -> requests.Response:
    call(sim, "DELETE", f"{ACCOUNT}/{_empty_pool(sim)}")
    sim.expire_cooldowns()
    return call(sim, "POST", ACCOUNT, json={"action": "allocate_pool"})


def account_action_unknown(sim: Simulator) -> requests.Response:
    return call(sim, "POST", ACCOUNT, json={"action": "grow_pool"})


def account_state_in_pool_cooldown(sim: Simulator) -> requests.Response:
    call(sim, "DELETE", f"{ACCOUNT}/{_empty_pool(sim)}")
    return call(sim, "GET", ACCOUNT)


def delete_route(sim: Simulator) -> requests.Response:
    route_id = _account(sim)["pools"][0]["routes"][0]["id"]
    return call(sim, "DELETE", f"{ACCOUNT}/routes/{route_id}")


def delete_mirrored_route(sim: Simulator) -> requests.Response:
    sim.config.mirror_allocations = True
    route_id = _account(sim)["pools"][1]["routes"][0]["id"]
    return call(sim, "DELETE", f"{ACCOUNT}/routes/{route_id}")


def delete_route_with_read_token(sim: Simulator) -> requests.Response:
    route_id = _account(sim)["pools"][0]["routes"][0]["id"]
    return call(sim, "DELETE", f"{ACCOUNT}/routes/{route_id}", headers=READ)


def release_pool(sim: Simulator) -> requests.Response:
    return call(sim, "DELETE", f"{ACCOUNT}/{_empty_pool(sim)}")


def release_pool_with_routes(sim: Simulator) -> requests.Response:
    return call(sim, "DELETE", f"{ACCOUNT}/{_account(sim)['pools'][0]['id']}")


def release_pool_with_read_token(sim: Simulator) -> requests.Response:
    return call(sim, "DELETE", f"{ACCOUNT}/{_empty_pool(sim)}", headers=READ)


def audit_log_after_calls(sim: Simulator) -> requests.Response:
    call(sim, "GET", "/api/v2/vps/" + UNKNOWN_VPS)  # a failure's event
    allocate_new(sim)
    call(sim, "GET", AUDIT_LOG, headers=READ)  # a 403 on the audit log itself
    sim.add_audit_event({"occurredAt": iso(now() - timedelta(hours=1)), "eventSource": "dns_history"} | DNS_EVENT)
    return call(sim, "GET", AUDIT_LOG, params={"hideGet": "false", "startAt": iso(now() - timedelta(hours=2))})


def audit_log_outside_changes(sim: Simulator) -> requests.Response:
    vps_id = find_vps(sim, is_active)
    for actor in ("customer", "staff", "system", "api_key_other"):
        sim.outside_change(vps_id, "refresh_next_hop", actor)
    return call(sim, "GET", AUDIT_LOG)


def audit_log_paged_with_stats(sim: Simulator) -> requests.Response:
    for _ in range(3):
        call(sim, "GET", "/api/v2/vps")
    first = call(sim, "GET", AUDIT_LOG, params={"limit": 2, "hideGet": "false"}).json()
    params = {"limit": 2, "hideGet": "false", "includeStats": "true", "cursor": first["nextCursor"]}
    return call(sim, "GET", AUDIT_LOG, params=params)


def audit_log_empty(sim: Simulator) -> requests.Response:
    return call(sim, "GET", AUDIT_LOG, params={"includeDnsEvents": "false"})


def audit_log_bad_start(sim: Simulator) -> requests.Response:
    return call(sim, "GET", AUDIT_LOG, params={"startAt": "yesterday"})


def audit_log_bad_cursor(sim: Simulator) -> requests.Response:
    return call(sim, "GET", AUDIT_LOG, params={"cursor": "bm9wZQ"})


def audit_log_without_audit_read(sim: Simulator) -> requests.Response:
    return call(sim, "GET", AUDIT_LOG, headers={"Authorization": f"Bearer {sim.config.no_audit_token}"})


def audit_log_without_token(sim: Simulator) -> requests.Response:
    return call(sim, "GET", AUDIT_LOG, headers={})


def audit_log_over_rate_limit(sim: Simulator) -> requests.Response:
    sim.config.rate_limit = 1
    call(sim, "GET", AUDIT_LOG)
    return call(sim, "GET", AUDIT_LOG)


def audit_log_injected_internal_error(sim: Simulator) -> requests.Response:
    sim.fail_next("internal", path_prefix=AUDIT_LOG)
    return call(sim, "GET", AUDIT_LOG)


DECLARED = [
    # (scenario, status, problem code or None for a success)
    (list_first_page, 200, None),
    (list_last_page, 200, None),
    (list_filtered_to_nothing, 200, None),
    (list_with_maintenance, 200, None),
    (list_bad_cursor, 400, "invalid_cursor"),
    (list_bad_limit, 400, "invalid_request"),
    (list_without_token, 401, "unauthorized"),
    (list_over_rate_limit, 429, "rate_limit_exceeded"),
    (list_injected_rate_limit, 429, "rate_limit_exceeded"),
    (list_injected_internal_error, 500, "internal_error"),
    (get_vps, 200, None),
    (get_unknown_vps, 404, "vps_not_found"),
    (get_malformed_vps_id, 404, "vps_not_found"),
    (get_vps_bad_token, 401, "unauthorized"),
    (state_of(is_idle), 200, None),
    (state_of(is_stale), 200, None),
    (state_of(is_in_cooldown), 200, None),
    (state_of(lacks_net0_ipv6), 200, None),
    (state_of_unknown_vps, 404, "vps_not_found"),
    (allocate_new, 201, None),
    (allocate_existing, 200, None),
    (refresh_next_hop, 200, None),
    (allocate_rack_id_too_long, 400, "invalid_request"),
    (allocate_body_not_json, 400, "invalid_request"),
    (allocate_with_read_token, 403, "forbidden"),
    (allocate_unknown_vps, 404, "vps_not_found"),
    (allocate_without_net0_ipv6, 409, "vps_not_ready"),
    (allocate_in_cooldown, 409, "routed_ipv6_cooldown"),
    (refresh_without_allocation, 409, "routed_ipv6_not_allocated"),
    (allocate_injected_rate_limit, 429, "rate_limit_exceeded"),
    (release, 200, None),
    (release_nothing, 200, None),
    (release_with_read_token, 403, "forbidden"),
    (release_unknown_vps, 404, "vps_not_found"),
    (account_state, 200, None),
    (account_state_mirrored, 200, None),
    (account_state_without_token, 401, "unauthorized"),
    (account_state_injected_internal_error, 500, "internal_error"),
    (release_unknown_pool, 404, "not_found"),
    (delete_unknown_route, 404, "not_found"),
    (create_route_first_free, 201, None),
    (create_route_explicit_prefix, 201, None),
    (create_route_prefix_in_use, 409, "routed_ipv6_prefix_in_use"),
    (create_route_misaligned, 400, "invalid_request"),
    (create_route_outside_pool, 400, "invalid_request"),
    (create_route_label_too_long, 400, "invalid_request"),
    (create_route_with_next_hop, 400, "invalid_request"),
    (create_route_unknown_pool, 404, "not_found"),
    (create_route_unknown_vps, 404, "not_found"),
    (create_route_length_mismatch, 400, "invalid_request"),
    (create_route_without_pool, 400, "invalid_request"),
    (create_route_ineligible_vps, 409, "routed_ipv6_destination_not_eligible"),
    (create_route_pool_exhausted, 409, "routed_ipv6_pool_exhausted"),
    (create_route_with_read_token, 403, "forbidden"),
    (allocate_pool_while_one_exists, 409, "routed_ipv6_pool_exists"),
    (allocate_pool_in_cooldown, 409, "routed_ipv6_cooldown"),
    (allocate_pool_after_cooldown, 201, None),
    (account_action_unknown, 400, "invalid_request"),
    (account_state_in_pool_cooldown, 200, None),
    (delete_route, 200, None),
    (delete_mirrored_route, 409, "routed_ipv6_route_not_deletable"),
    (delete_route_with_read_token, 403, "forbidden"),
    (release_pool, 200, None),
    (release_pool_with_routes, 409, "routed_ipv6_pool_not_empty"),
    (release_pool_with_read_token, 403, "forbidden"),
    (audit_log_after_calls, 200, None),
    (audit_log_outside_changes, 200, None),
    (audit_log_paged_with_stats, 200, None),
    (audit_log_empty, 200, None),
    (audit_log_bad_start, 400, "invalid_request"),
    (audit_log_bad_cursor, 400, "invalid_cursor"),
    (audit_log_without_audit_read, 403, "forbidden"),
    (audit_log_without_token, 401, "unauthorized"),
    (audit_log_over_rate_limit, 429, "rate_limit_exceeded"),
    (audit_log_injected_internal_error, 500, "internal_error"),
]


def _scenario_id(case: tuple[Callable[[Simulator], requests.Response], int, str | None]) -> str:
    scenario, status, code = case
    return f"{scenario.__qualname__.split('.')[0]}-{status}-{code or 'ok'}"


@pytest.mark.parametrize("case", DECLARED, ids=[_scenario_id(case) for case in DECLARED])
def test_answer_matches_the_spec(
    openapi: OpenAPI, simulator: Simulator, case: tuple[Callable[[Simulator], requests.Response], int, str | None]
) -> None:
    scenario, status, code = case
    response = scenario(simulator)
    assert response.status_code == status, response.text
    validate(openapi, response)
    if code is not None:
        assert response.json()["code"] == code
        assert response.json().keys() >= PROBLEM_KEYS


def test_state_scenarios_cover_distinct_states(simulator: Simulator) -> None:
    """The four GET scenarios above must not quietly land on the same kind of VPS."""
    chosen = {find_vps(simulator, predicate) for predicate in (is_idle, is_stale, is_in_cooldown, lacks_net0_ipv6)}
    assert len(chosen) == 4


def test_rate_limited_answer_carries_the_documented_headers(openapi: OpenAPI, simulator: Simulator) -> None:
    response = list_over_rate_limit(simulator)
    validate(openapi, response)
    assert {"Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"} <= response.headers.keys()


def _undeclared_answers(sim: Simulator) -> list[requests.Response]:
    sim.fail_next("unavailable")
    unavailable = call(sim, "GET", "/api/v2/vps")
    sim.fail_next("bad_gateway")
    bad_gateway = call(sim, "GET", "/api/v2/vps")
    return [
        unavailable,
        bad_gateway,
        call(sim, "GET", "/api/v2/orders"),
        call(sim, "PATCH", routed(sim.vps_ids()[0])),
        call(sim, "PUT", ACCOUNT, json={"action": "allocate_pool"}),
    ]


def test_undeclared_statuses_are_still_problem_documents(
    openapi: OpenAPI, simulator: Simulator, problem_validator: OAS31Validator
) -> None:
    """502/503 (a proxy in front of HostUp), unknown paths and 405s are not in the spec: check the Problem schema."""
    answers = _undeclared_answers(simulator)
    assert [answer.status_code for answer in answers] == [503, 502, 404, 405, 405]
    for answer in answers:
        with pytest.raises((PathError, ResponseFinderError)):  # the spec has no entry for it
            validate(openapi, answer)
        assert answer.headers["Content-Type"] == "application/problem+json"
        problem_validator.validate(answer.json())
        assert answer.json().keys() >= PROBLEM_KEYS


@pytest.mark.parametrize("kind", ["malformed", "wrong_shape"])
def test_injected_garbage_fails_validation(openapi: OpenAPI, simulator: Simulator, kind: str) -> None:
    """A control: the validator really rejects bodies that break the contract."""
    simulator.fail_next(kind)
    response = call(simulator, "GET", "/api/v2/vps")
    assert response.status_code == 200
    with pytest.raises(DataValidationError):
        validate(openapi, response)
