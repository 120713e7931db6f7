"""The pre-commit hook, run for real: `pre-commit try-repo` installs this checkout as a hook
repository (pip install into pre-commit's own virtualenv, dependencies from PyPI) and runs it on
a throwaway git repository, exactly as `repo: <url>, rev: <tag>, hooks: [{id: pwlint}]` would.

try-repo reads a repository's committed state, so the checkout's current files (committed or
not) are first copied into a fresh repository and committed there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, write_tree

pytest.importorskip("pre_commit")

BAD = "import hashlib\n\n\ndef store(user, password):\n    user.digest = hashlib.md5(password.encode()).hexdigest()\n"
GOOD = "import bcrypt\n\n\ndef store(user, password):\n    user.digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt())\n"


def _git(*args: str, cwd: Path) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="pwlint tests", GIT_AUTHOR_EMAIL="tests@pwlint.invalid",
               GIT_COMMITTER_NAME="pwlint tests", GIT_COMMITTER_EMAIL="tests@pwlint.invalid")
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout's files as they are now, committed in a repository of their own."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout of pwlint")
    copy = tmp_path_factory.mktemp("hook-repo")
    listed = _git("ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=REPO).split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    _git("init", "-q", cwd=copy)
    _git("add", "-A", cwd=copy)
    _git("commit", "-q", "-m", "pwlint under test", cwd=copy)
    return copy


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One hook environment for the module: try-repo of a clean repository reuses it across runs."""
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(hook_repo: Path, home: Path, project: Path, *files: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PRE_COMMIT_HOME=str(home), PRE_COMMIT_COLOR="never", NO_COLOR="1")
    env.pop("PYTHONPATH", None)  # the hook must run the installed pwlint, not this checkout
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), "pwlint",
                           "--files", *files], cwd=project, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_tree(tmp_path_factory.mktemp("project"), {
        "pyproject.toml": '[project]\nname = "shop"\n\n[tool.pwlint]\nextend-exclude = ["legacy/"]\n',
        "shop/accounts.py": BAD,
        "shop/security.py": GOOD,
        "legacy/import_users.py": BAD,
        "tests/test_accounts.py": BAD,
    })
    _git("init", "-q", cwd=root)
    _git("add", "-A", cwd=root)
    return root


def test_hook_definition() -> None:
    [hook] = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))

    assert hook["id"] == "pwlint"
    assert hook["language"] == "python"
    assert hook["types_or"] == ["python", "pyi"]
    assert hook["entry"].split() == ["pwlint", "check", "--force-exclude"]


def test_hook_fails_on_a_bad_file_and_passes_on_a_good_one(hook_repo: Path, pre_commit_home: Path,
                                                           project: Path) -> None:
    failing = try_repo(hook_repo, pre_commit_home, project, "shop/accounts.py", "shop/security.py")
    passing = try_repo(hook_repo, pre_commit_home, project, "shop/security.py")

    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "pwlint" in failing.stdout and "Failed" in failing.stdout
    assert "shop/accounts.py:5:19: PW101 [error]" in failing.stdout
    assert "shop/security.py:" not in failing.stdout
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout


def test_configured_excludes_and_test_patterns_apply_to_files_pre_commit_passes(
        hook_repo: Path, pre_commit_home: Path, project: Path) -> None:
    proc = try_repo(hook_repo, pre_commit_home, project, "legacy/import_users.py", "tests/test_accounts.py",
                    "shop/security.py")

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PW101" not in proc.stdout
