"""Server-chosen ids."""
from __future__ import annotations

import secrets

from chalicelib.auth import BASE62


def new_id(prefix: str, length: int = 20) -> str:
    return f"{prefix}_" + "".join(secrets.choice(BASE62) for _ in range(length))
