"""A provider that answers wrongly or slowly, over real HTTP on a free port: what node-oidc-provider, being
correct, never does. Each path answers what the test set for it, after an optional wait."""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Answer:
    body: Any  # JSON-encoded unless bytes
    status: int = 200
    delay: float = 0.0


class FaultyProvider:
    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.issuer = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()  # stops at once

    def discovery(self, **document: Any) -> dict[str, Any]:
        """A discovery document whose endpoints are this server's, with `document`'s changes (None: left out)."""
        endpoints = {"authorization_endpoint": "/auth", "token_endpoint": "/token", "jwks_uri": "/jwks"}
        full = {"issuer": self.issuer, **{name: self.issuer + path for name, path in endpoints.items()}, **document}
        return {name: value for name, value in full.items() if value is not None}

    def answer(self, path: str, body: Any, *, status: int = 200, delay: float = 0.0) -> None:
        self.answers[path] = Answer(body, status, delay)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        answers = self.answers

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                found = answers.get(self.path.split("?")[0])
                if found is None:
                    self.send_error(404)
                    return
                time.sleep(found.delay)
                body = found.body if isinstance(found.body, bytes) else json.dumps(found.body).encode()
                try:
                    self.send_response(found.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the dashboard stopped waiting, as it should

            do_GET = do_POST = _answer

            def log_message(self, *args) -> None:
                pass

        return Handler
