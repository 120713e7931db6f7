"""The pipeline, in one direction: find files, prefilter, parse, evaluate, suppress.

`Settings` is everything a scan depends on; `build_engine` loads and validates rules once;
`scan` runs the stages per file and hands a `ScanResult` to whichever reporter was asked for.
Per-file work (`analyse`) depends only on the file's bytes and the engine, which is what worker
processes and a result cache key on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence, Union

from pwlint.discovery import DEFAULT_TEST_PATTERNS, discover, find_root, relative_posix
from pwlint.findings import FileProblem, Finding, ScanResult
from pwlint.prefilter import Prefilter
from pwlint.ruleset import Rule, RuleError, builtin_rules_dir, load_profiles, load_rules

if TYPE_CHECKING:  # importing the engine pulls in libcst
    from pwlint.engine import Engine

DEFAULT_PROFILE = "owasp-2026"


@dataclass
class Settings:
    paths: Sequence[str] = (".",)
    exclude: Sequence[str] = ()
    include_tests: bool = False
    test_patterns: Sequence[str] = DEFAULT_TEST_PATTERNS
    respect_gitignore: bool = True
    force_exclude: bool = False
    profile: str = DEFAULT_PROFILE
    rule_dirs: Sequence[Path] = ()
    builtin_rules: bool = True
    select: Sequence[str] = ()  # rule ids or id prefixes; empty means all
    ignore: Sequence[str] = ()
    prefilter: bool = True


@dataclass
class LoadedRules:
    """Rules and thresholds after validation, ready to build an engine from."""

    rules: list[Rule]
    thresholds: dict[str, object]
    profile: str
    profiles: list[str] = field(default_factory=list)


def load(settings: Settings) -> LoadedRules:
    """Load, validate and select rules and the threshold profile. Raises RuleError."""
    directories = ([builtin_rules_dir()] if settings.builtin_rules else []) + [Path(d) for d in settings.rule_dirs]
    rules = [rule for rule in load_rules(directories) if _selected(rule.id, settings)]
    profiles = load_profiles()
    if settings.profile not in profiles:
        raise RuleError("--profile", 0, "", f"unknown profile {settings.profile!r} (known: {', '.join(profiles)})")
    return LoadedRules(rules, profiles[settings.profile], settings.profile, sorted(profiles))


def _selected(rule_id: str, settings: Settings) -> bool:
    chosen = not settings.select or any(rule_id.startswith(prefix) for prefix in settings.select)
    return chosen and not any(rule_id.startswith(prefix) for prefix in settings.ignore)


def build_engine(loaded: LoadedRules) -> "Engine":
    from pwlint.engine import Engine  # libcst comes with it; `rules` and `explain` never need it

    return Engine(loaded.rules, loaded.thresholds, loaded.profile)


def analyse(path: str, data: bytes, engine: "Engine", prefilter: Prefilter) -> Union[list[Finding], FileProblem, None]:
    """Findings for one file's bytes; None when the prefilter proves there can be none."""
    if not prefilter.may_match(data):
        return None
    from pwlint import parsing, suppressions

    source = parsing.parse(path, data)
    if isinstance(source, FileProblem):
        return source
    located = engine.evaluate(source)
    return suppressions.apply(located, source.lines) if located else []


def scan(settings: Settings, loaded: LoadedRules) -> ScanResult:
    root = find_root(settings.paths)
    files = discover(
        settings.paths, root=root, exclude=settings.exclude, include_tests=settings.include_tests,
        test_patterns=settings.test_patterns, respect_gitignore=settings.respect_gitignore,
        force_exclude=settings.force_exclude,
    )
    result = ScanResult(str(root), [], [rule.meta for rule in loaded.rules], list(files.problems),
                        skipped_tests=len(files.skipped_tests), excluded=files.excluded, profile=loaded.profile)
    engine: Optional[Engine] = None
    prefilter: Optional[Prefilter] = None
    for path in files.files:
        relative = relative_posix(path, root)
        try:
            data = path.read_bytes()
        except OSError as error:
            result.problems.append(FileProblem(relative, 0, 0, f"cannot read: {error.strerror or error}"))
            continue
        if engine is None or prefilter is None:
            engine = build_engine(loaded)
            prefilter = Prefilter(engine.patterns, enabled=settings.prefilter)
        outcome = analyse(relative, data, engine, prefilter)
        result.files_scanned += 1
        if isinstance(outcome, FileProblem):
            result.problems.append(outcome)
        elif outcome is not None:
            result.files_parsed += 1
            result.findings.extend(outcome)
    result.findings.sort()
    result.problems.sort()
    return result
