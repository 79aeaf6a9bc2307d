"""The API on loopback: Chalice's local server, with the contract's 404 and the `/dev/outbox` route."""
from __future__ import annotations

import functools
import json
import logging
import threading
from typing import Any, Callable, Optional
from urllib.parse import urlparse

from chalice.config import Config
from chalice.local import ChaliceRequestHandler, LocalChalice, LocalDevServer, RouteMatcher

log = logging.getLogger("loopdesk.devstack.http")

OUTBOX_PATH = "/dev/outbox"
NOT_FOUND = {"error": {"code": "not_found", "message": "No such route."}}


class DevRequestHandler(ChaliceRequestHandler):
    """Chalice's handler, plus what API Gateway does not give the local stack.

    An unknown route answers the contract's 404 (API Gateway says 403 "Missing Authentication
    Token"), and `GET /dev/outbox` shows the SES mail sent so far.
    """

    def __init__(self, request: Any, client_address: Any, server: Any, *, app_object: Any, config: Config,
                 outbox: Callable[[], dict[str, Any]]) -> None:
        self._routes = RouteMatcher(list(app_object.routes))
        self._outbox = outbox
        super().__init__(request, client_address, server, app_object=app_object, config=config)

    def _generic_handle(self) -> None:
        path = urlparse(self.path).path
        if path == OUTBOX_PATH:
            self._answer_outbox()
            return
        try:
            self._routes.match_route(self.path)
        except ValueError:
            self._parse_payload()  # drain the body: the connection is kept alive
            self._send_json(404, NOT_FOUND)
            return
        super()._generic_handle()

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _answer_outbox(self) -> None:
        self._parse_payload()
        if self.command not in ("GET", "HEAD"):
            error = {"error": {"code": "method_not_allowed", "message": "This route does not accept that method."}}
            self._send_json(405, error, {"Allow": "GET"})
            return
        try:
            self._send_json(200, self._outbox())
        except Exception:  # the outbox reads moto's internals: say so rather than drop the connection
            log.exception("reading the SES outbox failed")
            self._send_json(500, {"error": {"code": "internal_error", "message": "Reading the outbox failed."}})

    def _send_json(self, status: int, body: Any, headers: Optional[dict[str, str]] = None) -> None:
        payload = json.dumps(body, separators=(",", ":")).encode()
        self._send_http_response(status, {"Content-Type": "application/json", **(headers or {})}, payload)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        log.info("%s %s", self.address_string(), format % args)


class _ThreadLocalRequests(LocalChalice):
    """`app.current_request` per thread, as `chalice local` arranges it (see create_local_server)."""


class ApiServer:
    """The app on http://127.0.0.1:PORT, served from a thread; requests are handled in threads too."""

    def __init__(self, app_object: Any, host: str, port: int, outbox: Callable[[], dict[str, Any]]) -> None:
        _serve_requests_in_threads(app_object)
        config = Config.create(chalice_stage="dev", lambda_timeout=30, lambda_memory_size=512)
        handler = functools.partial(DevRequestHandler, outbox=outbox)
        self._server = LocalDevServer(app_object, config, host, port, handler_cls=handler)
        self._thread = threading.Thread(target=self._server.server.serve_forever, name="api", daemon=True)
        self.url = f"http://{host}:{self._server.server.server_address[1]}"

    def start(self) -> None:
        self._thread.start()
        log.info("API listening on %s", self.url)

    def stop(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server.server_close()


def _serve_requests_in_threads(app_object: Any) -> None:
    if isinstance(app_object, LocalChalice):
        return
    _ThreadLocalRequests.__bases__ = (LocalChalice, type(app_object))
    app_object.__class__ = _ThreadLocalRequests
