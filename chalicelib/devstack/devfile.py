"""`.loopdesk/dev.json`: how tools and tests find the running local stack (written once it is ready)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional


def dev_info(api_url: str, admin_token: str, workspace_id: Optional[str], token: Optional[str]) -> dict[str, Any]:
    return {"api_url": api_url, "admin_token": admin_token, "workspace_id": workspace_id, "token": token}


def write(path: Path, info: dict[str, Any]) -> None:
    """Atomically (readers never see half a file), readable by the owner only: it holds the admin token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(info, handle, indent=2)
        handle.write("\n")
    os.replace(partial, path)


def remove(path: Path, admin_token: Optional[str] = None) -> None:
    """Remove a dev.json (a stale one at start; ours at exit, unless another stack has replaced it)."""
    try:
        if admin_token is not None and json.loads(path.read_text()).get("admin_token") != admin_token:
            return
        path.unlink()
    except (FileNotFoundError, ValueError):
        pass


def dashboard_url(api_url: str, token: Optional[str]) -> str:
    return f"{api_url}/dashboard#token={token}" if token else f"{api_url}/dashboard"
