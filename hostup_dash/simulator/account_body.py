"""The POST /api/v2/routed-ipv6 body, read as HostUp's page lists it: six fields, all optional, no others."""

import ipaddress
import json
from dataclasses import dataclass

from hostup_dash.simulator.problems import FieldError, field_error, invalid_request

ACCOUNT_ACTIONS = ("allocate_pool", "create_route")
BODY_FIELDS = ("action", "poolId", "vpsId", "prefixLength", "prefix", "label")
ROUTE_LENGTHS = (48, 56, 64)
# Not HostUp's limit (it documents none): the dashboard's, which the simulator holds it to.
MAX_LABEL_LENGTH = 64


@dataclass(frozen=True)
class RouteRequest:
    pool_id: str
    vps_id: str
    length: int
    prefix: ipaddress.IPv6Network | None  # None: the first free child of that length
    label: str | None


def parse_account_body(body: bytes) -> tuple[str, RouteRequest | None]:
    """The action and, for create_route, what it asks for; every refusal is a 400 naming its field."""
    try:
        payload = json.loads(body) if body.strip() else None
    except ValueError:
        raise invalid_request([field_error("", "The body is not valid JSON.", "invalid_json")]) from None
    if not isinstance(payload, dict):
        raise invalid_request([field_error("", "The body must be a JSON object.", "invalid_type")])
    unknown = [name for name in payload if name not in BODY_FIELDS]
    if unknown:
        raise invalid_request(
            [field_error(f"/{name}", "This field is not accepted.", "unknown_field") for name in unknown]
        )
    action = payload.get("action")
    if action not in ACCOUNT_ACTIONS:
        raise invalid_request([field_error("/action", "Must be allocate_pool or create_route.", "invalid_choice")])
    if action == "allocate_pool":
        return action, None
    return action, _route_request(payload)


def _route_request(payload: dict[str, object]) -> RouteRequest:
    errors: list[FieldError] = []
    for name in ("poolId", "vpsId"):
        if not isinstance(payload.get(name), str):
            errors.append(field_error(f"/{name}", "Required for create_route, as a string.", "required"))
    length = payload.get("prefixLength")
    if type(length) is not int or length not in ROUTE_LENGTHS:  # `type`: true is not a length
        errors.append(field_error("/prefixLength", "Must be 48, 56 or 64.", "invalid_choice"))
        length = None
    label = payload.get("label")
    if label is not None and not isinstance(label, str):
        errors.append(field_error("/label", "Must be a string.", "invalid_type"))
    elif isinstance(label, str) and len(label) > MAX_LABEL_LENGTH:
        errors.append(field_error("/label", f"Must be at most {MAX_LABEL_LENGTH} characters.", "too_long"))
    prefix = _prefix(payload.get("prefix"), length, errors)
    if errors:
        raise invalid_request(errors)
    assert isinstance(length, int)  # checked above
    return RouteRequest(str(payload["poolId"]), str(payload["vpsId"]), length, prefix, label or None)


def _prefix(raw: object, length: int | None, errors: list[FieldError]) -> ipaddress.IPv6Network | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        errors.append(field_error("/prefix", "Must be a string.", "invalid_type"))
        return None
    try:
        prefix = ipaddress.IPv6Network(raw)
    except ValueError:
        errors.append(
            field_error("/prefix", "Must be an IPv6 prefix with no bits set past its length.", "invalid_prefix")
        )
        return None
    if length is not None and prefix.prefixlen != length:
        errors.append(field_error("/prefix", f"Must be a /{length}, as prefixLength says.", "length_mismatch"))
    return prefix
