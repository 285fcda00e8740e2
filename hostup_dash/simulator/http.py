"""The threaded HTTP server: it parses each request, hands it to one `answer` callable and writes the Reply."""

from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol, cast
from urllib.parse import parse_qs, urlsplit

JSON = "application/json"
PROBLEM_JSON = "application/problem+json"


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


class Answer(Protocol):
    def __call__(
        self,
        *,
        method: str,
        path: str,
        query: dict[str, list[str]],
        authorization: str | None,
        body: bytes,
        client_ip: str,
        user_agent: str | None,
    ) -> Reply: ...


class HttpServer(ThreadingHTTPServer):
    daemon_threads = True  # open keep-alive connections must not hold up stop()
    # The default backlog of 5 drops a burst of concurrent connects; each drop costs a 1 s SYN retry.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], answer: Answer) -> None:
        super().__init__(address, _RequestHandler)
        self.answer = answer


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections open, so a client walking 100 pages reuses one socket.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, each keep-alive reply waits ~40 ms for an ACK.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        reply = cast(HttpServer, self.server).answer(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            authorization=self.headers.get("Authorization"),
            body=body,
            client_ip=self.client_address[0],
            user_agent=self.headers.get("User-Agent"),
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
