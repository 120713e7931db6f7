"""The default, human-readable format, shaped like Ruff's and flake8's, which people already read.

Each header line is `path:line:col: RULE [severity] message`, the form terminals and editors already
turn into clickable locations; everything after it (source, marker, summary) is for the reader only
and is what `quiet` drops.
"""

from __future__ import annotations

from pwlint.findings import FileProblem, Finding, ScanResult
from pwlint.reporters import count_by_severity, source_lines

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_SEVERITY_COLORS = {"error": "\x1b[31m", "warning": "\x1b[33m", "note": "\x1b[36m"}
_INCLUDE_TESTS_HINT = "Test files were skipped; pass --include-tests to scan them."


def render(result: ScanResult, *, color: bool = False, quiet: bool = False) -> str:
    """Render `result` for a terminal; `color` only when the CLI knows stdout is one."""
    findings = sorted(result.active_findings)
    if quiet:
        lines = [_header(finding, color) for finding in findings]
    else:
        lines = []
        for finding in findings:
            lines += [_header(finding, color), *_source_block(finding, color), *_flow_line(finding), ""]
        lines += _summary(result, findings)
    return "".join(f"{line}\n" for line in lines)


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{_RESET}" if color else text


def _header(finding: Finding, color: bool) -> str:
    region = finding.region
    rule = _paint(finding.rule_id, _BOLD, color)
    severity = _paint(finding.severity, _SEVERITY_COLORS[finding.severity], color)
    return (
        f"{finding.path}:{region.start_line}:{region.start_column}: "
        f"{rule} [{severity}] {finding.message}"
    )


def _source_block(finding: Finding, color: bool) -> list[str]:
    """The region's source lines in a numbered gutter, with a marker under the first line.

    Only the first line is marked: a marker under every line of a multi-line call would bury the
    code it points at, and the header already gives where the region starts.
    """
    lines = source_lines(finding.snippet)
    if not lines:
        return []
    first = finding.region.start_line
    width = len(str(first + len(lines) - 1))
    gutter = " " * width
    marker = _paint(_marker(finding, lines[0]), _SEVERITY_COLORS[finding.severity], color)
    block = [f"  {first:>{width}} | {lines[0]}".rstrip(), f"  {gutter} | {marker}"]
    block += [f"  {first + i:>{width}} | {line}".rstrip() for i, line in enumerate(lines[1:], 1)]
    return block


def _flow_line(finding: Finding) -> list[str]:
    """The way a password came here across functions, compactly: where files differ, the path is
    given; within the finding's own file, the line is enough."""
    if not finding.flow:
        return []
    steps = []
    for step in finding.flow:
        where = f"{step.path}:{step.region.start_line}" if step.path != finding.path else f"line {step.region.start_line}"
        steps.append(f"{step.note} ({where})")
    return ["  flow: " + " -> ".join(steps)]


def _marker(finding: Finding, line: str) -> str:
    """Carets under the region's columns on `line`, to the line's end if the region goes on.

    Tabs before the region are kept as tabs so the carets line up however wide the terminal
    draws a tab.
    """
    region = finding.region
    start = region.start_column - 1
    end = region.end_column - 1 if region.end_line == region.start_line else len(line)
    pad = "".join(char if char == "\t" else " " for char in line[:start])
    return pad + "^" * max(1, end - start)


def _summary(result: ScanResult, findings: list[Finding]) -> list[str]:
    """Counts, then what was and was not looked at: a clean run must not pass for full coverage."""
    baselined = sum(1 for finding in result.findings if finding.baselined)
    suppressed = len(result.findings) - len(findings) - baselined
    return [
        _count_line(findings, suppressed, baselined),
        _scope_line(result),
        *([_problems_line(len(result.problems))] if result.problems else []),
        *([_INCLUDE_TESTS_HINT] if result.skipped_tests else []),
    ]


def _count_line(findings: list[Finding], suppressed: int, baselined: int) -> str:
    notes = [f"{suppressed} more suppressed in source"] if suppressed else []
    notes += [f"{baselined} more accepted by the baseline"] if baselined else []
    note = f" ({', '.join(notes)})" if notes else ""
    if not findings:
        return f"No password-storage problems found{note}."
    counts = count_by_severity(findings)
    parts = ", ".join(_plural(n, severity) for severity, n in counts.items() if n)
    return f"Found {_plural(len(findings), 'password-storage problem')}: {parts}{note}."


def _scope_line(result: ScanResult) -> str:
    return (
        f"{_plural(result.files_scanned, 'file')} scanned ({result.files_parsed} parsed), "
        f"{result.skipped_tests} skipped as tests, {result.excluded} excluded."
    )


def _problems_line(count: int) -> str:
    """Only the count: each file is named, with its reason, on stderr (`problem_line`), in every
    format, so a terminal does not show it twice."""
    return f"{_plural(count, 'file')} could not be analysed; see the lines on stderr."


def problem_line(problem: FileProblem) -> str:
    """`path: reason`, with the line and column when the reason has one (a syntax error)."""
    where = f"{problem.path}:{problem.line}:{problem.column}" if problem.line >= 1 else problem.path
    return f"{where}: {problem.message}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
