"""The project's policy, applied to a finished scan: per-file ignores, severity overrides, unused
suppressions, and the exit code that `--fail-on` asks for.

It runs after `scan.scan`, on its `ScanResult`, rather than inside it: the scan's findings depend
only on code and rules (what a cache or worker keys on), while these choices belong to one project's
configuration and change without the code changing.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

from pwlint.findings import SEVERITIES, Finding, ScanResult

if TYPE_CHECKING:
    from pwlint.config import Resolved
    from pwlint.scan import LoadedRules

EXIT_CLEAN, EXIT_FINDINGS = 0, 1


def apply(result: ScanResult, resolved: Resolved, loaded: LoadedRules) -> None:
    """Apply the configuration's per-file ignores and severities, then add unused-suppression
    findings when asked; in that order, so a rule switched off for a file leaves its comments unjudged."""
    result.findings = [f for f in result.findings if not ignored_in_file(f.path, f.rule_id, resolved.per_file_ignores)]
    if resolved.severities:
        _override_severities(result, resolved.severities)
    if resolved.warn_unused_ignores:
        _report_unused_suppressions(result, resolved, loaded)
    result.findings.sort()


def ignored_in_file(path: str, rule_id: str, per_file_ignores: Sequence[tuple[str, Sequence[str]]]) -> bool:
    """Whether a per-file-ignores entry switches `rule_id` off for `path`."""
    return any(rule_id.startswith(prefix) for pattern, prefixes in per_file_ignores
               if path_matches(path, pattern) for prefix in prefixes)


def path_matches(path: str, pattern: str) -> bool:
    """Ruff's per-file-ignores globs: `*` also crosses "/", `**/` may stand for no directory, a
    glob without "/" matches the file name at any depth, and a trailing "/" means everything
    beneath. `path` is relative to the project root."""
    glob = pattern + "**" if pattern.endswith("/") else pattern
    regex = _glob_regex(glob)
    return bool(regex.match(path) or ("/" not in glob and regex.match(path.rsplit("/", 1)[-1])))


@lru_cache(maxsize=None)
def _glob_regex(glob: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**/", index):
            parts.append("(?:.*/)?")
            index += 3
            continue
        closing = glob.find("]", index + 2) if char == "[" else -1
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        elif closing != -1:
            body = glob[index + 1 : closing]
            parts.append("[" + ("^" + body[1:] if body.startswith("!") else body).replace("\\", "\\\\") + "]")
            index = closing
        else:
            parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


def _override_severities(result: ScanResult, severities: Sequence[tuple[str, str]]) -> None:
    """The longest matching prefix decides, so `PW1 = "warning"` with `PW101 = "error"` keeps PW101
    an error. Rule metadata changes too, so SARIF's default level agrees with its results."""
    def severity_of(rule_id: str, current: str) -> str:
        matching = [(len(prefix), level) for prefix, level in severities if rule_id.startswith(prefix)]
        return max(matching)[1] if matching else current

    result.findings = [replace(f, severity=severity_of(f.rule_id, f.severity)) for f in result.findings]
    result.rules = [replace(rule, severity=severity_of(rule.id, rule.severity)) for rule in result.rules]


def _report_unused_suppressions(result: ScanResult, resolved: Resolved, loaded: LoadedRules) -> None:
    """Read every scanned file's comments, from the bytes the scan read: a file changed or removed
    since then cannot make this pass disagree with the findings."""
    from pwlint import suppressions

    unreadable = {problem.path for problem in result.problems}
    known = frozenset(loaded.known)
    ran = frozenset(rule.id for rule in loaded.rules)
    by_path: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_path.setdefault(finding.path, []).append(finding)
    reports = []
    for relative, data in sorted(result.sources.items()):
        if relative in unreadable or (b"pwlint" not in data.lower() and b"noqa" not in data.lower()):
            continue
        active = frozenset(i for i in ran if not ignored_in_file(relative, i, resolved.per_file_ignores))
        scope = suppressions.Scope(active, known)
        reports += suppressions.unused(relative, data, by_path.get(relative, []), scope)
    if reports:
        result.findings += reports
        result.rules = sorted([*result.rules, suppressions.UNUSED_SUPPRESSION], key=lambda rule: rule.id)


def exit_code(result: ScanResult, fail_on: str, exit_zero: bool = False) -> int:
    """1 when an active finding is at or above `fail_on` (error > warning > note), else 0."""
    if exit_zero:
        return EXIT_CLEAN
    threshold = SEVERITIES.index(fail_on)
    failing = any(SEVERITIES.index(f.severity) <= threshold for f in result.active_findings)
    return EXIT_FINDINGS if failing else EXIT_CLEAN
