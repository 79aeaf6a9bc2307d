"""The deployment package builds offline and its template validates."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_chalice_package_builds_a_valid_template(tmp_path):
    # GIVEN the dev stage WHEN it is packaged
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    env.pop("AWS_ENDPOINT_URL", None)
    chalice = Path(sys.executable).parent / "chalice"
    result = subprocess.run([str(chalice), "package", "--stage", "dev", str(tmp_path / "out")], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    # THEN it has the API, the stream function and the schedule, on python3.11
    template = json.loads((tmp_path / "out" / "sam.json").read_text())
    resources = template["Resources"]
    functions = {name: r for name, r in resources.items() if r["Type"] == "AWS::Serverless::Function"}
    assert {"APIHandler", "AggregateCosts", "GovernanceTick"} <= set(functions)
    assert all(f["Properties"]["Runtime"] == "python3.11" for f in functions.values())
    events = functions["AggregateCosts"]["Properties"]["Events"]
    assert any(e["Type"] == "DynamoDB" for e in events.values())
    # and the package carries the library but not the tests
    names = zipfile.ZipFile(tmp_path / "out" / "deployment.zip").namelist()
    assert "app.py" in names and "chalicelib/aggregation/apply.py" in names
    assert not any(n.startswith("tests/") for n in names)
    # E2533: cfn-lint's data says python3.11 was deprecated on 2026-06-30 (creation disabled 2026-07-31).
    # The brief pins python3.11; the runtime question is raised in the closing note, not hidden here.
    lint = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(tmp_path / "out" / "sam.json"),
                           "--ignore-checks", "E2533"],
                          capture_output=True, text=True, timeout=300)
    assert lint.returncode in (0, 4), lint.stdout + lint.stderr  # 4 = warnings only
