"""Scan large, real code with this checkout of pwlint and account for every file.

    python benchmarks/scale.py [--keep DIR] [--jobs N] [--findings FILE]

The targets are the running interpreter's standard library (its `Lib`, without `site-packages`)
and the installed sources of Django, SQLAlchemy, Flask, requests, cryptography and passlib,
which pip downloads into a temporary virtual environment (`--keep DIR` reuses or keeps one).

Each target is scanned twice, as separate `python -m pwlint` processes:

1. **Every file.** No excludes, test files included, `--no-prefilter`: every `.py` and `.pyi`
   file is read and parsed. A crash is an exit code other than 0 or 1, or a traceback on stderr.
   Every file an independent walk finds must be accounted for: scanned, or listed as a problem
   with a reason (`problems` at line 0 were not read; those at a line were read but not parsed).
2. **As a user runs it.** The default settings (tests skipped, the prefilter on). Its findings are
   listed for review (`--findings FILE` writes them as JSON).

Time and peak memory (the largest resident set of pwlint and its workers) are per process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import venv
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("django", "sqlalchemy", "flask", "requests", "cryptography", "passlib")
CRASH_CODES = (0, 1)


@dataclass
class Run:
    """One pwlint process: its exit code, report, stderr, wall time and peak memory."""

    code: int
    report: dict
    stderr: str
    seconds: float
    peak_mb: float

    @property
    def crashed(self) -> bool:
        return self.code not in CRASH_CODES or "Traceback" in self.stderr


@dataclass
class Target:
    name: str
    path: Path
    exclude: list[str] = field(default_factory=list)  # relative to the target: not part of it


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="a folder for the virtual environment, reused if present")
    parser.add_argument("--jobs", type=int, default=0, help="pwlint --jobs (default: pwlint's)")
    parser.add_argument("--findings", type=Path, help="write the default run's findings here as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pwlint-scale-") as scratch:
        environment = args.keep or Path(scratch) / "venv"
        targets = [_stdlib()] + _packages(environment)
        failures, findings = 0, []
        print(f"{'target':<14}{'found':>7}{'scanned':>8}{'parsed':>8}{'skipped':>8}{'crash':>6}"
              f"{'every s':>9}{'MB':>7}{'default s':>10}{'MB':>7}{'findings':>9}")
        for target in targets:
            every = _every_file(target, Path(scratch), args.jobs)
            default = _pwlint([str(target.path), "--isolated"], target.path, args.jobs)
            found = _walk(target)
            failures += _report_row(target, found, every, default)
            findings += [{"target": target.name, **finding} for finding in default.report.get("findings", [])]
        for item in findings:
            print(f"{item['target']}: {item['path']}:{item['line']}: {item['rule_id']} {item['message']}")
        if args.findings:
            args.findings.write_text(json.dumps(findings, indent=2) + "\n", encoding="utf-8")
    print("ok: no crash, every file accounted for" if not failures else f"FAILED: {failures} target(s)")
    return 1 if failures else 0


def _stdlib() -> Target:
    import sysconfig

    return Target("stdlib", Path(sysconfig.get_paths()["stdlib"]), exclude=["site-packages"])


def _packages(environment: Path) -> list[Target]:
    """Install the packages into their own environment (once) and find each one's source folder."""
    python = environment / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not python.exists():
        venv.create(environment, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PACKAGES], check=True)
    code = "import importlib, json, sys; print(json.dumps({n: importlib.import_module(n).__path__[0] for n in sys.argv[1:]}))"
    found = subprocess.run([str(python), "-c", code, *PACKAGES], check=True, capture_output=True, text=True)
    return [Target(name, Path(path)) for name, path in json.loads(found.stdout).items()]


def _every_file(target: Target, scratch: Path, jobs: int) -> Run:
    """No excludes, tests included, every file parsed: the crash and accounting run."""
    config = scratch / f"{target.name}.toml"
    config.write_text('exclude = []\ninclude-tests = true\nrespect-gitignore = false\n'
                      f"extend-exclude = {json.dumps(target.exclude)}\n", encoding="utf-8")
    return _pwlint([str(target.path), "--config", str(config), "--no-prefilter"], target.path, jobs)


# `python -m pwlint` run inside a package puts the package on sys.path first, where SQLAlchemy's
# `types.py` and `inspect.py` shadow the standard library's; so the current folder is dropped.
_RUN_PWLINT = "import sys; del sys.path[0]; import runpy; runpy.run_module('pwlint', run_name='__main__', alter_sys=True)"


def _pwlint(args: list[str], cwd: Path, jobs: int) -> Run:
    """Run this checkout's pwlint; wait4 gives the peak resident set of it and its workers."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        report = Path(handle.name)
    command = [sys.executable, "-c", _RUN_PWLINT, "check", *args, "--format", "json", "--output", str(report),
               "--no-cache", "--exit-zero", *(["--jobs", str(jobs)] if jobs else [])]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    start = time.monotonic()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    stderr = process.stderr.read() if process.stderr else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    try:
        parsed = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        parsed = {}
    finally:
        report.unlink(missing_ok=True)
    return Run(process.returncode, parsed, stderr, seconds, usage.ru_maxrss / 1024)


def _walk(target: Target) -> set[str]:
    """Every .py and .pyi entry under the target, found without pwlint, links not followed."""
    found = set()
    for directory, subdirectories, names in os.walk(target.path):
        relative = Path(directory).relative_to(target.path)
        subdirectories[:] = [d for d in subdirectories if str(relative / d) not in target.exclude]
        found.update(str(relative / n) for n in names if n.endswith((".py", ".pyi")))
    return found


def _report_row(target: Target, found: set[str], every: Run, default: Run) -> int:
    scope = every.report.get("scope", {})
    problems = every.report.get("problems", [])
    unread = [p for p in problems if p["line"] < 1]
    accounted = scope.get("files_scanned", 0) + len(unread)
    crashed = every.crashed or default.crashed
    findings = len(default.report.get("findings", []))
    print(f"{target.name:<14}{len(found):>7}{scope.get('files_scanned', 0):>8}{scope.get('files_parsed', 0):>8}"
          f"{len(problems):>8}{'yes' if crashed else 'no':>6}{every.seconds:>9.1f}{every.peak_mb:>7.0f}"
          f"{default.seconds:>10.1f}{default.peak_mb:>7.0f}{findings:>9}")
    for problem in problems:
        print(f"    {problem['path']}:{problem['line']}: {problem['message']}")
    if crashed:
        print(f"    crash: exit {every.code}/{default.code}\n{every.stderr}{default.stderr}")
    if accounted != len(found):
        print(f"    not accounted for: {len(found)} found, {accounted} scanned or skipped")
    return int(crashed or accounted != len(found))


if __name__ == "__main__":
    sys.exit(main())
