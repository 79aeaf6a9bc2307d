"""The edge: raw request bodies and query strings into models, or the contract's 400/413."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.errors import InvalidInput, PayloadTooLarge

MAX_BODY_BYTES = 256 * 1024
Model = TypeVar("Model", bound=BaseModel)

_CODES = {"extra_forbidden": "unknown_field", "missing": "missing_field"}
_CUSTOM = {"invalid_money", "invalid_instant", "invalid_timezone", "empty_patch"}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes | None) -> Any:
    """JSON with exact decimals; NaN and Infinity are refused; over 256 KiB is 413."""
    if raw is not None and len(raw) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"Request bodies are limited to {MAX_BODY_BYTES} bytes.", code="payload_too_large")
    if not raw:
        raise InvalidInput("A JSON body is required.", code="invalid_json")
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"The body is not valid JSON: {exc}", code="invalid_json") from None


def parse_body(model: type[Model], raw: bytes | None) -> Model:
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise InvalidInput("The body must be a JSON object.", code="invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input_from(exc) from None


def invalid_input_from(exc: ValidationError) -> InvalidInput:
    """The first pydantic error as the contract's error: a code, a sentence, a field path."""
    first = exc.errors(include_url=False)[0]
    kind = first["type"]
    code = _CODES.get(kind) or (kind if kind in _CUSTOM else "invalid_input")
    field = ".".join(str(part) for part in first["loc"]) or None
    if kind == "extra_forbidden":
        message = f"Unknown field '{field}'."
    elif kind == "missing":
        message = f"Field '{field}' is required."
    else:
        message = f"{field}: {first['msg']}" if field else first["msg"]
    return InvalidInput(message, code=code, field=field)
