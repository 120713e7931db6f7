"""Command line: `pwlint check | rules | explain | test-rules | report | standards`.

Exit codes (documented in the README): 0 no findings, 1 findings, 2 usage, configuration or rule
errors. Output files are written atomically, so a failed run never leaves half a report.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from pwlint import __version__
from pwlint.ruleset import RuleError

if TYPE_CHECKING:
    from pwlint.findings import RuleMeta
    from pwlint.scan import Settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_ERROR
    try:
        return int(args.run(args))
    except RuleError as error:
        print(f"pwlint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as error:
        print(f"pwlint: error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("pwlint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return EXIT_ERROR


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pwlint", description="Find weak password storage in Python code.")
    parser.add_argument("--version", action="version", version=f"pwlint {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = commands.add_parser("check", help="scan files and directories")
    check.add_argument("paths", nargs="*", default=["."], help="files or directories (default: .)")
    check.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    check.add_argument("--output", "-o", type=Path, help="write the report to FILE instead of stdout")
    _scope_options(check)
    _rule_options(check)
    check.add_argument("--select", action="append", default=[], metavar="ID", help="only these rule ids or prefixes")
    check.add_argument("--ignore", action="append", default=[], metavar="ID", help="skip these rule ids or prefixes")
    check.add_argument("--no-prefilter", action="store_true", help="parse every file, even those that cannot match")
    check.add_argument("--quiet", "-q", action="store_true", help="print only the findings")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    check.set_defaults(run=_check)

    rules = commands.add_parser("rules", help="list the rules")
    _rule_options(rules)
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rules.set_defaults(run=_rules)

    explain = commands.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("rule_id")
    _rule_options(explain)
    explain.set_defaults(run=_explain)

    test_rules = commands.add_parser("test-rules", help="check rules against their own examples")
    test_rules.add_argument("dirs", nargs="*", type=Path, help="rule folders (default: the built-in rules)")
    test_rules.add_argument("--profile", default=None)
    test_rules.set_defaults(run=_test_rules)

    from pwlint.compliance.command import add_parsers  # argument definitions only; nothing heavy

    add_parsers(commands, _scope_options, _rule_options)
    return parser


def _scope_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="gitignore-style pattern of paths to skip (repeatable)")
    parser.add_argument("--force-exclude", action="store_true",
                        help="apply excludes and test patterns to files named on the command line too")
    parser.add_argument("--include-tests", action="store_true", help="scan test code too (skipped by default)")
    parser.add_argument("--no-gitignore", action="store_true", help="do not honour .gitignore files")


def _rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", action="append", default=[], type=Path, metavar="DIR",
                        help="load extra rules from DIR (repeatable)")
    parser.add_argument("--profile", default=None, help="threshold profile: owasp-2026 (default) or asvs-5.0.0")


def _settings(args: argparse.Namespace) -> "Settings":
    from pwlint.scan import DEFAULT_PROFILE, Settings

    return Settings(
        paths=getattr(args, "paths", None) or ["."],
        exclude=getattr(args, "exclude", []),
        include_tests=getattr(args, "include_tests", False),
        respect_gitignore=not getattr(args, "no_gitignore", False),
        force_exclude=getattr(args, "force_exclude", False),
        profile=args.profile or DEFAULT_PROFILE,
        rule_dirs=args.rules,
        select=[s.upper() for s in getattr(args, "select", [])],
        ignore=[s.upper() for s in getattr(args, "ignore", [])],
        prefilter=not getattr(args, "no_prefilter", False),
    )


def _check(args: argparse.Namespace) -> int:
    from pwlint import reporters
    from pwlint.scan import load, scan

    settings = _settings(args)
    loaded = load(settings)
    result = scan(settings, loaded)
    color = args.color == "always" or (args.color == "auto" and args.output is None and _is_terminal())
    report = reporters.render(args.format, result, color=color, quiet=args.quiet)
    _emit(report, args.output)
    if args.output is not None and not args.quiet:
        for problem in result.problems:
            print(f"{problem.path}:{problem.line}:{problem.column}: {problem.message}", file=sys.stderr)
    return EXIT_FINDINGS if result.active_findings else EXIT_CLEAN


def _is_terminal() -> bool:
    return sys.stdout.isatty() and os.environ.get("NO_COLOR") is None and os.environ.get("TERM") != "dumb"


def _emit(text: str, output: Optional[Path]) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
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
            sys.stdout.write(explain_text(rule.meta, loaded.thresholds))
            return EXIT_CLEAN
    print(f"pwlint: error: no rule {args.rule_id!r}; `pwlint rules` lists them", file=sys.stderr)
    return EXIT_ERROR


def explain_text(meta: "RuleMeta", thresholds: dict[str, object]) -> str:
    """The rule's documentation in Ruff's shape: what, why, example, fix, references."""
    lines = [f"{meta.id} {meta.name} ({meta.severity}, precision {meta.precision})", "",
             "## What it does", meta.summary, "", "## Why is this bad?", meta.why, ""]
    for title, examples in (("## Example", meta.bad_examples), ("## Use instead", meta.good_examples)):
        lines.append(title)
        for code in examples:
            lines += ["```python", code.rstrip(), "```"]
        lines.append("")
    lines += ["## How to fix", meta.fix, "", "## Classification",
              "CWE: " + ", ".join(f"CWE-{c}" for c in meta.cwe)]
    lines += [f"{standard}: {', '.join(ids)}" for standard, ids in meta.standards.items()]
    if meta.references:
        lines += ["", "## References", *[f"- {ref}" for ref in meta.references]]
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
