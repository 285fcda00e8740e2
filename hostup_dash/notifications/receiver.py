"""A small webhook receiver for demos and tests: checks each delivery's signature and keeps what came.

`python manage.py webhook_receiver` prints what it receives; the tests start one on a free port and
script its answers (a 500 before the 200, a slow answer). It answers 401 to a body whose signature
does not verify, and 200 to a duplicate delivery id without keeping it twice, as a real receiver should.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .payloads import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, signature_is_valid

MAX_BODY = 1 << 20


@dataclass(frozen=True)
class Received:
    """One POST as it arrived."""

    event: str
    delivery_id: str
    signature: str
    body: bytes
    is_verified: bool
    is_duplicate: bool
    at: float = field(default_factory=time.monotonic)  # when it was answered (time.monotonic)

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """An HTTP server in a thread. `answers`: codes to give, in turn, before 200s; `delay_s`: a wait before each."""

    secret: str
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port
    answers: list[int] = field(default_factory=list)
    delay_s: float = 0.0
    on_receive: Callable[[Received], None] | None = None
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._accepted: set[str] = set()  # delivery ids answered with a 2xx
        self._server = ThreadingHTTPServer((self.host, self.port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def start(self) -> WebhookReceiver:
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="webhook-receiver", daemon=True).start()
        return self

    def serve(self) -> None:
        """In this thread, until interrupted."""
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def verified(self) -> list[Received]:
        """The deliveries whose signature verified, without the repeats of one already accepted."""
        with self._lock:
            return [item for item in self.received if item.is_verified and not item.is_duplicate]

    def _take(self, *, event: str, delivery_id: str, header: str, body: bytes) -> tuple[Received, int]:
        """Keep one POST and choose its answer: 401 unsigned, else the next scripted code, else 200."""
        is_verified = signature_is_valid(self.secret, body, header)
        with self._lock:
            status = 401 if not is_verified else self.answers.pop(0) if self.answers else 200
            item = Received(
                event=event,
                delivery_id=delivery_id,
                signature=header,
                body=body,
                is_verified=is_verified,
                is_duplicate=delivery_id in self._accepted,
            )
            self.received.append(item)
            if 200 <= status < 300:
                self._accepted.add(delivery_id)
        return item, status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                body = self.rfile.read(length)
                if receiver.delay_s:
                    time.sleep(receiver.delay_s)
                item, status = receiver._take(
                    event=self.headers.get(EVENT_HEADER, ""),
                    delivery_id=self.headers.get(DELIVERY_HEADER, ""),
                    header=self.headers.get(SIGNATURE_HEADER, ""),
                    body=body,
                )
                if receiver.on_receive is not None:
                    receiver.on_receive(item)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # the command prints its own line per delivery

        return Handler
