"""The local stack's own knobs, and the process environment it gives the app and boto3."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import MutableMapping

REGION = "us-east-1"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
LOCAL_SIGNING_SECRET = "loopdesk-local-signing-secret"


class OptionError(ValueError):
    """An environment variable of the local stack has an unusable value."""


@dataclass(frozen=True)
class DevOptions:
    """What `make run` reads: LOOPDESK_PORT, LOOPDESK_TICK_SECONDS, LOOPDESK_DEMO, LOOPDESK_HOME."""

    port: int
    tick_seconds: float
    demo: bool
    home: Path

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def dev_file(self) -> Path:
        """`.loopdesk/dev.json` under LOOPDESK_HOME (default: the current directory)."""
        return self.home / ".loopdesk" / "dev.json"

    @classmethod
    def from_env(cls, env: MutableMapping[str, str] | None = None) -> "DevOptions":
        env = os.environ if env is None else env
        port = _number(env, "LOOPDESK_PORT", "8000", int)
        if not 1 <= port <= 65535:
            raise OptionError("LOOPDESK_PORT must be a TCP port (1..65535).")
        tick = _number(env, "LOOPDESK_TICK_SECONDS", "60", float)
        if tick <= 0:
            raise OptionError("LOOPDESK_TICK_SECONDS must be a positive number of seconds.")
        demo = env.get("LOOPDESK_DEMO", "1").strip().lower() not in ("0", "false", "no", "off")
        home = Path(env.get("LOOPDESK_HOME") or os.getcwd()).resolve()
        return cls(port=port, tick_seconds=tick, demo=demo, home=home)


def _number(env: MutableMapping[str, str], name: str, default: str, kind: type) -> int | float:
    raw = env.get(name, "").strip() or default
    try:
        return kind(raw)
    except ValueError:
        raise OptionError(f"{name} must be a number, not {raw!r}.") from None


def point_at_local_aws(endpoint_url: str, options: DevOptions, env: MutableMapping[str, str] | None = None) -> None:
    """Aim every boto3 client of this process at moto (before any client exists) and mark the stage local.

    Credentials are always the dummy ones: nothing here may reach a real account.
    """
    env = os.environ if env is None else env
    env.pop("AWS_PROFILE", None)
    env.update(DUMMY_CREDENTIALS)
    env.update({
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "LOOPDESK_STAGE": "local",
        "LOOPDESK_ALLOW_PRIVATE_URLS": "1",
    })
    env.setdefault("LOOPDESK_PUBLIC_BASE_URL", options.api_url)
    env.setdefault("LOOPDESK_SIGNING_SECRET", LOCAL_SIGNING_SECRET)
