"""What is measured: the command lines of pwlint and its peers, and how each run is prepared.

Every tool writes a JSON report to a file rather than to a terminal, so no tool pays for
colouring or scrolling, and the report gives the files it scanned and what it found, which the
results record next to the times.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from bench_files import pre_commit_files
from bench_measure import EXIT_PWLINT, BenchError, CommandFailed, Sample, run_timed
from bench_report import Result
from bench_setup import Tool

BANDIT_PASSWORD_TESTS = "B105,B106,B107,B303,B324"
PWLINT_CACHE = ".pwlint_cache"

COLD = "pwlint cold"
WARM = "pwlint warm"
TENFOLD = "pwlint cold, 10 copies"
TENFOLD_FOLDER = "tenfold"  # in the target's work folder


@dataclass(frozen=True)
class Target:
    """One input in one scope: the folder pwlint is given and the files the peers are given."""

    input: str
    scope: str
    root: Path
    subfolder: str
    files: tuple[str, ...]
    work: Path


@dataclass(frozen=True)
class Case:
    """One command to measure. ``state`` says how each run starts: ``none``; ``cold`` (pwlint's
    cache removed first); ``warm`` (one untimed run fills the caches); ``edit`` (warm, then
    ``edit`` gets new content before each run). A case that cannot run carries the status and
    reason its result reports instead."""

    name: str
    tool: str
    argv: tuple[str, ...] = ()
    ok_codes: frozenset[int] = frozenset({0})
    state: str = "none"
    compare_to: str | None = None
    edit: str | None = None
    status: str = "ok"
    reason: str | None = None

    @property
    def report(self) -> str:
        return report_name(self.name)


def report_name(case_name: str) -> str:
    """A case's report file, named after the case so that each is unique within a work folder."""
    return "".join(c if c.isalnum() else "-" for c in case_name) + ".json"


def pwlint_cold(pwlint: Tool, target: Target) -> Case:
    """Measured first: its report names the modules with findings, one of which is edited later."""
    return Case(COLD, "pwlint", _pwlint_scan(pwlint, target, COLD), state="cold")


def pwlint_followups(pwlint: Tool, features: frozenset[str], target: Target, changed: str) -> list[Case]:
    """The runs that need this pwlint's cache or ``--jobs``; skipped, with the reason, without them."""
    no_cache = "this pwlint has no result cache (no --no-cache option)"
    cases = [
        _needs("cache", features, no_cache, Case(WARM, "pwlint", _pwlint_scan(pwlint, target, WARM), state="warm")),
        _needs("cache", features, no_cache,
               Case("pwlint, one file changed", "pwlint",
                    _pwlint_scan(pwlint, target, "pwlint, one file changed"), state="edit", edit=changed)),
        *(_needs("jobs", features, "this pwlint has no --jobs option",
                 Case(f"pwlint --jobs {jobs}, cold", "pwlint",
                      _pwlint_scan(pwlint, target, f"pwlint --jobs {jobs}, cold", "--jobs", str(jobs)),
                      state="cold", compare_to=COLD))
          for jobs in _job_counts()),
    ]
    if target.scope == "default":
        cases += [_pre_commit(pwlint, target), _tenfold(pwlint, target)]
    return cases


def _tenfold(pwlint: Tool, target: Target) -> Case:
    """Cost must grow linearly: the scope's files ten times over, in ten folders side by side
    (`copy_tenfold`), cold and without a cache; its ratio is how many times longer than cold it
    takes, at most 10 when growth is linear. `default` scope only: ten times the whole tree would
    add minutes to the benchmark and say nothing more."""
    return Case(TENFOLD, "pwlint", (str(pwlint.executable), "check", "--isolated", "--exit-zero", "--no-cache",
                                    "--format", "json", "--output", str(target.work / report_name(TENFOLD)),
                                    str(target.work / TENFOLD_FOLDER)),
                state="cold", compare_to=COLD)


def copy_tenfold(target: Target) -> None:
    """The scope's files, copied into `copy0/` ... `copy9/` of the target's work folder, with a
    `pyproject.toml` that makes the folder its own project: else pwlint would take the checkout
    holding the work folder for the root, and skip the copies as ignored by its `.gitignore`."""
    folder = target.work / TENFOLD_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text("# the root of the benchmark's ten copies\n", encoding="utf-8")
    for copy in range(10):
        for path in target.files:
            destination = target.work / TENFOLD_FOLDER / f"copy{copy}" / path
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(target.root / path, destination)


def _job_counts() -> list[int]:
    """One process, and one per CPU: pwlint's default is one of them depending on the machine
    (in-process below three CPUs), so both are measured against whichever it picked."""
    cpus = os.cpu_count() or 1
    return [1, cpus] if cpus > 1 else [1]


def _needs(feature: str, features: frozenset[str], reason: str, case: Case) -> Case:
    return case if feature in features else Case(case.name, case.tool, status="skipped", reason=reason)


def _pwlint_scan(pwlint: Tool, target: Target, name: str, *extra: str) -> tuple[str, ...]:
    scope = ("--include-tests",) if target.scope == "all" else ()
    return (str(pwlint.executable), "check", "--isolated", "--exit-zero", "--format", "json",
            "--output", str(target.work / report_name(name)), *scope, *extra, target.subfolder)


def _pre_commit(pwlint: Tool, target: Target) -> Case:
    """As the hook runs it: staged files named on the command line, with --force-exclude."""
    name = "pwlint pre-commit, 10 files, cold"
    files = pre_commit_files(target.root, list(target.files))
    argv = (str(pwlint.executable), "check", "--isolated", "--exit-zero", "--force-exclude",
            "--format", "json", "--output", str(target.work / report_name(name)), *files)
    return Case(name, "pwlint", argv, state="cold")


def peer_cases(tools: Mapping[str, Tool], target: Target, rules: Path) -> list[Case]:
    """Each peer on the scope's files, compared with pwlint on the same files in the same run."""
    files = target.files
    rule_count = sum(1 for line in rules.read_text(encoding="utf-8").splitlines()
                     if line.startswith("  - id:"))
    commands = {
        "bandit, all tests": ("bandit", ("-q", "-f", "json", "-o", "{report}", *files), {0, 1}, COLD),
        "bandit, password tests": ("bandit", ("-q", "-t", BANDIT_PASSWORD_TESTS, "-f", "json", "-o",
                                              "{report}", *files), {0, 1}, COLD),
        f"semgrep, {rule_count} local rules": (
            "semgrep", ("scan", "--config", str(rules), "--metrics=off", "--disable-version-check",
                        "--quiet", "--json", "--output", "{report}", *files), {0}, COLD),
        "ruff --select S, cold": ("ruff", ("check", "--isolated", "--select", "S", "--no-cache",
                                           "--output-format", "json", "--output-file", "{report}",
                                           *files), {0, 1}, COLD),
        "ruff --select S, warm": ("ruff", ("check", "--isolated", "--select", "S", "--cache-dir",
                                           str(target.work / "ruff-cache"), "--output-format", "json",
                                           "--output-file", "{report}", *files), {0, 1}, WARM),
    }
    return [_peer_case(name, tools[tool], args, frozenset(codes), reference, target)
            for name, (tool, args, codes, reference) in commands.items() if tool in tools]


def _peer_case(name: str, tool: Tool, args: Sequence[str], ok_codes: frozenset[int], reference: str,
               target: Target) -> Case:
    if tool.executable is None:
        return Case(name, tool.name, status="unavailable", reason=tool.reason)
    report = str(target.work / report_name(name))
    argv = (str(tool.executable), *(report if arg == "{report}" else arg for arg in args))
    return Case(name, tool.name, argv, ok_codes, state="warm" if reference == WARM else "none",
                compare_to=reference)


def measure(case: Case, target: Target, runs: int, env: Mapping[str, str]) -> Result:
    """The case's result: pwlint failing ends the benchmark, a peer failing is recorded."""
    if case.status != "ok":
        return Result(target.input, target.scope, case.name, case.tool, case.status, reason=case.reason)
    try:
        samples = _samples(case, target, runs, env)
    except CommandFailed as error:
        if case.tool == "pwlint":
            raise BenchError(f"{case.name} on {target.input}: {error}", EXIT_PWLINT) from None
        return Result(target.input, target.scope, case.name, case.tool, "failed", reason=str(error))
    files, findings = read_report(case.tool, target.work / case.report)
    return Result(
        target.input, target.scope, case.name, case.tool, "ok",
        seconds=tuple(s.seconds for s in samples),
        rss_kb=max(s.rss_kb for s in samples),
        tree_rss_kb=max((s.tree_rss_kb for s in samples if s.tree_rss_kb is not None), default=None),
        tree_pss_kb=max((s.tree_pss_kb for s in samples if s.tree_pss_kb is not None), default=None),
        files=len(target.files) if files is None and case.tool != "pwlint" else files,
        findings=findings, compare_to=case.compare_to,
    )


def _samples(case: Case, target: Target, runs: int, env: Mapping[str, str]) -> list[Sample]:
    log = target.work / (case.report[:-len(".json")] + ".log")
    edited = target.root / case.edit if case.edit else None
    original = edited.read_bytes() if edited else b""
    try:
        if case.state in ("warm", "edit"):
            run_timed(case.argv, target.root, env, case.ok_codes, log)
        samples = []
        for run in range(runs):
            if case.state == "cold":
                shutil.rmtree(target.root / PWLINT_CACHE, ignore_errors=True)
            if edited:
                # New content every run: an edit the cache has already seen would be a warm run.
                edited.write_bytes(original + f"\n# edited by the pwlint benchmark, run {run}\n".encode())
            samples.append(run_timed(case.argv, target.root, env, case.ok_codes, log))
        return samples
    finally:
        if edited:
            edited.write_bytes(original)


def read_report(tool: str, path: Path) -> tuple[int | None, int | None]:
    """Files scanned and findings, from a tool's JSON report; ``None`` where it does not say."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if tool == "pwlint":
            return data["scope"]["files_scanned"], len(data["findings"])
        if tool == "bandit":
            return len([name for name in data["metrics"] if name != "_totals"]), len(data["results"])
        if tool == "semgrep":
            return len(data["paths"]["scanned"]), len(data["results"])
        return None, len(data)
    except (OSError, ValueError, KeyError, TypeError):  # no report, or a format this script predates
        return None, None


def finding_paths(report: Path) -> list[str]:
    """The files pwlint reported findings in; empty when the report cannot be read."""
    try:
        return [finding["path"] for finding in json.loads(report.read_text(encoding="utf-8"))["findings"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def subprocess_env() -> dict[str, str]:
    """The caller's environment, minus what could make a venv import the wrong code, and with
    the switches that keep output plain and Semgrep offline."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(NO_COLOR="1", SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0")
    return env
