"""One outbound POST to a checked target: pinned to the checked address, no redirects, short timeout."""
from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass

from chalicelib.alerts.targets import Target

TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 64 * 1024


@dataclass(frozen=True)
class PostResult:
    status: int | None  # None: no HTTP answer (timeout, refused, TLS error)
    headers: dict[str, str]
    body: str
    error: str | None = None


class _PinnedHTTPS(http.client.HTTPSConnection):
    """Connects to the address we checked while verifying TLS for the host name (no DNS rebinding)."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self._address = target.addresses[0]

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = target.addresses[0]

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def post_json(target: Target, body: bytes, headers: dict[str, str], timeout: float = TIMEOUT_SECONDS) -> PostResult:
    """POST and report what came back; redirects are answers, never followed."""
    connection_class = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    connection = connection_class(target, timeout)
    try:
        connection.request("POST", target.path, body=body,
                           headers={"Content-Type": "application/json", "User-Agent": "LoopDeskCost/1", **headers})
        response = connection.getresponse()
        text = response.read(MAX_RESPONSE_BYTES).decode("utf-8", "replace")
        return PostResult(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
    except (OSError, http.client.HTTPException, ssl.SSLError) as exc:
        return PostResult(None, {}, "", f"{type(exc).__name__}: {exc}")
    finally:
        connection.close()
