"""The whole local stack, started in order and stopped in reverse: moto, tables, API, pump, demo, schedule."""
from __future__ import annotations

import importlib
import logging
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from chalicelib.devstack import devfile
from chalicelib.devstack.options import DevOptions, point_at_local_aws

log = logging.getLogger("loopdesk.devstack")
REPO_ROOT = Path(__file__).resolve().parents[2]
CATCH_UP_SECONDS = 10.0  # so that the dashboard shows the whole demo at once


@dataclass(frozen=True)
class Ready:
    """What the stack tells the world once it is up (dev.json, plus figures for the banner)."""

    api_url: str
    aws_url: str
    admin_token: str
    workspace_id: Optional[str]
    token: Optional[str]
    demo_runs: int


class LocalStack:
    """Owns every moving part; `stop` is safe to call at any point of `start`."""

    def __init__(self, options: DevOptions) -> None:
        self.options = options
        self._stoppers: list[tuple[str, Callable[[], None]]] = []
        self._admin_token: Optional[str] = None

    def start(self) -> Ready:
        from chalicelib import auth
        from chalicelib.config import Settings
        from chalicelib.devstack import aws, demo
        from chalicelib.devstack.client import ApiClient, wait_until_up
        from chalicelib.devstack.outbox import outbox
        from chalicelib.devstack.pump import StreamPump
        from chalicelib.devstack.schedule import Ticker
        from chalicelib.devstack.server import ApiServer
        from chalicelib.devstack.stream_reader import StreamReader

        devfile.remove(self.options.dev_file)  # a stale file would announce a stack that is gone
        embedded = aws.EmbeddedAws()
        self._stoppers.append(("moto", embedded.stop))
        point_at_local_aws(embedded.start(), self.options)

        self._admin_token = auth.new_token(auth.ADMIN_PREFIX)
        os.environ["LOOPDESK_ADMIN_TOKEN_SHA256"] = auth.digest(self._admin_token)
        settings = Settings.from_env()
        stream_arn = aws.provision(settings)
        os.environ["LOOPDESK_SOURCE_STREAM_ARN"] = stream_arn  # read by app.py at import time

        application = _import_app()
        application.reset_store(None)  # connect from this environment on first use

        try:
            server = ApiServer(application.app, "127.0.0.1", self.options.port, outbox)
        except OSError as error:
            raise RuntimeError(f"cannot listen on 127.0.0.1:{self.options.port} ({error.strerror}): "
                               "stop what uses it, or set LOOPDESK_PORT") from None
        server.start()
        self._stoppers.append(("API", server.stop))
        admin = ApiClient(server.url, self._admin_token)
        wait_until_up(admin, "/api/v1/openapi.json")

        reader = StreamReader(aws.client("dynamodbstreams", settings), stream_arn)
        pump = StreamPump(reader, application.aggregate_costs, settings.region,
                          housekeeping=aws.prune_stream_iterators)
        pump.start()
        self._stoppers.append(("stream pump", pump.stop))

        seeded = demo.seed(admin, datetime.now(timezone.utc)) if self.options.demo else None
        if seeded and not pump.wait_until_caught_up(CATCH_UP_SECONDS):
            log.warning("the stream handler has not caught up with the demo data yet (see the errors above)")

        ticker = Ticker(application.governance_tick, self.options.tick_seconds, settings.region)
        ticker.start()
        self._stoppers.append(("schedule", ticker.stop))

        ready = Ready(server.url, embedded.endpoint_url, self._admin_token,
                      seeded.workspace_id if seeded else None, seeded.token if seeded else None,
                      seeded.runs if seeded else 0)
        devfile.write(self.options.dev_file,
                      devfile.dev_info(ready.api_url, ready.admin_token, ready.workspace_id, ready.token))
        return ready

    def stop(self) -> None:
        """Stop what was started, newest first; one part failing does not keep the others running."""
        while self._stoppers:
            name, stop = self._stoppers.pop()
            try:
                stop()
            except Exception:
                log.exception("stopping the %s failed", name)
        if self._admin_token:
            devfile.remove(self.options.dev_file, self._admin_token)


def _import_app() -> Any:
    """The Chalice app module (app.py at the repository root), importable from any working directory."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    return importlib.import_module("app")


def banner(ready: Ready, options: DevOptions) -> str:
    """What `make run` prints once ready: the dashboard URL and one summary line."""
    what = (f"demo workspace 'Demo Bakery' ({ready.workspace_id}) with {ready.demo_runs} runs"
            if ready.workspace_id else "no demo data (LOOPDESK_DEMO=0)")
    return "\n".join([
        f"Dashboard: {devfile.dashboard_url(ready.api_url, ready.token)}",
        f"Loop Desk Cost local stack ready: API {ready.api_url}, embedded AWS {ready.aws_url}, {what}, "
        f"governance tick every {options.tick_seconds:g} s, details in {options.dev_file}. Ctrl-C stops it.",
    ])
