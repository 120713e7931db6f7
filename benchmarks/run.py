#!/usr/bin/env python3
"""pwlint against Bandit, Semgrep CE and Ruff on released projects (issue 6's benchmark).

Standard library only, so a clean clone runs it with any python3 3.9+:
``python3 benchmarks/run.py``. What it measures, how, and its exit codes: benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import shutil
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # imported by the tests rather than run as a script
    sys.path.insert(0, str(HERE))

from bench_cases import (Case, Target, copy_tenfold, finding_paths, measure, peer_cases, pwlint_cold,  # noqa: E402
                         pwlint_followups, subprocess_env)
from bench_files import SCOPES, file_to_change, scope_files  # noqa: E402
from bench_measure import EXIT_INTERRUPTED, EXIT_OK, EXIT_PWLINT, EXIT_SETUP, BenchError  # noqa: E402
from bench_report import Result, render_table, to_json, write_json  # noqa: E402
from bench_setup import (INPUTS, PEERS, QUICK_SUBFOLDER, Prepared, Tool, checkout_revision,  # noqa: E402
                         install_peers, install_pwlint, machine_info, prepare_input, pwlint_features)

CHECKOUT = HERE.parent
RULES = HERE / "semgrep-password-rules.yaml"
DEFAULT_RUNS = 5


def _names(choices: Sequence[str]) -> Any:
    """An argparse type for a comma-separated subset of ``choices``, kept in the given order."""
    def parse(text: str) -> list[str]:
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in choices]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(choices)} (got {text!r})")
        return names
    return parse


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The options; ``--quick`` sets one run on Django's auth app without peers, for a smoke test."""
    parser = argparse.ArgumentParser(prog="benchmarks/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=_positive, help=f"timed runs per measurement (default {DEFAULT_RUNS}; "
                                                       "--quick: 1); the table shows the median")
    parser.add_argument("--json", type=Path, metavar="FILE",
                        help="write the results here (default: benchmarks/results.json; "
                             "--quick: quick-results.json in the cache folder)")
    parser.add_argument("--cache-dir", type=Path, default=HERE / ".cache", metavar="DIR",
                        help="downloads, extracted inputs and virtualenvs (default: benchmarks/.cache)")
    parser.add_argument("--inputs", type=_names(list(INPUTS)), default=list(INPUTS), metavar="NAMES",
                        help=f"comma-separated inputs (default: {','.join(INPUTS)})")
    parser.add_argument("--scopes", type=_names(SCOPES), default=list(SCOPES), metavar="NAMES",
                        help="default (test code skipped), all (--include-tests); default: both")
    parser.add_argument("--no-peers", action="store_true", help="measure pwlint alone")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: 1 run, django's {QUICK_SUBFOLDER} only, no peers")
    args = parser.parse_args(argv)
    if args.quick:
        args.inputs, args.no_peers = ["django"], True
    args.runs = args.runs or (1 if args.quick else DEFAULT_RUNS)
    args.subfolder = QUICK_SUBFOLDER if args.quick else "."
    # A smoke run must not overwrite the committed results of the last full run.
    args.json = args.json or (args.cache_dir / "quick-results.json" if args.quick else HERE / "results.json")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        results, meta = _benchmark(args)
    except BenchError as error:
        return _fail(str(error), error.exit_code)
    except OSError as error:  # a full disk or an unwritable cache folder, not a bug to trace
        return _fail(f"{error.filename}: {error.strerror}" if error.filename else str(error), EXIT_SETUP)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    print(render_table(meta, results), end="")
    write_json(args.json, to_json(meta, results))
    _say(f"results written to {args.json}")
    return EXIT_OK


def _fail(message: str, code: int) -> int:
    print(f"benchmark: error: {message}", file=sys.stderr)
    return code


def _say(message: str) -> None:
    """Progress on stderr, so stdout carries the table alone."""
    print(f"benchmark: {message}", file=sys.stderr, flush=True)


def _benchmark(args: argparse.Namespace) -> tuple[list[Result], dict[str, Any]]:
    cache: Path = args.cache_dir.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    _say("installing pwlint from this checkout")
    pwlint = install_pwlint(cache / "venvs" / "pwlint", CHECKOUT)
    if pwlint.executable is None:
        raise BenchError(f"pwlint is not usable: {pwlint.reason}", EXIT_PWLINT)
    features = pwlint_features(pwlint.executable)
    peers = {} if args.no_peers else _install_peers(cache)
    pip_python = pwlint.executable.parent / "python"
    targets, inputs = [], []
    for name in args.inputs:
        _say(f"fetching {INPUTS[name].requirement}")
        prepared = prepare_input(INPUTS[name], cache, pip_python)
        scoped = [_target(prepared, scope, args.subfolder, cache) for scope in args.scopes]
        targets.extend(scoped)
        inputs.append(_input_meta(prepared, args.subfolder, scoped))
    meta = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "runs": args.runs,
        "machine": machine_info(),
        "tools": _tools_meta(pwlint, features, peers),
        "inputs": inputs,
    }
    env = subprocess_env()
    results = [result for target in targets
               for result in _measure_target(target, pwlint, features, peers, args.runs, env)]
    return results, meta


def _install_peers(cache: Path) -> dict[str, Tool]:
    _say(f"installing {', '.join(PEERS.values())}")
    peers = install_peers(cache / "venvs" / "peers", PEERS)
    for tool in peers.values():
        if tool.executable is None:
            _say(f"{tool.name} unavailable, measured without it: {tool.reason}")
    return peers


def _target(prepared: Prepared, scope: str, subfolder: str, cache: Path) -> Target:
    if not (prepared.root / subfolder).is_dir():
        raise BenchError(f"{prepared.requirement} has no folder {subfolder}", EXIT_SETUP)
    files = tuple(scope_files(prepared.root, subfolder, scope))
    if not files:
        raise BenchError(f"{prepared.requirement} has no Python files in scope {scope}", EXIT_SETUP)
    work = cache / "work" / prepared.name / scope
    shutil.rmtree(work, ignore_errors=True)  # reports of an earlier run must not be read as this one's
    work.mkdir(parents=True)
    return Target(prepared.name, scope, prepared.root, subfolder, files, work)


def _input_meta(prepared: Prepared, subfolder: str, targets: Sequence[Target]) -> dict[str, Any]:
    return {"name": prepared.name, "requirement": prepared.requirement, "why": INPUTS[prepared.name].why,
            "archive": prepared.archive, "sha256": prepared.sha256, "subfolder": subfolder,
            "files": {target.scope: len(target.files) for target in targets}}


def _tools_meta(pwlint: Tool, features: frozenset[str], peers: Mapping[str, Tool]) -> dict[str, Any]:
    tools: dict[str, Any] = {"pwlint": {"version": pwlint.version, "revision": checkout_revision(CHECKOUT),
                                        "features": sorted(features)}}
    for name, tool in peers.items():
        tools[name] = {"requirement": PEERS[name], "version": tool.version, "reason": tool.reason}
    return tools


def _measure_target(target: Target, pwlint: Tool, features: frozenset[str], peers: Mapping[str, Tool],
                    runs: int, env: Mapping[str, str]) -> list[Result]:
    """pwlint cold first (its findings choose the module to edit), then the rest of pwlint, then the peers."""
    cold_case = pwlint_cold(pwlint, target)
    results = [_measured(cold_case, target, runs, env)]
    changed = file_to_change(finding_paths(target.work / cold_case.report), list(target.files))
    if target.scope == "default":
        copy_tenfold(target)
    for case in [*pwlint_followups(pwlint, features, target, changed), *peer_cases(peers, target, RULES)]:
        results.append(_measured(case, target, runs, env))
    return results


def _measured(case: Case, target: Target, runs: int, env: Mapping[str, str]) -> Result:
    if case.status == "ok":
        _say(f"{target.input} ({target.scope}): {case.name} ...")
    result = measure(case, target, runs, env)
    shown = f"{result.median:.2f} s" if result.median is not None else f"{result.status}: {result.reason}"
    _say(f"{target.input} ({target.scope}): {case.name}: {shown}")
    return result


if __name__ == "__main__":
    if sys.version_info < (3, 9):
        print("benchmark: error: needs Python 3.9 or later", file=sys.stderr)
        sys.exit(EXIT_SETUP)
    sys.exit(main())
