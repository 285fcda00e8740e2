"""A threaded HTTP stand-in for the HostUp v2 API (hostup-api/openapi.yaml + NOTES.md).

It shares no code with `hostup_dash.hostup`: two independent readings of one contract
catch each other's mistakes. Tests steer it through `config`, `fail_next` and `add_vps`.
"""

import base64
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import cast
from urllib.parse import parse_qs, urlsplit

from hostup_dash.simulator.problems import ApiProblem, field_error, invalid_request, problem_body
from hostup_dash.simulator.state import SimState, iso, now

READ_VM = "read:vm"
READ_NETWORK = "read:network"
WRITE_NETWORK = "write:network"
FULL_SCOPES = frozenset({READ_VM, READ_NETWORK, WRITE_NETWORK})
READ_SCOPES = frozenset({READ_VM, READ_NETWORK})

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_RACK_ID_LENGTH = 50
VPS_ACTIONS = ("allocate", "refresh_next_hop")
FAILURE_KINDS = (
    "rate_limit",
    "unavailable",
    "bad_gateway",
    "internal",
    "malformed",
    "wrong_shape",
    "unauthorized",
    "conflict",
)
CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]+$")

POLL_INTERVAL_S = 0.05  # how soon stop() is noticed; the stdlib default of 0.5 s slows every test teardown
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


@dataclass
class SimulatorConfig:
    vps_count: int = 25
    seed: int = 1
    latency_ms: int = 0
    full_token: str = "sim-full-token"
    read_token: str = "sim-read-token"
    rate_limit: int = 600
    rate_window_s: float = 60.0
    mirror_allocations: bool = False


@dataclass(frozen=True)
class RecordedCall:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    status: int


@dataclass(frozen=True)
class ApiRequest:
    path_params: dict[str, str]
    query: dict[str, list[str]]
    body: bytes


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Injection:
    kind: str
    remaining: int
    path_prefix: str
    retry_after: int | None


@dataclass(frozen=True)
class _Window:
    """One token's standing in its fixed rate-limit window, after counting this request."""

    limit: int
    remaining: int
    is_exceeded: bool
    resets_in_s: float

    def headers(self) -> dict[str, str]:
        reset_at = now() + timedelta(seconds=self.resets_in_s)
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": iso(reset_at),
        }


class _RateLimiter:
    """Fixed windows per token. Limits come with each hit, so tests can change them on a running simulator."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[float, int]] = {}  # token -> (window start, requests counted)

    def hit(self, token: str, *, limit: int, length: float) -> _Window:
        # Monotonic time, so a test that freezes the wall clock cannot freeze the window.
        moment = time.monotonic()
        with self._lock:
            started, count = self._windows.get(token, (moment, 0))
            if moment - started >= length:
                started, count = moment, 0
            count += 1
            self._windows[token] = (started, count)
        return _Window(
            limit=limit,
            remaining=max(0, limit - count),
            is_exceeded=count > limit,
            resets_in_s=started + length - moment,
        )


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _encode_cursor(offset: int) -> str:
    """base64url of {"offset":N} without padding, the shape of HostUp's sample cursor."""
    raw = json.dumps({"offset": offset}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode_cursor(cursor: str) -> int:
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


def _parse_limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise invalid_request([field_error("/limit", f"Must be an integer from 1 to {MAX_PAGE_SIZE}.", "out_of_range")])
    return int(raw)


def _parse_vps_action(body: bytes) -> str:
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


Handler = Callable[[SimState, SimulatorConfig, ApiRequest], tuple[int, object]]


def _list_vps(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    limit = _parse_limit(_first(request.query, "limit"))
    cursor = _first(request.query, "cursor")
    offset = 0 if cursor is None else _decode_cursor(cursor)
    includes = request.query.get("include", [])
    if any(value != "pendingMaintenance" for value in includes):
        raise invalid_request([field_error("/include", "The only value is pendingMaintenance.", "invalid_choice")])
    items, has_more = state.list_page(
        primary_ip=_first(request.query, "primaryIp"),
        name=_first(request.query, "name"),
        offset=offset,
        limit=limit,
        include_maintenance=bool(includes),
    )
    return 200, {"data": items, "hasMore": has_more, "nextCursor": _encode_cursor(offset + limit) if has_more else None}


def _get_vps(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    return 200, state.vps_json(request.path_params["vps_id"])


def _get_routed_ipv6(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    return 200, state.routed_state(request.path_params["vps_id"])


def _post_routed_ipv6(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    action = _parse_vps_action(request.body)
    vps_id = request.path_params["vps_id"]
    if action == "refresh_next_hop":
        return 200, state.refresh_next_hop(vps_id)
    is_new, routed = state.allocate(vps_id)
    return (201 if is_new else 200), routed


def _delete_routed_ipv6(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    return 200, state.release(request.path_params["vps_id"])


def _get_account_routed_ipv6(state: SimState, config: SimulatorConfig, request: ApiRequest) -> tuple[int, object]:
    return 200, state.account_state(mirror_allocations=config.mirror_allocations)


@dataclass(frozen=True)
class _Operation:
    handler: Handler
    scopes: frozenset[str]


# Account pools and routes are read-only here: POST /api/v2/routed-ipv6 answers 405 (Allow: GET),
# and the DELETE paths under it are unknown, so 404 not_found.
_ROUTES: tuple[tuple[re.Pattern[str], dict[str, _Operation]], ...] = (
    (re.compile(r"/api/v2/vps"), {"GET": _Operation(_list_vps, frozenset({READ_VM}))}),
    (re.compile(r"/api/v2/vps/(?P<vps_id>[^/]+)"), {"GET": _Operation(_get_vps, frozenset({READ_VM}))}),
    (
        re.compile(r"/api/v2/vps/(?P<vps_id>[^/]+)/routed-ipv6"),
        {
            "GET": _Operation(_get_routed_ipv6, frozenset({READ_VM})),
            "POST": _Operation(_post_routed_ipv6, frozenset({WRITE_NETWORK})),
            "DELETE": _Operation(_delete_routed_ipv6, frozenset({WRITE_NETWORK})),
        },
    ),
    (
        re.compile(r"/api/v2/routed-ipv6"),
        {"GET": _Operation(_get_account_routed_ipv6, frozenset({READ_VM, READ_NETWORK}))},
    ),
)


def _injected_reply(injection: _Injection) -> Reply:
    """The canned answer for one `fail_next` kind; problem kinds are raised and rendered as usual."""
    if injection.kind == "malformed":
        return Reply(200, b"<html>oops</html>", JSON)
    if injection.kind == "wrong_shape":
        return Reply(200, b'["not", "the", "documented", "shape"]', JSON)
    if injection.kind == "rate_limit":
        # retry_after=None leaves Retry-After out: clients then fall back to X-RateLimit-Reset.
        retry = {} if injection.retry_after is None else {"Retry-After": str(injection.retry_after)}
        raise ApiProblem(
            429, "rate_limit_exceeded", "Too many requests.", headers={**retry, "X-RateLimit-Remaining": "0"}
        )
    if injection.kind == "unavailable":
        raise ApiProblem(503, "service_unavailable", "The service is temporarily unavailable.")
    if injection.kind == "bad_gateway":
        raise ApiProblem(502, "bad_gateway", "The upstream service did not answer.")
    if injection.kind == "unauthorized":  # the key was revoked mid-run
        raise ApiProblem(401, "unauthorized", "Authentication required.")
    if injection.kind == "conflict":
        raise ApiProblem(409, "vps_not_ready", "The VPS is not ready for this operation.")
    raise ApiProblem(500, "internal_error", "An unexpected error occurred.")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # open keep-alive connections must not hold up stop()
    # The default backlog of 5 drops a burst of concurrent connects; each drop costs a 1 s SYN retry.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], simulator: "Simulator") -> None:
        super().__init__(address, _RequestHandler)
        self.simulator = simulator


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections open, so a client walking 100 pages reuses one socket.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, each keep-alive reply waits ~40 ms for an ACK.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        simulator = cast(_Server, self.server).simulator
        reply = simulator.answer(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            authorization=self.headers.get("Authorization"),
            body=body,
        )
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: tests and the command's console would drown in access lines."""


class Simulator:
    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.calls: list[RecordedCall] = []
        self._calls_lock = threading.Lock()
        self._state = SimState(vps_count=self.config.vps_count, seed=self.config.seed)
        self._limiter = _RateLimiter()
        self._injections: list[_Injection] = []
        self._injections_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- running ---------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> "Simulator":
        """Serve in a daemon thread; port 0 picks a free port (see `url`)."""
        self._server = _Server((host, port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_INTERVAL_S,), name="hostup-simulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self, host: str, port: int) -> None:
        """Serve in this thread until interrupted (Ctrl-C raises KeyboardInterrupt to the caller)."""
        self._server = _Server((host, port), self)
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            self._server = None

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        self._server = self._thread = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("The simulator is not serving; call start() first.")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # --- test knobs --------------------------------------------------------------

    def reset_calls(self) -> None:
        with self._calls_lock:
            self.calls.clear()

    def calls_to(self, method: str, path_prefix: str) -> list[RecordedCall]:
        with self._calls_lock:
            return [call for call in self.calls if call.method == method and call.path.startswith(path_prefix)]

    def fail_next(self, kind: str, *, count: int = 1, path_prefix: str = "/", retry_after: int | None = 1) -> None:
        """Answer the next `count` requests under `path_prefix` with an injected failure."""
        if kind not in FAILURE_KINDS:
            raise ValueError(f"Unknown failure kind {kind!r}; use one of {', '.join(FAILURE_KINDS)}.")
        with self._injections_lock:
            self._injections.append(_Injection(kind, count, path_prefix, retry_after))

    def add_vps(
        self, *, name: str, primary_ip: str | None = None, power_state: str = "running", available: bool = True
    ) -> str:
        """Add a VPS at the end of the list; `available=False` leaves net0 without IPv6."""
        return self._state.add_vps(name=name, primary_ip=primary_ip, power_state=power_state, available=available)

    def vps_ids(self) -> list[str]:
        return self._state.vps_ids()

    def expire_cooldowns(self) -> None:
        self._state.expire_cooldowns()

    # --- answering ---------------------------------------------------------------

    def answer(
        self, *, method: str, path: str, query: dict[str, list[str]], authorization: str | None, body: bytes
    ) -> Reply:
        """Everything between the parsed request and the bytes sent back; records the call."""
        time.sleep(self.config.latency_ms / 1000)
        # Every answer carries one (NOTES: X-Request-Id on every response, = requestId on errors).
        request_id = self._state.new_request_id()
        token = _bearer_token(authorization)
        window = self._limiter.hit(token or "", limit=self.config.rate_limit, length=self.config.rate_window_s)
        try:
            if window.is_exceeded:
                raise ApiProblem(
                    429,
                    "rate_limit_exceeded",
                    "Too many requests.",
                    headers={"Retry-After": str(max(1, math.ceil(window.resets_in_s)))},
                )
            injection = self._take_injection(path)
            if injection is not None:
                reply = _injected_reply(injection)
            else:
                status, payload = self._dispatch(method, path, query, token, body)
                reply = Reply(status, json.dumps(payload).encode(), JSON)
        except ApiProblem as problem:
            reply = self._problem_reply(problem, path, request_id)
        # Problem-specific headers (a forced Remaining 0) win over the window's.
        reply.headers = window.headers() | reply.headers | {"X-Request-Id": request_id}
        with self._calls_lock:
            self.calls.append(RecordedCall(method, path, query, body, reply.status))
        return reply

    def _take_injection(self, path: str) -> _Injection | None:
        with self._injections_lock:
            for injection in self._injections:
                if path.startswith(injection.path_prefix):
                    injection.remaining -= 1
                    if injection.remaining <= 0:
                        self._injections.remove(injection)
                    return injection
        return None

    def _dispatch(
        self, method: str, path: str, query: dict[str, list[str]], token: str | None, body: bytes
    ) -> tuple[int, object]:
        scopes = self._scopes_of(token)
        if scopes is None:
            raise ApiProblem(401, "unauthorized", "Authentication required.")
        for pattern, operations in _ROUTES:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            operation = operations.get(method)
            if operation is None:
                raise ApiProblem(
                    405,
                    "method_not_allowed",
                    f"{method} is not allowed on this path.",
                    headers={"Allow": ", ".join(operations)},
                )
            missing = operation.scopes - scopes
            if missing:
                raise ApiProblem(
                    403,
                    "forbidden",
                    f"This API key lacks the scope {', '.join(sorted(missing))}.",
                    extensions={"missingScopes": sorted(missing)},
                )
            return operation.handler(self._state, self.config, ApiRequest(match.groupdict(), query, body))
        raise ApiProblem(404, "not_found", "No API endpoint matches this path.")

    def _scopes_of(self, token: str | None) -> frozenset[str] | None:
        # Read the tokens on every request: tests may change them on a running simulator.
        return {self.config.full_token: FULL_SCOPES, self.config.read_token: READ_SCOPES}.get(token or "")

    def _problem_reply(self, problem: ApiProblem, path: str, request_id: str) -> Reply:
        body = problem_body(problem, instance=path, request_id=request_id, timestamp=iso(now()))
        return Reply(problem.status, json.dumps(body).encode(), PROBLEM_JSON, dict(problem.headers))


def _bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
