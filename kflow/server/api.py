"""The server's HTTP API (standard library `ThreadingHTTPServer`, one thread per connection).

- `GET|POST|PUT /api/v1/executions/webhook/{namespace}/{flowId}/{key}` — a Webhook trigger;
- `GET /api/v1/executions/{id}` — an execution, as `kflow run --output json` reports it.

Kestra's tenant-prefixed paths (`/api/v1/main/executions/…`) are accepted too. A request body
larger than `max_body` bytes is refused with 413 before it is read. Each request is logged
(method, path with the webhook key masked, status, time), never with its key or body.
"""

from __future__ import annotations

import logging
import re
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from kflow.runtime_shims.execution import MASK, report
from kflow.server.webhook import NOT_FOUND, Answer, Call, json_answer

if TYPE_CHECKING:
    from kflow.runtime_shims.state import StateStore
    from kflow.server.webhook import Webhooks

log = logging.getLogger("kflow.server")

#: The default largest request body, in bytes (10 MiB).
MAX_BODY = 10 * 1024 * 1024

_PREFIX = r"^/api/v1(?:/main)?/executions/"
_WEBHOOK = re.compile(_PREFIX + r"webhook/(?P<ns>[^/]+)/(?P<flow>[^/]+)/(?P<key>[^/]+)$")
_EXECUTION = re.compile(_PREFIX + r"(?P<id>[^/]+)$")
_WEBHOOK_METHODS = ("GET", "POST", "PUT")


class ApiServer(ThreadingHTTPServer):
    """The HTTP server: routes requests to the webhooks and the state store."""

    daemon_threads = True
    # Bursts of concurrent webhook calls: a short listen queue would make clients wait for SYN
    # retries (about a second each) instead of being accepted.
    request_queue_size = 1024

    def __init__(
        self, address: tuple[str, int], webhooks: Webhooks, store: StateStore, max_body: int
    ) -> None:
        self.webhooks = webhooks
        self.store = store
        self.max_body = max_body
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: ApiServer
    protocol_version = "HTTP/1.1"  # keep-alive: a client may send many calls on one connection
    server_version = "kflow"
    timeout = 30  # seconds a connection may stay idle or trickle a body: threads are not free

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def do_PATCH(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: object) -> None:
        pass  # the standard log line holds the path, hence the key: requests are logged below

    def _handle(self) -> None:
        started = time.monotonic()
        parts = urlsplit(self.path)
        shown = parts.path
        try:
            webhook = _WEBHOOK.match(parts.path)
            if webhook:
                shown = parts.path[: webhook.start("key")] + MASK
                answer = self._webhook(webhook, parts.query)
            else:
                answer = self._route(parts.path)
        except Exception:
            log.exception("%s %s: internal error", self.command, shown)
            self.close_connection = True
            answer = json_answer(500, {"message": "internal error"})
        self._send(answer)
        took = (time.monotonic() - started) * 1000
        log.info("%s %s %d %.1f ms", self.command, shown, answer.status, took)

    def _route(self, path: str) -> Answer:
        execution = _EXECUTION.match(path)
        if execution is None or execution["id"] == "webhook":
            self._discard_body()
            return NOT_FOUND
        if self.command != "GET":
            self._discard_body()
            return json_answer(405, {"message": "Method Not Allowed"})
        try:
            return json_answer(200, report(self.server.store, unquote(execution["id"])))
        except LookupError:
            return NOT_FOUND

    def _webhook(self, match: re.Match[str], query: str) -> Answer:
        if self.command not in _WEBHOOK_METHODS:
            self._discard_body()
            return json_answer(405, {"message": "Method Not Allowed"})
        body = self._body()
        if body is None:
            self.close_connection = True  # the body was not read: the connection is unusable
            return json_answer(
                413, {"message": f"request body larger than {self.server.max_body} bytes"}
            )
        host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
        call = Call(
            method=self.command,
            namespace=unquote(match["ns"]),
            flow_id=unquote(match["flow"]),
            key=unquote(match["key"]),
            query=query,
            headers=list(self.headers.items()),
            body=body,
            base_url=f"http://{host}",
        )
        return self.server.webhooks.handle(call)

    def _body(self) -> bytes | None:
        """The request body; None when it is larger than the limit (then it is not read)."""
        limit = self.server.max_body
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._chunked(limit)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length > limit:
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _chunked(self, limit: int) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                length = int(line.split(b";")[0].strip() or b"0", 16)
            except ValueError:
                length = 0
            if length < 0 or not line.endswith(b"\n"):
                return None  # not a chunk size: refused like an oversized body
            if length == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                return b"".join(chunks)
            size += length
            if size > limit:
                return None
            chunks.append(self.rfile.read(length))
            self.rfile.readline(8)  # the CRLF after the chunk

    def _discard_body(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if 0 < length <= self.server.max_body:
            self.rfile.read(length)
        elif length or self.headers.get("Transfer-Encoding"):
            self.close_connection = True

    def _send(self, answer: Answer) -> None:
        self.send_response(answer.status)
        if answer.status != 204:
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if answer.status != 204 and self.command != "HEAD":
            self.wfile.write(answer.body)
