"""Everything the benchmark fetches or installs, pinned, in its own cache folder.

Nothing here trusts what happens to be installed: the peers get one virtualenv, pwlint another
built from this checkout, and the inputs are released sdists fetched with pip (PyPI is the one
source a user's machine, CI and a locked-down sandbox all reach).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from bench_measure import EXIT_PWLINT, EXIT_SETUP, BenchError

PEERS = {"bandit": "bandit==1.9.4", "semgrep": "semgrep==1.180.0", "ruff": "ruff==0.17.6"}


@dataclass(frozen=True)
class Input:
    """A released project to scan, pinned exactly so results compare across machines and dates."""

    name: str
    requirement: str
    why: str


INPUTS = {
    "django": Input("django", "django==5.1.4",
                    "the tree issue 6's targets are set on; its auth app hashes and checks passwords"),
    "ansible-core": Input("ansible-core", "ansible-core==2.17.7",
                          "writes generated passwords to files, hashes them with crypt and passlib, "
                          "and passes become and connection passwords around"),
}
QUICK_SUBFOLDER = "django/contrib/auth"


@dataclass(frozen=True)
class Prepared:
    """An extracted input: where it is and what exactly was fetched."""

    name: str
    requirement: str
    archive: str
    sha256: str
    root: Path


@dataclass(frozen=True)
class Tool:
    """A tool the benchmark can run, or the reason it cannot."""

    name: str
    executable: Path | None
    version: str | None
    reason: str | None = None


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


def _run(argv: Sequence[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, capture_output=True, text=True, check=False,
                          stdin=subprocess.DEVNULL)


def _why(result: subprocess.CompletedProcess[str]) -> str:
    """The line that says why pip or venv failed: pip's last ``ERROR:`` line (indented when it
    comes from a build subprocess), else the last line."""
    lines = [line.strip() for line in (result.stderr or result.stdout).strip().splitlines()]
    errors = [line for line in lines if line.startswith("ERROR")]
    return (errors or lines or [f"exit code {result.returncode}"])[-1][:300]


def make_venv(path: Path) -> Path:
    """A virtualenv at ``path`` (reused when present); returns its python."""
    python = _bin(path, "python")
    if not python.exists():
        result = _run([sys.executable, "-m", "venv", str(path)])
        if result.returncode != 0:
            raise BenchError(f"cannot create a virtualenv at {path}: {_why(result)}", EXIT_SETUP)
    return python


def _pip_install(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return _run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args])


def install_pwlint(venv: Path, checkout: Path) -> Tool:
    """pwlint as a user installs it, from this checkout; reinstalled every time so the numbers
    belong to the code in the checkout, not to whatever an earlier run left."""
    python = make_venv(venv)
    for args in ([str(checkout)], ["--no-deps", "--force-reinstall", str(checkout)]):
        result = _pip_install(python, *args)
        if result.returncode != 0:
            raise BenchError(f"cannot install pwlint from {checkout}: {_why(result)}", EXIT_PWLINT)
    return _tool("pwlint", _bin(venv, "pwlint"))


def install_peers(venv: Path, names: Iterable[str]) -> dict[str, Tool]:
    """One pinned install per peer, so one that PyPI cannot serve leaves the others measured."""
    python = make_venv(venv)
    tools = {}
    for name in names:
        result = _pip_install(python, PEERS[name])
        tools[name] = (_tool(name, _bin(venv, name)) if result.returncode == 0
                       else Tool(name, None, None, f"cannot install {PEERS[name]}: {_why(result)}"))
    return tools


def _tool(name: str, executable: Path) -> Tool:
    result = _run([str(executable), "--version"])
    if result.returncode != 0 or not result.stdout.strip():
        return Tool(name, None, None, f"{executable} --version failed: {_why(result)}")
    return Tool(name, executable, result.stdout.strip().splitlines()[0].split()[-1])


def pwlint_features(pwlint: Path) -> frozenset[str]:
    """The speed options this pwlint has; a run skips what needs the others, so the script works
    before and after they land."""
    help_text = _run([str(pwlint), "check", "--help"]).stdout
    flags = {"jobs": "--jobs", "cache": "--no-cache"}
    return frozenset(feature for feature, flag in flags.items() if flag in help_text)


def prepare_input(spec: Input, cache: Path, python: Path) -> Prepared:
    """Fetch and extract ``spec`` once; later runs reuse the extracted tree."""
    downloads = cache / "downloads" / spec.name
    archive = _download(spec, downloads, python)
    root = cache / "inputs" / spec.name
    if not root.exists():
        _extract(archive, root)
    trees = [entry for entry in root.iterdir() if entry.is_dir()]
    if len(trees) != 1:
        raise BenchError(f"{archive.name} does not hold one top-level folder; remove {root} and retry",
                         EXIT_SETUP)
    tree = trees[0]
    if not (tree / "pyproject.toml").exists():
        # pwlint's project root, and so its cache, is the nearest folder with pyproject.toml or
        # .git; without one it would climb into this checkout.
        (tree / "pyproject.toml").write_text("", encoding="utf-8")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    return Prepared(spec.name, spec.requirement, archive.name, digest, tree)


def _download(spec: Input, downloads: Path, python: Path) -> Path:
    archives = sorted(downloads.glob("*.tar.gz")) if downloads.exists() else []
    if not archives:
        # --ignore-requires-python: only the source is needed, not an install for this Python.
        result = _run([str(python), "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                       "--no-deps", "--no-binary", ":all:", "--ignore-requires-python",
                       "--dest", str(downloads), spec.requirement])
        archives = sorted(downloads.glob("*.tar.gz")) if downloads.exists() else []
        if result.returncode != 0 or len(archives) != 1:
            raise BenchError(f"cannot download {spec.requirement}: {_why(result)}", EXIT_SETUP)
    return archives[0]


def _extract(archive: Path, root: Path) -> None:
    """Extract beside ``root`` and rename, so an interrupted run never leaves half a tree."""
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        with tarfile.open(archive) as tar:
            _safe_extract(tar, partial)
    except (tarfile.TarError, OSError, ValueError) as error:
        raise BenchError(f"cannot extract {archive.name}: {error}", EXIT_SETUP) from None
    partial.rename(root)


def _safe_extract(tar: tarfile.TarFile, destination: Path) -> None:
    """Keep every member inside ``destination`` on Pythons without tarfile's ``data`` filter."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(destination, filter="data")
        return
    for member in tar.getmembers():
        target = (destination / member.name).resolve()
        if destination.resolve() not in target.parents or member.issym() or member.islnk():
            raise ValueError(f"unsafe member {member.name}")
    tar.extractall(destination)


def checkout_revision(checkout: Path) -> str | None:
    """The commit measured, marked dirty when the checkout has uncommitted changes."""
    if shutil.which("git") is None:
        return None
    result = _run(["git", "describe", "--always", "--dirty"], cwd=checkout)
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def machine_info() -> dict[str, object]:
    """What a reader needs to judge the numbers: cores, CPU, memory, Python and the load
    already on the machine when the run started (other jobs make timings noisy)."""
    return {
        "cpu_count": os.cpu_count(),
        "cpu": _proc_field("/proc/cpuinfo", "model name") or platform.processor() or None,
        "memory_gib": _memory_gib(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _proc_field(path: str, key: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                name, _, value = line.partition(":")
                if name.strip() == key:
                    return value.strip()
    except OSError:
        return None
    return None


def _memory_gib() -> float | None:
    total = _proc_field("/proc/meminfo", "MemTotal")
    return round(int(total.split()[0]) / 2**20, 1) if total else None
