"""Query and body parsing for the operations; every refusal is the 400 problem HostUp sends."""

import base64
import json
import re
from typing import cast

from hostup_dash.simulator.problems import ApiProblem, field_error, invalid_request

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_RACK_ID_LENGTH = 50
VPS_ACTIONS = ("allocate", "refresh_next_hop")
CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def encode_cursor(offset: int) -> str:
    """base64url of {"offset":N} without padding, the shape of HostUp's sample cursor."""
    raw = json.dumps({"offset": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> int:
    invalid = ApiProblem(400, "invalid_cursor", "Cursor is invalid or malformed.")
    if not CURSOR_RE.match(cursor):
        raise invalid
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        raise invalid from None
    offset = data.get("offset") if isinstance(data, dict) else None
    if type(offset) is not int or offset < 0:  # `type` so that true/false are refused too
        raise invalid
    return offset


def parse_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise invalid_request([field_error("/limit", f"Must be an integer from 1 to {MAX_PAGE_SIZE}.", "out_of_range")])
    return int(raw)


def parse_vps_action(body: bytes) -> str:
    """The POST body's action; no body or `{}` means allocate. `rackId` is checked, then ignored."""
    if not body.strip():
        return "allocate"
    try:
        payload = json.loads(body)
    except ValueError:
        raise invalid_request([field_error("", "The body is not valid JSON.", "invalid_json")]) from None
    if not isinstance(payload, dict):
        raise invalid_request([field_error("", "The body must be a JSON object.", "invalid_type")])
    errors = []
    action = payload.get("action", "allocate")
    if action not in VPS_ACTIONS:
        errors.append(field_error("/action", "Must be allocate or refresh_next_hop.", "invalid_choice"))
    if "rackId" in payload:
        rack_id = payload["rackId"]
        if not isinstance(rack_id, str):
            errors.append(field_error("/rackId", "Must be a string.", "invalid_type"))
        elif len(rack_id) > MAX_RACK_ID_LENGTH:
            errors.append(field_error("/rackId", f"Must be at most {MAX_RACK_ID_LENGTH} characters.", "too_long"))
    if errors:
        raise invalid_request(errors)
    return cast(str, action)
