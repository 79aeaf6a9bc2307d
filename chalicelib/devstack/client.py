"""A small JSON client of the v1 API (stdlib only): the demo seeds through the public API itself."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Iterable, Optional


class ApiError(RuntimeError):
    """The API answered with an unexpected status: the local stack must fail loudly."""


class ApiClient:
    """`call(method, path, body, expect=...)` returns the parsed JSON body or raises ApiError."""

    def __init__(self, base_url: str, token: Optional[str] = None, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def with_token(self, token: str) -> "ApiClient":
        return ApiClient(self.base_url, token, self.timeout)

    def call(self, method: str, path: str, body: Any = None, *, expect: Iterable[int] = (200,)) -> Any:
        status, answer = self.request(method, path, body)
        if status not in tuple(expect):
            raise ApiError(f"{method} {path} answered {status}: {json.dumps(answer)[:2000]}")
        return answer

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """(status, parsed JSON body or None) for any status."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, _parse(response.read())
        except urllib.error.HTTPError as error:
            return error.code, _parse(error.read())


def _parse(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


def wait_until_up(client: ApiClient, path: str, deadline_seconds: float = 15.0) -> None:
    """Poll until the server answers any HTTP status (it is then accepting connections)."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        try:
            client.request("GET", path)
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
