"""The composite GitHub Action (action.yml): its wiring, and its scan step run for real in bash with
the environment the Actions runner gives it (GITHUB_OUTPUT, RUNNER_TEMP, inputs as env)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO, write_tree

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
STEPS = {step["id"] if "id" in step else step["name"]: step for step in ACTION["runs"]["steps"]}
MD5 = "import hashlib\n\n\ndef store(user, password):\n    user.digest = hashlib.md5(password.encode()).hexdigest()\n"
COMPARE = "def check(user, password):\n    return user.password == password\n"  # PW601, a warning
EXPRESSION = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


def test_every_expression_names_a_declared_input_or_step_output() -> None:
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    for expression in EXPRESSION.findall(text):
        for name in re.findall(r"inputs\.([\w-]+)", expression):
            assert name in ACTION["inputs"], expression
        for step, output in re.findall(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression):
            assert step in STEPS, expression
            assert f"{output}=" in STEPS[step]["run"], expression


def test_sarif_is_uploaded_before_the_build_fails() -> None:
    steps = ACTION["runs"]["steps"]
    names = [step.get("id") or step["name"] for step in steps]
    upload = steps[names.index("Upload to code scanning")]

    assert ACTION["runs"]["using"] == "composite"
    assert upload["uses"] == "github/codeql-action/upload-sarif@v4"
    assert upload["with"] == {"sarif_file": "${{ inputs.sarif-file }}", "category": "${{ inputs.category }}"}
    assert names.index("Upload to code scanning") < names.index("Fail on findings")
    assert "inputs." not in STEPS["scan"]["run"]  # inputs reach the script as env, never spliced into it


def run_scan_step(project: Path, tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run the scan step's script as the runner would, with pwlint from this checkout."""
    values = {name: spec.get("default", "") for name, spec in ACTION["inputs"].items()} | inputs
    wrapper = tmp_path / "bin" / "pwlint"
    wrapper.parent.mkdir(exist_ok=True)
    wrapper.write_text(f'#!/bin/sh\nPYTHONPATH="{REPO}" exec "{sys.executable}" -m pwlint "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    outputs = {"install": {"pwlint": str(wrapper)}}
    output_file = tmp_path / "github_output"
    output_file.write_text("", encoding="utf-8")
    env = {key: _evaluate(value, values, outputs) for key, value in STEPS["scan"]["env"].items()}
    env = dict(os.environ, **env, GITHUB_OUTPUT=str(output_file), RUNNER_TEMP=str(tmp_path), NO_COLOR="1")
    env.pop("GITHUB_WORKSPACE", None)
    proc = subprocess.run(["bash", "-e", "-c", STEPS["scan"]["run"]], cwd=project, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    lines = output_file.read_text(encoding="utf-8").splitlines()
    return proc, dict(line.split("=", 1) for line in lines)


def _evaluate(value: Any, inputs: dict[str, str], outputs: dict[str, dict[str, str]]) -> str:
    def one(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression.startswith("inputs."):
            return inputs[expression[len("inputs."):]]
        step, _, output = expression[len("steps."):].partition(".outputs.")
        return outputs[step][output]
    return EXPRESSION.sub(one, str(value))


pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="the action's steps are bash scripts")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "repo", {"pyproject.toml": '[project]\nname = "shop"\n',
                                          "shop/accounts.py": MD5, "shop/views.py": COMPARE, "docs/conf.py": MD5})


def test_findings_write_sarif_and_exit_code_1_without_failing_the_step(project: Path, tmp_path: Path) -> None:
    proc, outputs = run_scan_step(project, tmp_path, paths="shop\n")

    assert proc.returncode == 0, proc.stderr
    assert outputs == {"exit-code": "1"}
    sarif = json.loads((project / "pwlint.sarif").read_text(encoding="utf-8"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert uris == {"shop/accounts.py", "shop/views.py"}  # relative to the repository root, docs/ not scanned


@pytest.mark.parametrize(("fail_on", "code"), [("error", "1"), ("never", "0"), ("", "1")])
def test_fail_on_input(project: Path, tmp_path: Path, fail_on: str, code: str) -> None:
    _, outputs = run_scan_step(project, tmp_path, **{"fail-on": fail_on, "paths": "shop/accounts.py"})

    assert outputs["exit-code"] == code


def test_warnings_below_fail_on_pass(project: Path, tmp_path: Path) -> None:
    _, outputs = run_scan_step(project, tmp_path, **{"fail-on": "error", "paths": "shop/views.py",
                                                      "sarif-file": "report.sarif"})

    assert outputs["exit-code"] == "0"
    assert (project / "report.sarif").is_file()


def test_args_and_config_inputs(project: Path, tmp_path: Path) -> None:
    write_tree(project, {"ci/pwlint.toml": 'select = ["PW6"]\n'})

    _, outputs = run_scan_step(project, tmp_path, config="ci/pwlint.toml", args="--sarif-category pwlint/shop")

    sarif = json.loads((project / "pwlint.sarif").read_text(encoding="utf-8"))
    assert outputs["exit-code"] == "1"
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["PW601"]
    assert sarif["runs"][0]["automationDetails"] == {"id": "pwlint/shop/"}


def test_a_pwlint_error_fails_the_step_with_no_report(project: Path, tmp_path: Path) -> None:
    write_tree(project, {"pyproject.toml": '[tool.pwlint]\nfail-on = "sometimes"\n'})

    proc, outputs = run_scan_step(project, tmp_path)

    assert proc.returncode == 2
    assert outputs == {"exit-code": "2"}
    assert "pyproject.toml:2: fail-on" in proc.stderr
    assert not (project / "pwlint.sarif").exists()
