"""The HTTP edge shared by every route: auth, path ids, bodies, queries and the error shape."""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

from pydantic import BaseModel, ValidationError

from chalicelib import auth
from chalicelib.errors import InvalidInput, LoopDeskError
from chalicelib.validation import invalid_input_from, parse_body

ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class EndpointDoc:
    """What the OpenAPI document says of one route (attached to its view)."""

    summary: str
    scope: Optional[str]
    admin: bool
    body: Optional[type[BaseModel]]
    query: Optional[type[BaseModel]]
    response: Optional[type[BaseModel]]
    status: int


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    from chalice import Response

    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    return Response(body=json.dumps(body, separators=(",", ":")), status_code=status,
                    headers={**JSON_HEADERS, **(headers or {})})


def error_response(error: LoopDeskError) -> Any:
    return json_response(error.to_body(), error.STATUS_CODE, error.headers)


def check_id(name: str, value: str) -> None:
    if not ID_RE.match(value or ""):
        raise InvalidInput(f"{name} must match ^[A-Za-z0-9._:-]{{1,128}}$.", code="invalid_id", field=name)


class Api:
    """Decorates views with the contract's edge: one place for auth, validation and errors."""

    def __init__(self, app: Any, store: Callable[[], Any], authenticate: Callable[[Any, Any], auth.Principal]):
        self._app = app
        self._store = store
        self._authenticate = authenticate

    def endpoint(self, summary: str, *, scope: str | None = None, admin: bool = False,
                 body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
                 response: type[BaseModel] | None = None, status: int = 200) -> Callable:
        doc = EndpointDoc(summary, scope, admin, body, query, response, status)

        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(view)
            def handler(**path: str) -> Any:
                request = self._app.current_request
                try:
                    kwargs: dict[str, Any] = dict(path)
                    if admin:
                        auth.check_admin(request.headers, self._store().settings.admin_token_sha256)
                    elif scope:
                        principal = self._authenticate(self._store(), request.headers)
                        principal.require(scope)
                        kwargs["principal"] = principal
                    for name, value in path.items():
                        check_id(name, value)
                    if body is not None:
                        kwargs["body"] = parse_body(body, request.raw_body)
                    if query is not None:
                        kwargs["query"] = parse_query(query, request.query_params)
                    result = view(**kwargs)
                except LoopDeskError as exc:
                    return error_response(exc)
                return _shape(result, status)

            handler.contract = doc  # type: ignore[attr-defined]
            return handler

        return decorate


def parse_query(model: type[BaseModel], params: dict[str, str] | None) -> BaseModel:
    try:
        return model.model_validate(dict(params or {}))
    except ValidationError as exc:
        raise invalid_input_from(exc) from None


def _shape(result: Any, status: int) -> Any:
    """A view returns a model, (model, status), None (204) or a ready Response."""
    if result is None:
        from chalice import Response

        return Response(body="", status_code=204, headers={})
    if isinstance(result, tuple):
        body, status = result
        return json_response(body, status)
    if isinstance(result, (BaseModel, dict, list)):
        return json_response(result, status)
    return result


CHALICE_ERROR_CODES = {
    405: ("method_not_allowed", "This route does not accept that method."),
    415: ("unsupported_media_type", "Send JSON (Content-Type: application/json)."),
    500: ("internal_error", "An internal error occurred; it has been logged."),
}


def reshape_framework_error(response: Any) -> Any:
    """Chalice's own error answers ({Code, Message}) in the contract's shape."""
    if response.status_code not in CHALICE_ERROR_CODES:
        return response
    body = response.body
    if isinstance(body, str) and body.startswith("{"):
        try:
            body = json.loads(body)
        except ValueError:
            return response
    if isinstance(body, dict) and "error" in body:
        return response
    code, message = CHALICE_ERROR_CODES[response.status_code]
    headers = {k: v for k, v in response.headers.items() if k.lower() == "allow"}
    return json_response({"error": {"code": code, "message": message}}, response.status_code, headers)


def unsubscribed_page() -> Any:
    """The page a person sees after clicking the unsubscribe link."""
    from chalice import Response

    html = ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Unsubscribed</title></head>"
            "<body style='font-family:sans-serif;max-width:32em;margin:3em auto'><h1>You are unsubscribed</h1>"
            "<p>You will no longer receive the Loop Desk daily cost digest.</p></body></html>")
    return Response(body=html, status_code=200, headers={"Content-Type": "text/html; charset=utf-8"})


def dashboard_page() -> Any:
    """The static dashboard (it reads only the public v1 API with the token the person gives it)."""
    from importlib.resources import files

    from chalice import Response

    html = files("chalicelib.dashboard").joinpath("index.html").read_text(encoding="utf-8")
    return Response(body=html, status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache",
        "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                                   "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        "Referrer-Policy": "no-referrer"})
