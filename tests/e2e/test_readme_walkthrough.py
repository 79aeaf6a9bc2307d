"""The README's curl walk-through, run verbatim against the local stack."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.e2e.conftest import REPO_ROOT, Stack

pytestmark = pytest.mark.e2e

WALKTHROUGH = re.compile(r"<!-- walkthrough:start -->\s*```bash\n(?P<script>.*?)```\s*<!-- walkthrough:end -->",
                         re.DOTALL)


def walkthrough_script() -> str:
    found = WALKTHROUGH.findall((REPO_ROOT / "README.md").read_text())
    assert len(found) == 1, "README.md needs exactly one ```bash block between the walkthrough markers"
    return found[0]


def test_the_readme_walkthrough_runs_verbatim(stack: Stack) -> None:
    # GIVEN the README's block, and the stack's home holding .loopdesk/dev.json (as `make run` leaves it)
    assert shutil.which("curl"), "curl is required by the README walk-through"
    script = stack.home / "walkthrough.sh"
    script.write_text(walkthrough_script())
    # WHEN bash runs it from there, stopping at the first failure
    done = subprocess.run(["bash", "-euo", "pipefail", str(script)], cwd=stack.home, capture_output=True,
                          text=True, timeout=60)
    # THEN every step succeeds: the run is stored, then replayed
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert re.findall(r" -> (\d{3})", done.stdout) == ["201", "200"], done.stdout
    # AND the run can be read through the API with the workspace's token
    token = re.search(r"^TOKEN=(\S+)$", done.stdout, re.MULTILINE).group(1)
    answer = stack.call("GET", "/api/v1/runs/run-0001", token=token)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["cost_usd"], answer.json()["task_id"]) == ("0.420000", "menu-update")
    page = stack.call("GET", "/api/v1/runs", token=token, params={"task_id": "menu-update"})
    assert [r["run_id"] for r in page.json()["runs"]] == ["run-0001"]
