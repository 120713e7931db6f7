"""The wheel a user installs: built from this checkout, installed into a fresh virtualenv.

The built-in rules live in the top-level `rules/` folder and reach the wheel only through
pyproject's force-include, so a packaging mistake would give an installed pwlint with no rules
while every in-repository test still passed. This test installs the wheel away from the checkout
and runs the `pwlint` script itself. One module-scoped fixture builds and installs once.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, write_tree


def _run(args: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["NO_COLOR"] = "1"
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def _checked(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = _run(args, cwd)
    assert proc.returncode == 0, f"{' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


class Installed:
    def __init__(self, wheel: Path, venv: Path, work: Path) -> None:
        self.wheel = wheel
        self.venv = venv
        self.work = work
        scripts = venv / ("Scripts" if sys.platform == "win32" else "bin")
        self.python = scripts / "python"
        self.pwlint = scripts / "pwlint"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    # Build in an isolated environment (hatchling from PyPI) unless hatchling is already here.
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-isolation"]
    _checked([sys.executable, "-m", "build", "--wheel", *isolation, "--outdir", str(dist), str(REPO)], base)
    [wheel] = dist.glob("pwlint-*.whl")

    venv = base / "venv"
    _checked([sys.executable, "-m", "venv", str(venv)], base)
    installed = Installed(wheel, venv, base / "work")
    installed.work.mkdir()
    _checked([str(installed.python), "-m", "pip", "install", "--quiet", str(wheel)], base)
    return installed


def test_wheel_carries_the_rules(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as archive:
        names = set(archive.namelist())

    assert "pwlint/rules/PW101-fast-hash-password.yaml" in names
    assert "pwlint/profiles.yaml" in names
    packaged = {name.split("/")[-1] for name in names if name.startswith("pwlint/rules/")}
    assert packaged == {path.name for path in (REPO / "rules").glob("*.yaml")}
    assert not any(name.startswith(("tests/", "rules/")) for name in names)
    catalogues = {name.split("/")[-1] for name in names if name.startswith("pwlint/catalogues/")}
    assert catalogues == {path.name for path in (REPO / "pwlint" / "catalogues").glob("*.yaml")}


def test_installed_pwlint_reads_rules_from_the_wheel(installed: Installed) -> None:
    proc = _checked([str(installed.python), "-c", "import pwlint.ruleset as r; print(r.builtin_rules_dir())"],
                    installed.work)

    rules_dir = Path(proc.stdout.strip())
    assert rules_dir.name == "rules" and rules_dir.parent.name == "pwlint"
    assert installed.venv.resolve() in rules_dir.resolve().parents  # not the checkout's rules/


def test_installed_pwlint_rules(installed: Installed) -> None:
    proc = _checked([str(installed.pwlint), "rules"], installed.work)

    assert any(line.split()[:2] == ["PW101", "fast-hash-password"] for line in proc.stdout.splitlines())


def test_installed_pwlint_check(installed: Installed) -> None:
    write_tree(installed.work, {"accounts.py": (
        "import hashlib\n"
        "\n"
        "\n"
        "def store(user, password):\n"
        "    user.password_hash = hashlib.md5(password.encode()).hexdigest()\n"
    )})

    proc = _run([str(installed.pwlint), "check", "accounts.py", "--quiet"], installed.work)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout.startswith("accounts.py:5:26: PW101 [error] Password `password` is hashed with the fast hash "
                                  "hashlib.md5")


def test_installed_pwlint_report(installed: Installed) -> None:
    write_tree(installed.work, {"accounts.py": "import hashlib\n\ndef store(user, password):\n"
                                               "    user.password_hash = hashlib.md5(password.encode()).hexdigest()\n"})

    proc = _checked([str(installed.pwlint), "report", "accounts.py", "--standard", "pci-dss-4.0.1", "--format", "md"],
                    installed.work)

    assert "| 8.3.2 | Authentication factors unreadable in transmission and storage | ❌ Fail |" in proc.stdout


def test_installed_python_m_pwlint_explain(installed: Installed) -> None:
    proc = _checked([str(installed.python), "-m", "pwlint", "explain", "PW101"], installed.work)

    assert proc.stdout.startswith("PW101 fast-hash-password")
