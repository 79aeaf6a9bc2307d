"""Tokens: format with checksum, SHA-256 digest at rest, scopes. No I/O here."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import zlib
from dataclasses import dataclass

from chalicelib.errors import Forbidden, Unauthorized

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
WORKSPACE_PREFIX = "ldk"
ADMIN_PREFIX = "ldkop"
RANDOM_LENGTH = 40
SCOPES = ("cost:read", "runs:write", "settings:write")
_TOKEN_RE = re.compile(r"^(?P<prefix>[a-z]+)_(?P<body>[0-9A-Za-z]{32,})_(?P<check>[0-9A-Za-z]{6})$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: one workspace and the scopes of the token used."""

    workspace_id: str
    token_id: str
    scopes: frozenset[str]

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This token lacks the '{scope}' scope.", code="insufficient_scope")


def _checksum(body: str) -> str:
    value = zlib.crc32(body.encode("ascii"))
    chars = []
    for _ in range(6):
        value, rem = divmod(value, 62)
        chars.append(BASE62[rem])
    return "".join(reversed(chars))


def new_token(prefix: str = WORKSPACE_PREFIX) -> str:
    """A fresh random token: `<prefix>_<40 base62>_<6-char CRC32 checksum>`."""
    body = "".join(secrets.choice(BASE62) for _ in range(RANDOM_LENGTH))
    return f"{prefix}_{body}_{_checksum(body)}"


def digest(token: str) -> str:
    """The only form in which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def is_well_formed(token: str, prefix: str) -> bool:
    """Format and checksum, checked before any database read."""
    match = _TOKEN_RE.match(token)
    if not match or match.group("prefix") != prefix:
        return False
    return hmac.compare_digest(_checksum(match.group("body")), match.group("check"))


def bearer_token(headers: dict[str, str] | None) -> str:
    """The token of an `Authorization: Bearer ...` header, or 401."""
    value = ""
    for name, header in (headers or {}).items():
        if name.lower() == "authorization":
            value = header
            break
    if not value:
        raise Unauthorized("Send 'Authorization: Bearer <token>'.", code="missing_token")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.", code="invalid_token")
    return token.strip()


def check_admin(headers: dict[str, str] | None, admin_digest: str) -> None:
    """The operator's token: well formed and matching the stage's stored digest."""
    token = bearer_token(headers)
    if not is_well_formed(token, ADMIN_PREFIX) or not admin_digest:
        raise Unauthorized("This is not a valid admin token.", code="invalid_token")
    if not hmac.compare_digest(digest(token), admin_digest):
        raise Unauthorized("This is not a valid admin token.", code="invalid_token")
