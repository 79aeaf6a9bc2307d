"""A real HTTP receiver on 127.0.0.1 for Slack and webhook deliveries: records requests, answers a script.

    receiver = make_receiver()
    receiver.script(Reply(429, {"Retry-After": "120"}), 200)   # then 200 for ever after
    ... deliveries POST to receiver.url ...
    assert [r.json()["text"] for r in receiver.requests] == [...]

A pytest plugin (`pytest_plugins = ["tests.receivers"]`) whose classes tests also import; it has no
asserts of its own, so it opts out of assertion rewriting: PYTEST_DONT_REWRITE
"""
from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator

import pytest


@dataclass(frozen=True)
class Reply:
    """One scripted answer."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """A threaded `http.server` on an ephemeral loopback port."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._script: deque[Reply] = deque()
        self._requests: list[Received] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="receiver", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def requests(self) -> list[Received]:
        with self._lock:
            return list(self._requests)

    def script(self, *replies: Reply | int) -> None:
        """Answer the next requests with these, in order; then 200 `ok`."""
        with self._lock:
            self._script.extend(r if isinstance(r, Reply) else Reply(r) for r in replies)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, request: Received) -> Reply:
        with self._lock:
            self._requests.append(request)
            return self._script.popleft() if self._script else Reply()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                reply = receiver._answer(Received(self.command, self.path,
                                                  {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            do_POST = do_GET = do_PUT = _handle

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
                return

        return Handler


@pytest.fixture
def make_receiver() -> Iterator[Callable[[], Receiver]]:
    """A factory of receivers, all closed after the test."""
    made: list[Receiver] = []

    def make() -> Receiver:
        made.append(Receiver())
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


@pytest.fixture
def receiver(make_receiver: Callable[[], Receiver]) -> Receiver:
    return make_receiver()
