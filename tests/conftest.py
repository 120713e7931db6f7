"""Helpers shared by the end-to-end tests: build a project tree, run pwlint as a user would.

Imported as `from conftest import ...` (tests/ is on sys.path under pytest's default import mode).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Mapping

REPO = Path(__file__).resolve().parents[1]


def write_tree(root: Path, files: Mapping[str, str]) -> Path:
    """Create `files` (relative path -> text) under `root` and return `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def run_pwlint(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`python -m pwlint ARGS` in `cwd`, importing pwlint from this checkout whatever is installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["NO_COLOR"] = "1"
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, "-m", "pwlint", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )


# A small, valid user rule in the documented YAML format: pickling is a reversible encoding, not a hash.
PICKLE_RULE = """\
id: XX901
name: pickled-password
category: reversible-password-storage
severity: warning
precision: medium
cwe: [257]
message: "Password `{password}` is serialised with {callee}, which anyone can reverse; store a password hash"
summary: Flags passwords serialised with pickle or marshal.
why: |
  Serialising is an encoding, not a hash: whoever reads the stored bytes gets the password back.
fix: |
  Store `argon2.PasswordHasher().hash(password)` instead of the password itself.
references:
  - https://cwe.mitre.org/data/definitions/257.html
examples:
  bad:
    - |
      import pickle

      def save(user, password):
          user.blob = pickle.dumps(password)
    - |
      from pickle import dumps as serialise

      def save(store, new_password):
          store.put("secret", serialise(new_password.encode()))
  good:
    - |
      import pickle

      def save(user, settings):
          user.blob = pickle.dumps(settings)
    - |
      import argon2, pickle

      def save(user, password):
          user.blob = pickle.dumps(argon2.PasswordHasher().hash(password))
match:
  - call: [pickle.dumps, pickle.dump, marshal.dumps, marshal.dump]
    where:
      - arg: {pos: 0, kw: obj}
        is: password
"""


VALIDATE_SARIF = REPO.parent / "shared" / "tools" / "validate-sarif"


def assert_valid_sarif(report: Path) -> None:
    """../shared/tools/validate-sarif (schema and GitHub's ingestion rules) accepts the file. Skips
    where the validator is absent or cannot install its Multitool (no network)."""
    import pytest

    if not VALIDATE_SARIF.is_file():
        pytest.skip(f"{VALIDATE_SARIF} not present")
    env = dict(os.environ, PYTHON=sys.executable)
    check = subprocess.run(["bash", str(VALIDATE_SARIF), str(report)], capture_output=True, text=True, env=env,
                           timeout=600, check=False)
    if check.returncode == 2 and "could not install" in check.stderr:
        pytest.skip(f"validate-sarif cannot run here: {check.stderr.strip()}")
    assert check.returncode == 0, check.stdout + check.stderr
