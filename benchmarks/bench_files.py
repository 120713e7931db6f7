"""The files each scope covers, so that every tool scans exactly the files pwlint scans.

pwlint is given the folder, as users run it; the peers are given the file list this module
computes, because none of them can express pwlint's test-code patterns with its own options (and
Semgrep would skip ``tests/`` on its own). The constants mirror ``pwlint.discovery``'s defaults;
``tests/test_benchmark.py`` keeps them in step, and the benchmark records pwlint's own count
next to each peer's so a drift would show in the results.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

SCOPES = ("default", "all")
SCOPE_TITLES = {"default": "test code skipped", "all": "--include-tests"}

# pwlint.discovery.DEFAULT_TEST_PATTERNS: a trailing "/" names a directory at any depth.
TEST_PATTERNS = ("tests/", "test/", "*_tests/", "*-tests/", "test_*.py", "*_test.py", "tests.py", "conftest.py",
                 "testutils.py", "testutils/", "test_*/")
# pwlint.discovery.DEFAULT_EXCLUDES plus _UNCOUNTED_DIRS, matched against entry names.
EXCLUDED_NAMES = (
    ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints", ".mypy_cache",
    ".nox", ".pants.d", ".pwlint_cache", ".pyenv", ".pytest_cache", ".pytype", ".ruff_cache", ".svn",
    ".tox", ".venv", ".vscode", "__pycache__", "__pypackages__", "_build", "buck-out", "build", "dist",
    "node_modules", "site-packages", "venv", "*.egg-info",
)
PYTHON_SUFFIXES = (".py", ".pyi")

_TEST_DIRS = tuple(p.rstrip("/") for p in TEST_PATTERNS if p.endswith("/"))
_TEST_FILES = tuple(p for p in TEST_PATTERNS if not p.endswith("/"))
_PRE_COMMIT_FILES = 10


def scope_files(root: Path, subfolder: str, scope: str) -> list[str]:
    """Root-relative POSIX paths of the Python files ``scope`` covers under ``root/subfolder``, sorted."""
    skip_tests = scope == "default"
    found = []
    for directory, dirs, files in os.walk(root / subfolder):
        dirs[:] = [d for d in dirs if not _excluded(d) and not (skip_tests and _matches(d, _TEST_DIRS))]
        for name in files:
            if (name.endswith(PYTHON_SUFFIXES) and not _excluded(name)
                    and not (skip_tests and _matches(name, _TEST_FILES))):
                found.append(Path(directory, name).relative_to(root).as_posix())
    return sorted(found)


def _excluded(name: str) -> bool:
    return _matches(name, EXCLUDED_NAMES)


def _matches(name: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, glob) for glob in globs)


def pre_commit_files(root: Path, files: list[str]) -> list[str]:
    """Ten files as a commit might stage them: those that mention passwords first, so the run
    does the work a password-storage linter is for rather than skipping ten unrelated files."""
    chosen: list[str] = []
    for path in files:
        if len(chosen) == _PRE_COMMIT_FILES:
            return chosen
        if b"password" in (root / path).read_bytes().lower():
            chosen.append(path)
    taken = set(chosen)
    return chosen + [f for f in files if f not in taken][:_PRE_COMMIT_FILES - len(chosen)]


def file_to_change(finding_paths: list[str], files: list[str]) -> str:
    """The module edited for the one-file-changed run: one with findings, since its findings
    must be recomputed and may reach other modules; else the first in-scope file."""
    in_scope = set(files)
    return next((path for path in sorted(finding_paths) if path in in_scope), files[0])
