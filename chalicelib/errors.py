"""Typed errors of the public contract, mapped to HTTP at the edge (app.py)."""
from __future__ import annotations


class LoopDeskError(Exception):
    """Base of every error the API answers with `{"error": {code, message, field}}`."""

    STATUS_CODE = 400
    CODE = "invalid_input"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.CODE
        self.field = field
        self.headers = headers or {}

    def to_body(self) -> dict:
        error: dict = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        return {"error": error}


class InvalidInput(LoopDeskError):
    STATUS_CODE = 400
    CODE = "invalid_input"


class Unauthorized(LoopDeskError):
    STATUS_CODE = 401
    CODE = "unauthorized"


class Forbidden(LoopDeskError):
    STATUS_CODE = 403
    CODE = "insufficient_scope"


class NotFound(LoopDeskError):
    STATUS_CODE = 404
    CODE = "not_found"


class Conflict(LoopDeskError):
    STATUS_CODE = 409
    CODE = "conflict"


class PayloadTooLarge(LoopDeskError):
    STATUS_CODE = 413
    CODE = "payload_too_large"


class DeskPaused(LoopDeskError):
    STATUS_CODE = 423
    CODE = "desk_paused"


class Throttled(LoopDeskError):
    STATUS_CODE = 429
    CODE = "throttled"


class NotImplementedYet(LoopDeskError):
    STATUS_CODE = 501
    CODE = "not_implemented"
