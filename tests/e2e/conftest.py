"""The running local stack (`python -m chalicelib.devstack`) as a fixture: one shared per test session."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0


@dataclass
class Stack:
    """A local stack started by the tests: what dev.json says, plus the process and its log."""

    api_url: str
    admin_token: str
    workspace_id: Optional[str]
    token: Optional[str]
    home: Path
    process: subprocess.Popen = field(repr=False)
    log_path: Path = field(repr=False)

    @property
    def dev_file(self) -> Path:
        return self.home / ".loopdesk" / "dev.json"

    def call(self, method: str, path: str, body: Any = None, *, token: Optional[str] = None,
             **kwargs: Any) -> requests.Response:
        """An HTTP call to the stack's API; the bearer defaults to the demo workspace's token."""
        bearer = self.token if token is None else token
        headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
        return requests.request(method, self.api_url + path, json=body, headers=headers, timeout=15, **kwargs)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stack_environment(home: Path, port: int, **extra: str) -> dict[str, str]:
    """The parent's environment without anything that would aim the stack elsewhere, plus the stack's knobs."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("LOOPDESK_") and k not in ("AWS_ENDPOINT_URL", "AWS_PROFILE")}
    env.update({
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "LOOPDESK_PORT": str(port),
        "LOOPDESK_HOME": str(home),
        "LOOPDESK_TICK_SECONDS": "2",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    return env


def start_stack(home: Path, **extra: str) -> Stack:
    """Start the stack and wait for its dev.json; on failure, show what the process printed."""
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "stack.log"
    dev_file = home / ".loopdesk" / "dev.json"
    with log_path.open("wb") as log:  # a file, not a pipe: a full pipe would block the server
        process = subprocess.Popen([sys.executable, "-m", "chalicelib.devstack"], cwd=REPO_ROOT,
                                   env=stack_environment(home, free_port(), **extra),
                                   stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not dev_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            stop_stack_process(process)
            output = log_path.read_text(errors="replace")
            pytest.fail(f"the local stack did not become ready (exit {process.returncode}):\n{output[-8000:]}")
        time.sleep(0.1)
    info = json.loads(dev_file.read_text())
    return Stack(info["api_url"], info["admin_token"], info["workspace_id"], info["token"], home, process, log_path)


def stop_stack_process(process: subprocess.Popen, timeout: float = STOP_TIMEOUT_SECONDS) -> Optional[int]:
    """SIGINT (as Ctrl-C), then SIGKILL if it does not exit in time; the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    return process.returncode


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The local stack with its demo workspace, shared by the whole session."""
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    stop_stack_process(running.process)


@pytest.fixture(scope="session")
def bare_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The local stack without demo data (LOOPDESK_DEMO=0), shared by the whole session."""
    running = start_stack(tmp_path_factory.mktemp("bare-stack"), LOOPDESK_DEMO="0")
    yield running
    stop_stack_process(running.process)


@pytest.fixture
def new_workspace(stack: Stack) -> tuple[str, str]:
    """A fresh workspace on the shared stack: (workspace_id, token)."""
    answer = stack.call("POST", "/api/v1/admin/workspaces", {"name": "E2E", "timezone": "Europe/Berlin"},
                        token=stack.admin_token)
    assert answer.status_code == 201, answer.text
    return answer.json()["workspace_id"], answer.json()["token"]
