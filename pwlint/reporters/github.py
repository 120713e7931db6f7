"""GitHub Actions workflow commands (`::error file=...::message`), which the runner turns into
annotations on the pull request's diff, without code scanning.

Escaping follows `@actions/core` (`escapeData`, `escapeProperty` in `packages/core/src/command.ts`):
`%`, CR and LF in the message; those plus `:` and `,` in property values. Unescaped, a newline would
end the command early and a comma in a path would start a bogus property.

The runner resolves `file=` against the repository checkout, so paths are made relative to
`GITHUB_WORKSPACE` (the current directory outside Actions) rather than to the scan root, which may
be a sub-project. `col` and `endColumn` are sent only for one-line regions, as the runner ignores
columns on an annotation that spans lines.
"""

from __future__ import annotations

import os
from pathlib import Path

from pwlint.findings import FileProblem, Finding, ScanResult
from pwlint.reporters import rules_by_id

_LEVELS = {"error": "error", "warning": "warning", "note": "notice"}


def render(result: ScanResult) -> str:
    base = Path(os.environ.get("GITHUB_WORKSPACE") or os.getcwd())
    rules = rules_by_id(result.rules)
    lines = []
    for finding in sorted(result.active_findings):
        rule = rules.get(finding.rule_id)
        title = f"{finding.rule_id} {rule.name}" if rule else finding.rule_id
        lines.append(_command(_LEVELS[finding.severity], _properties(finding, result.root, base, title), finding.message))
    for problem in sorted(result.problems):
        lines.append(_command("warning", _problem_properties(problem, result.root, base),
                              f"pwlint could not analyse this file: {problem.message}"))
    return "".join(f"{line}\n" for line in lines)


def _properties(finding: Finding, root: str, base: Path, title: str) -> dict[str, object]:
    region = finding.region
    properties: dict[str, object] = {
        "file": _workspace_path(finding.path, root, base),
        "line": region.start_line,
        "endLine": region.end_line,
    }
    if region.start_line == region.end_line:
        properties.update(col=region.start_column, endColumn=region.end_column)
    properties["title"] = title
    return properties


def _problem_properties(problem: FileProblem, root: str, base: Path) -> dict[str, object]:
    properties: dict[str, object] = {"file": _workspace_path(problem.path, root, base)}
    if problem.line >= 1:
        properties.update(line=problem.line, col=max(problem.column, 1))
    properties["title"] = "pwlint: file not analysed"
    return properties


def _workspace_path(path: str, root: str, base: Path) -> str:
    """The path from the checkout root, or the root-relative path when the file lies outside it."""
    try:
        return (Path(root) / path).relative_to(base).as_posix()
    except ValueError:
        return path


def _command(level: str, properties: dict[str, object], message: str) -> str:
    fields = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{level} {fields}::{escape_data(message)}"


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
