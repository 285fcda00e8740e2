"""A threaded HTTP stand-in for the HostUp v2 API (hostup-api/openapi.yaml + NOTES.md).

It shares no code with `hostup_dash.hostup`: two independent readings of one contract
catch each other's mistakes. Tests steer it through `config`, `fail_next` and `add_vps`.
"""

import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hostup_dash.simulator.config import SimulatorConfig
from hostup_dash.simulator.faults import Faults
from hostup_dash.simulator.formats import iso, now
from hostup_dash.simulator.http import JSON, PROBLEM_JSON, HttpServer, Reply
from hostup_dash.simulator.limits import RateLimiter
from hostup_dash.simulator.outside import CONTROL_PREFIX, answer_control, demo_vps, outside_change
from hostup_dash.simulator.problems import ApiProblem, problem_body
from hostup_dash.simulator.recording import PendingRequest
from hostup_dash.simulator.routes import dispatch
from hostup_dash.simulator.state import SimState

__all__ = ["RecordedCall", "Simulator", "SimulatorConfig"]

POLL_INTERVAL_S = 0.05  # how soon stop() is noticed; the stdlib default of 0.5 s slows every test teardown


@dataclass(frozen=True)
class RecordedCall:
    method: str
    path: str
    query: dict[str, list[str]]
    body: bytes
    status: int


class Simulator:
    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.calls: list[RecordedCall] = []
        self._calls_lock = threading.Lock()
        self._state = SimState(vps_count=self.config.vps_count, seed=self.config.seed)
        self._limiter = RateLimiter()
        self._faults = Faults()
        self._changes: list[tuple[str, str, Callable[[], object]]] = []
        self._server: HttpServer | None = None
        self._thread: threading.Thread | None = None

    # --- running ---------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> "Simulator":
        """Serve in a daemon thread; port 0 picks a free port (see `url`)."""
        self._server = HttpServer((host, port), self.answer)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_INTERVAL_S,), name="hostup-simulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self, host: str, port: int) -> None:
        """Serve in this thread until interrupted (Ctrl-C raises KeyboardInterrupt to the caller)."""
        self._server = HttpServer((host, port), self.answer)
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
        """Answer the next `count` requests under `path_prefix` with an injected failure (kinds: faults.py)."""
        self._faults.add(kind, count=count, path_prefix=path_prefix, retry_after=retry_after)

    def before_next(self, method: str, path_prefix: str, change: Callable[[], object]) -> None:
        """Run `change` once, just before the next `method` request under `path_prefix` is answered: someone
        changing the account in HostUp's panel between a client's read and its write."""
        with self._calls_lock:
            self._changes.append((method, path_prefix, change))

    def add_vps(
        self, *, name: str, primary_ip: str | None = None, power_state: str = "running", available: bool = True
    ) -> str:
        """Add a VPS at the end of the list; `available=False` leaves net0 without IPv6."""
        return self._state.add_vps(name=name, primary_ip=primary_ip, power_state=power_state, available=available)

    def vps_ids(self) -> list[str]:
        return self._state.vps_ids()

    def renumber_net0(self, vps_id: str) -> str:
        """Give a VPS's net0 a new IPv6 address: HostUp suggests it, and an active allocation's next hop differs."""
        return self._state.renumber_net0(vps_id)

    def expire_cooldowns(self) -> None:
        self._state.expire_cooldowns()

    def audit_events(self) -> list[dict[str, object]]:
        """HostUp's audit log as GET /api/v2/audit-log would find it over the whole retention, newest first."""
        return self._state.events.events(kept_from=now() - timedelta(seconds=self.config.audit_retention_s))

    def add_audit_event(self, event: dict[str, object]) -> dict[str, object]:
        """Seed any event (old, odd, dns_history...); it needs `occurredAt`, and gets an `id` if it has none."""
        return self._state.events.add(event)

    def outside_change(
        self, vps_id: str, change: str, actor: str, *, occurred_at: datetime | None = None
    ) -> dict[str, object]:
        """Change a VPS's routed IPv6 outside the dashboard (outside.py: changes and actors); its event."""
        return outside_change(
            self._state, self.config, vps_id=vps_id, change=change, actor=actor, occurred_at=occurred_at
        )

    def demo_outside_change(self) -> dict[str, object] | None:
        """make run's demo: the customer releases the first active allocation in HostUp's panel; its event."""
        vps_id = demo_vps(self._state)
        return None if vps_id is None else self.outside_change(vps_id, "release", "customer")

    # --- answering ---------------------------------------------------------------

    def answer(
        self,
        *,
        method: str,
        path: str,
        query: dict[str, list[str]],
        authorization: str | None,
        body: bytes,
        client_ip: str,
        user_agent: str | None,
    ) -> Reply:
        """Everything between the parsed request and the bytes sent back; records the call and its audit event."""
        if path.startswith(CONTROL_PREFIX):
            return answer_control(self._state, self.config, method=method, path=path, body=body)
        token = _bearer_token(authorization)
        pending = PendingRequest(
            self._state,
            self.config,
            method=method,
            path=path,
            body=body,
            token=token,
            client_ip=client_ip,
            user_agent=user_agent,
        )
        time.sleep(self.config.latency_ms / 1000)
        # Every answer carries one (NOTES: X-Request-Id on every response, = requestId on errors).
        request_id = self._state.new_request_id()
        window = self._limiter.hit(token or "", limit=self.config.rate_limit, length=self.config.rate_window_s)
        try:
            if window.is_exceeded:
                raise ApiProblem(
                    429,
                    "rate_limit_exceeded",
                    "Too many requests.",
                    headers={"Retry-After": str(max(1, math.ceil(window.resets_in_s)))},
                )
            self._change_due(method, path)
            injection = self._faults.take(path)
            if injection is not None:
                reply = injection.reply()
            else:
                status, payload = dispatch(
                    self._state, self.config, method=method, path=path, query=query, token=token, body=body
                )
                reply = Reply(status, json.dumps(payload).encode(), JSON)
        except ApiProblem as problem:
            reply = _problem_reply(problem, path, request_id)
        # Problem-specific headers (a forced Remaining 0) win over the window's.
        reply.headers = window.headers() | reply.headers | {"X-Request-Id": request_id}
        pending.finish(reply)  # before the reply is sent: a caller that gave up still leaves its event
        with self._calls_lock:
            self.calls.append(RecordedCall(method, path, query, body, reply.status))
        return reply

    def _change_due(self, method: str, path: str) -> None:
        with self._calls_lock:
            due = next((c for c in self._changes if c[0] == method and path.startswith(c[1])), None)
            if due is not None:
                self._changes.remove(due)
        if due is not None:
            due[2]()  # outside the lock: the change may call the simulator itself (it serves each request in a thread)


def _problem_reply(problem: ApiProblem, path: str, request_id: str) -> Reply:
    body = problem_body(problem, instance=path, request_id=request_id, timestamp=iso(now()))
    return Reply(problem.status, json.dumps(body).encode(), PROBLEM_JSON, dict(problem.headers))


def _bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
