"""Command line: `pwlint check | rules | explain | test-rules | report | standards`.

Exit codes (documented in the README): 0 no findings at or above `--fail-on`, 1 such findings,
2 usage, configuration, baseline or rule errors, 130 interrupted. Every error is found before
anything is written, and output files are written atomically, so a failed run never leaves half a
report.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence, TextIO

from pwlint import __version__
from pwlint.config import CommandLine, ConfigError
from pwlint.findings import SEVERITIES
from pwlint.ruleset import RuleError

if TYPE_CHECKING:
    from pwlint.config import Resolved
    from pwlint.findings import RuleMeta, ScanResult
    from pwlint.scan import Settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
FORMATS = ("text", "json", "sarif", "github")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return int(args.run(args))
    except (RuleError, ConfigError) as error:
        print(f"pwlint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # the reader went away (`pwlint rules | head`): its choice, not an error
        _discard(sys.stdout)
        _discard(sys.stderr)
        return EXIT_CLEAN
    except OSError as error:
        print(f"pwlint: error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return EXIT_ERROR
    except ModuleNotFoundError as error:  # run from a checkout without its dependencies (lazy imports)
        print(f"pwlint: error: this needs the {error.name} package, which is not installed "
              f"(pip install {error.name}, or install pwlint with pip)", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("pwlint: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _discard(stream: TextIO) -> None:
    """Point a closed pipe's descriptor at the null device, so that nothing written later, not
    even the interpreter's last flush at exit, fails with a traceback."""
    try:
        stream.flush()
    except OSError:
        pass
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
    except (OSError, ValueError):
        pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pwlint", description="Find weak password storage in Python code.")
    parser.add_argument("--version", action="version", version=f"pwlint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="scan files and directories")
    check.add_argument("paths", nargs="*", default=["."], help="files or directories (default: .)")
    check.add_argument("--format", choices=FORMATS, default="text")
    check.add_argument("--output", "-o", type=Path, help="write the report to FILE instead of stdout")
    check.add_argument("--show-settings", action="store_true",
                       help="print the resolved settings and where each came from, then exit")
    _scope_options(check)
    _rule_options(check)
    check.add_argument("--select", action="append", default=[], metavar="ID",
                       help="only these rule ids or prefixes; replaces the configured select and ignore")
    check.add_argument("--extend-select", action="append", default=[], metavar="ID",
                       help="add rule ids or prefixes to the selection (repeatable)")
    check.add_argument("--ignore", action="append", default=[], metavar="ID", help="skip these rule ids or prefixes")
    check.add_argument("--fail-on", choices=SEVERITIES, default=None,
                       help="exit 1 only for findings at or above this severity (default: warning; notes never fail by default)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even with findings (errors still exit 2)")
    baseline = check.add_mutually_exclusive_group()
    baseline.add_argument("--baseline", type=Path, metavar="FILE", help="report only findings not in this baseline")
    baseline.add_argument("--baseline-write", type=Path, metavar="FILE",
                          help="record the current findings in FILE as the baseline and accept them")
    check.add_argument("--warn-unused-ignores", action=argparse.BooleanOptionalAction, default=None,
                       help="report suppression comments that suppress nothing (as PW000)")
    check.add_argument("--sarif-category", default="", metavar="NAME",
                       help="SARIF: set automationDetails.id, to keep several uploads apart in code scanning")
    check.add_argument("--include-suppressed", action="store_true",
                       help="SARIF: include suppressed findings, marked with `suppressions`")
    _redact_option(check)
    check.add_argument("--no-prefilter", action="store_true", help="parse every file, even those that cannot match")
    _speed_options(check)
    check.add_argument("--quiet", "-q", action="store_true", help="print only the findings")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    check.set_defaults(run=_check)

    rules = commands.add_parser("rules", help="list the rules")
    _rule_options(rules)
    _config_options(rules)
    rules.add_argument("--format", choices=("text", "json", "md"), default="text",
                       help="md: every rule's documentation, as docs/rules.md holds it")
    rules.set_defaults(run=_rules)

    explain = commands.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule_id")
    _rule_options(explain)
    _config_options(explain)
    explain.set_defaults(run=_explain)

    clean = commands.add_parser("clean", help="remove the cache (.pwlint_cache/) of the project at PATH")
    clean.add_argument("path", nargs="?", default=".", help="a file or directory in the project (default: .)")
    clean.set_defaults(run=_clean)

    test_rules = commands.add_parser("test-rules", help="check rules against their own examples")
    test_rules.add_argument("dirs", nargs="*", type=Path, help="rule folders (default: the built-in rules)")
    test_rules.add_argument("--profile", default=None)
    test_rules.set_defaults(run=_test_rules)

    from pwlint.compliance.command import add_parsers  # argument definitions only; nothing heavy

    add_parsers(commands, _scope_options, _rule_options, _redact_option)
    return parser


def _redact_option(parser: argparse.ArgumentParser) -> None:
    """Shared by `check` and `report`: both print snippets of the code they scanned."""
    parser.add_argument("--redact", action=argparse.BooleanOptionalAction, default=None,
                        help="mask hard-coded passwords in snippets (default: yes)")


def _scope_options(parser: argparse.ArgumentParser) -> None:
    """Where settings come from and which files a scan reads: shared by `check` and `report`."""
    _config_options(parser)
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="gitignore-style pattern of paths to skip, added to the configured ones (repeatable)")
    parser.add_argument("--force-exclude", action=argparse.BooleanOptionalAction, default=None,
                        help="apply excludes and test patterns to files named on the command line too")
    parser.add_argument("--include-tests", action=argparse.BooleanOptionalAction, default=None,
                        help="scan test code too (skipped by default)")
    parser.add_argument("--respect-gitignore", action=argparse.BooleanOptionalAction, default=None,
                        help="honour .gitignore files (default: yes)")
    parser.add_argument("--no-gitignore", action="store_false", dest="respect_gitignore", default=None,
                        help="the same as --no-respect-gitignore")


def _speed_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--jobs", "-j", type=_jobs, default=0, metavar="N",
                        help="worker processes for parsing (default: one per CPU from 3 CPUs up, else 1)")
    parser.add_argument("--no-cache", action="store_true",
                        help="neither read nor write .pwlint_cache/ at the project root")
    parser.add_argument("--max-file-size", type=_size, default=None, metavar="SIZE",
                        help='skip larger files, e.g. 1MB or 500kB; 0: no limit (default: 1MB)')
    parser.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                        help="give up on a file that takes longer to parse (default: 60)")


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 or more)")
    return int(text)


def _size(text: str) -> int:
    from pwlint.config import parse_size

    size = parse_size(text)
    if size is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size such as 1000000, 1MB or 500kB")
    return size


def _seconds(text: str) -> float:
    from pwlint.config import parse_seconds

    seconds = parse_seconds(text)
    if seconds is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return seconds


def _rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", action="append", default=[], type=Path, metavar="DIR",
                        help="load extra rules from DIR (repeatable)")
    parser.add_argument("--profile", default=None, help="threshold profile: owasp-2026 (default) or asvs-5.0.0")


def _config_options(parser: argparse.ArgumentParser) -> None:
    files = parser.add_mutually_exclusive_group()
    files.add_argument("--config", type=Path, metavar="FILE",
                       help="read settings from FILE (pwlint.toml, or a pyproject.toml with [tool.pwlint])")
    files.add_argument("--isolated", action="store_true", help="ignore configuration files")


def _command_line(args: argparse.Namespace) -> CommandLine:
    """What argparse read, with "not given" kept apart from a default so the file's value can stand."""
    return CommandLine(
        paths=getattr(args, "paths", None) or ["."],
        config=args.config,
        isolated=args.isolated,
        select=getattr(args, "select", []),
        extend_select=getattr(args, "extend_select", []),
        ignore=getattr(args, "ignore", []),
        exclude=getattr(args, "exclude", []),
        rules=args.rules,
        profile=args.profile,
        fail_on=getattr(args, "fail_on", None),
        include_tests=getattr(args, "include_tests", None),
        respect_gitignore=getattr(args, "respect_gitignore", None),
        force_exclude=getattr(args, "force_exclude", None),
        warn_unused_ignores=getattr(args, "warn_unused_ignores", None),
        prefilter=not getattr(args, "no_prefilter", False),
        cache=not getattr(args, "no_cache", False),
        jobs=getattr(args, "jobs", 0),
        max_file_size=getattr(args, "max_file_size", None),
        timeout=getattr(args, "timeout", None),
        redact=getattr(args, "redact", None),
    )


def _settings(args: argparse.Namespace) -> "Settings":
    """Settings for `rules` and `explain`: the configured rule folders and profile, every rule."""
    from pwlint.config import resolve

    return every_rule(resolve(_command_line(args)))


def every_rule(resolved: "Resolved") -> "Settings":
    """The resolved settings with no rule selected away: what `rules`, `explain` and `report` load."""
    import dataclasses

    return dataclasses.replace(resolved.settings, select=[], ignore=[])


def _check(args: argparse.Namespace) -> int:
    from pwlint import policy, reporters
    from pwlint.config import describe, resolve
    from pwlint.discovery import find_root

    resolved = resolve(_command_line(args))
    settings = resolved.settings
    if args.show_settings:
        sys.stdout.write(describe(resolved, settings.root or find_root(settings.paths)))
        return EXIT_CLEAN
    result = _scan(resolved, args.baseline, quiet=args.quiet)
    if args.baseline_write is not None:
        _write_baseline(result, args.baseline_write, quiet=args.quiet)
    if args.format == "sarif":
        from pwlint import fingerprints

        fingerprints.attach(result)
    if resolved.redact:
        from pwlint.reporters.redaction import redact

        redact(result)
    color = args.color == "always" or (args.color == "auto" and args.output is None and _is_terminal())
    report = reporters.render(args.format, result, color=color, quiet=args.quiet,
                              include_suppressed=args.include_suppressed, sarif_category=args.sarif_category)
    _emit(report, args.output)
    if not args.quiet:
        from pwlint.reporters.text import problem_line

        for problem in result.problems:
            print(problem_line(problem), file=sys.stderr)
    return policy.exit_code(result, resolved.fail_on, exit_zero=args.exit_zero)


def _clean(args: argparse.Namespace) -> int:
    from pwlint.cache import CACHE_DIR, clean
    from pwlint.discovery import find_root

    root = find_root([args.path])
    removed = clean(root)
    print(f"pwlint: {'removed' if removed else 'no cache at'} {root / CACHE_DIR}", file=sys.stderr)
    return EXIT_CLEAN


class _Progress:
    """Files parsed of the total, and time elapsed, on one rewritten stderr line; only on a terminal."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.shown = 0.0

    @classmethod
    def wanted(cls, quiet: bool) -> Optional["_Progress"]:
        return cls() if not quiet and sys.stderr.isatty() and not os.environ.get("CI") else None

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.shown < 0.1:
            return
        self.shown = now
        state = "analysing flows" if done == total else "parsing"
        sys.stderr.write(f"\rpwlint: {state}: {done}/{total} files, {now - self.start:.1f} s\x1b[K")
        sys.stderr.flush()

    def close(self) -> None:
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()


def _scan(resolved: "Resolved", baseline_file: Optional[Path], quiet: bool = True) -> "ScanResult":
    """Validate everything (profile, rules, selectors, baseline) before reading any source, then
    scan and apply the project's policy and baseline."""
    from pwlint import baseline, policy
    from pwlint.ruleset import load_profiles
    from pwlint.scan import load, scan

    resolved.check_profile(sorted(load_profiles()))
    loaded = load(resolved.settings)
    resolved.check_selectors(loaded.known)
    accepted = baseline.load(baseline_file) if baseline_file is not None else None
    progress = _Progress.wanted(quiet)
    try:
        result = scan(resolved.settings, loaded, progress)
    finally:
        if progress is not None:
            progress.close()
    policy.apply(result, resolved, loaded)
    if accepted is not None:
        baseline.apply(result, accepted, str(baseline_file))
    return result


def _write_baseline(result: "ScanResult", path: Path, *, quiet: bool) -> None:
    """Record the active findings, then accept them in this run's report too."""
    from pwlint import baseline

    write_atomic(path, baseline.render(result))
    accepted = [baseline.entry_for(finding) for finding in result.active_findings]
    baseline.apply(result, accepted, str(path))
    if not quiet:
        print(f"pwlint: wrote {len(accepted)} finding{'s' if len(accepted) != 1 else ''} to the baseline {path}",
              file=sys.stderr)


def _is_terminal() -> bool:
    return sys.stdout.isatty() and os.environ.get("NO_COLOR") is None and os.environ.get("TERM") != "dumb"


def _emit(text: str, output: Optional[Path]) -> None:
    """A reader that stops reading (`pwlint check | head`) ends the report quietly; the exit code
    still says what the scan found."""
    if output is None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:
            _discard(sys.stdout)
        return
    write_atomic(output, text)


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder and rename, so readers never see half a file."""
    directory = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _rules(args: argparse.Namespace) -> int:
    from pwlint.scan import load

    loaded = load(_settings(args))
    if args.format == "json":
        import json

        rows = [{"id": r.id, "name": r.meta.name, "severity": r.meta.severity, "category": r.meta.category,
                 "cwe": [f"CWE-{c}" for c in r.meta.cwe], "standards": {k: list(v) for k, v in r.meta.standards.items()},
                 "summary": r.meta.summary} for r in loaded.rules]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return EXIT_CLEAN
    if args.format == "md":
        sys.stdout.write(rules_markdown([rule.meta for rule in loaded.rules]))
        return EXIT_CLEAN
    header = ("ID", "NAME", "SEVERITY", "CWE", "STANDARDS")
    rows = [(r.id, r.meta.name, r.meta.severity, ",".join(f"CWE-{c}" for c in r.meta.cwe),
             "; ".join(f"{k} {' '.join(v)}" for k, v in r.meta.standards.items())) for r in loaded.rules]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row[:4])) + "  " + row[4])
    return EXIT_CLEAN


def _explain(args: argparse.Namespace) -> int:
    from pwlint.scan import load

    loaded = load(_settings(args))
    wanted = args.rule_id.upper()
    for rule in loaded.rules:
        if rule.id == wanted or rule.meta.name == args.rule_id.lower():
            sys.stdout.write(explain_text(rule.meta))
            return EXIT_CLEAN
    print(f"pwlint: error: no rule {args.rule_id!r}; `pwlint rules` lists them", file=sys.stderr)
    return EXIT_ERROR


def rules_markdown(metas: list["RuleMeta"]) -> str:
    """docs/rules.md: where every SARIF result's `helpUri` points (`#pw101`), so a reviewer reading
    an alert on GitHub lands on the rule's documentation."""
    lines = ["# pwlint rules", "", "Generated by `pwlint rules --format md`; edit the rules in `rules/`, not this file.",
             "", "| Rule | Name | Severity | CWE | What it does |", "|---|---|---|---|---|"]
    lines += [f"| [{m.id}](#{m.id.lower()}) | {m.name} | {m.severity} | {', '.join(f'CWE-{c}' for c in m.cwe)} "
              f"| {m.summary.replace('|', '/')} |" for m in metas]
    for meta in metas:
        lines += ["", f"## {meta.id}", "", explain_text(meta, heading="###").rstrip()]
    return "\n".join(lines) + "\n"


def explain_text(meta: "RuleMeta", heading: str = "##") -> str:
    """The rule's documentation in Ruff's shape: what, why, example, fix, references."""
    lines = [f"{meta.id} {meta.name} ({meta.severity}, precision {meta.precision})", "",
             f"{heading} What it does", meta.summary, "", f"{heading} Why is this bad?", meta.why, ""]
    for title, examples in (("Example", meta.bad_examples), ("Use instead", meta.good_examples)):
        lines.append(f"{heading} {title}")
        for code in examples:
            lines += ["```python", code.rstrip(), "```"]
        lines.append("")
    lines += [f"{heading} How to fix", meta.fix, "", f"{heading} Classification",
              "CWE: " + ", ".join(f"CWE-{c}" for c in meta.cwe)]
    lines += [f"{standard}: {', '.join(ids)}" for standard, ids in meta.standards.items()]
    if meta.aliases:
        lines += ["", f"{heading} Other linters' codes",
                  f"{', '.join(meta.aliases)}: their `# noqa` and `# nosec` comments suppress this rule too."]
    if meta.references:
        lines += ["", f"{heading} References", *[f"- {ref}" for ref in meta.references]]
    return "\n".join(lines) + "\n"


def _test_rules(args: argparse.Namespace) -> int:
    from pwlint.ruleset import builtin_rules_dir, load_profiles, load_rules
    from pwlint.scan import DEFAULT_PROFILE
    from pwlint.selftest import check_rules

    directories = args.dirs or [builtin_rules_dir()]
    rules = load_rules(directories)
    profile = args.profile or DEFAULT_PROFILE
    profiles = load_profiles()
    if profile not in profiles:
        raise RuleError("--profile", 0, "", f"unknown profile {profile!r}")
    failures = check_rules(rules, profiles[profile], profile)
    for failure in failures:
        print(f"FAIL {failure}")
    examples = sum(len(r.meta.bad_examples) + len(r.meta.good_examples) + len(r.meta.observed_examples) for r in rules)
    print(f"{len(rules)} rules, {examples} examples, {len(failures)} failures")
    return EXIT_FINDINGS if failures else EXIT_CLEAN
