"""SARIF 2.1.0 shaped for GitHub code scanning, the format CI uploads.

GitHub rejects or misplaces results whose locations are absolute, so every location is a
percent-encoded path relative to `%SRCROOT%`. It ranks and labels alerts from the rule's
`security-severity`, `precision`, `problem.severity` and `tags`, so every rule carries them. It has
no use for suppressed results (an alert would open only to be dismissed), so they are left out
unless asked for. Output is byte-identical for identical input, so a re-run never looks like a
change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pwlint
from pwlint.discovery import name_bytes
from pwlint.findings import FileProblem, Finding, FlowStep, RuleMeta, ScanResult
from pwlint.reporters import region_text, source_lines

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/pwlint/pwlint"
SRCROOT = "%SRCROOT%"

# GitHub reads problem.severity as error / warning / recommendation; SARIF's "note" is the last.
_PROBLEM_SEVERITY = {"error": "error", "warning": "warning", "note": "recommendation"}


def render(result: ScanResult, *, include_suppressed: bool = False, category: str = "") -> str:
    """Render `result` as a SARIF log; `include_suppressed` keeps suppressed results, marked.

    Suppressed results are opt-in because GitHub would still list them as (closed) alerts.
    `category` becomes `automationDetails.id`, which is otherwise left out: the upload action
    derives one from the workflow and job only when the log has none.
    """
    rules = sorted(result.rules, key=lambda rule: rule.id)
    index = {rule.id: position for position, rule in enumerate(rules)}
    findings = sorted(f for f in result.findings if include_suppressed or not f.suppressed)
    run: dict[str, Any] = {
        "tool": {"driver": _driver(rules)},
        "invocations": [_invocation(result.problems)],
        "originalUriBaseIds": {SRCROOT: {"uri": _root_uri(result.root)}},
        # Finding columns count characters, as Python strings do; without this a viewer may read
        # them as UTF-16 units and shift every marker after an emoji.
        "columnKind": "unicodeCodePoints",
        "results": [_fingerprinted(_result(finding, index[finding.rule_id]), finding, result.line_hashes)
                    for finding in findings],
        # every report states its scope, so a clean result over zero files is never mistaken for a pass
        "properties": {
            "profile": result.profile,
            "filesScanned": result.files_scanned,
            "filesParsed": result.files_parsed,
            "skippedAsTests": result.skipped_tests,
            "excluded": result.excluded,
            "filesNotAnalysed": len(result.problems),
        },
    }
    if category:
        run["automationDetails"] = {"id": automation_id(category)}
    log = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2) + "\n"


def automation_id(category: str) -> str:
    """GitHub reads the id up to its last "/" as the analysis category; the upload action appends
    "/" to its own `category` input the same way, so both spellings name one category."""
    return category if category.endswith("/") else category + "/"


def _fingerprinted(entry: dict[str, Any], finding: Finding, hashes: dict[str, dict[int, str]]) -> dict[str, Any]:
    """Add GitHub's line hash when the scan computed one; without it GitHub computes its own."""
    digest = hashes.get(finding.path, {}).get(finding.region.start_line)
    if digest:
        entry["partialFingerprints"] = {"primaryLocationLineHash": digest}
    return entry


def _root_uri(root: str) -> str:
    """The scan root as a file URI; it must end in "/" or relative URIs would resolve beside it."""
    uri = Path(root).as_uri()
    return uri if uri.endswith("/") else uri + "/"


def _driver(rules: list[RuleMeta]) -> dict[str, Any]:
    return {
        "name": "pwlint",
        "semanticVersion": pwlint.__version__,
        "version": pwlint.__version__,
        "informationUri": INFORMATION_URI,
        "rules": [_descriptor(rule) for rule in rules],
    }


def _descriptor(rule: RuleMeta) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": rule.why},
        "help": {"text": _help_text(rule), "markdown": _help_markdown(rule)},
        "helpUri": rule.help_uri,
        "defaultConfiguration": {"level": rule.severity},
        "properties": {
            "tags": _tags(rule),
            "precision": rule.precision,
            "security-severity": f"{rule.security_severity:.1f}",
            "problem.severity": _PROBLEM_SEVERITY[rule.severity],
            "standards": {name: list(ids) for name, ids in sorted(rule.standards.items())},
        },
    }


def _tags(rule: RuleMeta) -> list[str]:
    """Tags start with "security": GitHub uses security-severity only for rules tagged so."""
    tags = ["security", *(f"external/cwe/cwe-{number}" for number in rule.cwe), rule.category]
    return list(dict.fromkeys(tags))


def _cwe_links(rule: RuleMeta) -> list[tuple[str, str]]:
    return [(f"CWE-{n}", f"https://cwe.mitre.org/data/definitions/{n}.html") for n in rule.cwe]


def _help_text(rule: RuleMeta) -> str:
    """Plain help for viewers that do not render Markdown; same sections as the Markdown."""
    sections = [rule.summary, f"Why is this bad?\n{rule.why}", f"How to fix\n{rule.fix}"]
    sections += [f"Example\n{code}" for code in rule.bad_examples]
    sections += [f"Use instead\n{code}" for code in rule.good_examples]
    if rule.standards:
        sections.append("Standards\n" + "\n".join(_standard_lines(rule)))
    links = [*rule.references, *(f"{label}: {url}" for label, url in _cwe_links(rule))]
    if links:
        sections.append("References\n" + "\n".join(links))
    return "\n\n".join(section.strip("\n") for section in sections) + "\n"


def _help_markdown(rule: RuleMeta) -> str:
    """The `pwlint explain` sections (Ruff's shape), which GitHub shows beside each alert."""
    sections = [rule.summary, f"## Why is this bad?\n\n{rule.why}", f"## How to fix\n\n{rule.fix}"]
    sections += [f"## Example\n\n{_code_block(code)}" for code in rule.bad_examples]
    sections += [f"## Use instead\n\n{_code_block(code)}" for code in rule.good_examples]
    if rule.standards:
        standards = "\n".join(f"- {line}" for line in _standard_lines(rule))
        sections.append(f"## Standards\n\n{standards}")
    links = [f"- <{url}>" for url in rule.references]
    links += [f"- [{label}]({url})" for label, url in _cwe_links(rule)]
    if links:
        sections.append("## References\n\n" + "\n".join(links))
    return "\n\n".join(section.strip("\n") for section in sections) + "\n"


def _standard_lines(rule: RuleMeta) -> list[str]:
    return [f"{name}: {', '.join(ids)}" for name, ids in sorted(rule.standards.items())]


def _code_block(code: str) -> str:
    """A fenced Python block whose fence is longer than any backtick run inside the code."""
    longest, run = 0, 0
    for char in code:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    body = code.strip("\n")
    return f"{fence}python\n{body}\n{fence}"


def _artifact(path: str) -> dict[str, str]:
    return {"uri": quote(name_bytes(path)), "uriBaseId": SRCROOT}


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": finding.severity,
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": _physical_location(finding)}],
    }
    if finding.flow:
        _add_flow(result, finding.flow)
    if finding.suppressed:
        # a baseline suppresses from outside the source, which SARIF calls "external"
        suppression = {"kind": "external" if finding.baselined else "inSource"}
        if finding.suppression_reason:
            suppression["justification"] = finding.suppression_reason
        result["suppressions"] = [suppression]
    return result


def _add_flow(result: dict[str, Any], flow: tuple[FlowStep, ...]) -> None:
    """A password that crossed functions: the source as a related location the message links to
    (GitHub shows `[text](id)` links in alerts), and every step as a thread flow (its "Show paths")."""
    source = flow[0]
    result["message"]["text"] += f" (source: [{_escape_link(source.note)}](1))"
    result["relatedLocations"] = [{"id": 1, "physicalLocation": _step_location(source),
                                   "message": {"text": source.note}}]
    steps = [{"location": {"physicalLocation": _step_location(step), "message": {"text": step.note}}}
             for step in flow]
    result["codeFlows"] = [{"threadFlows": [{"locations": steps}]}]


def _escape_link(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _step_location(step: FlowStep) -> dict[str, Any]:
    region = step.region
    return {
        "artifactLocation": _artifact(step.path),
        "region": {"startLine": region.start_line, "startColumn": region.start_column,
                   "endLine": region.end_line, "endColumn": region.end_column},
    }


def _physical_location(finding: Finding) -> dict[str, Any]:
    """The region with its exact text, and the whole lines around it as context for viewers."""
    region = finding.region
    location: dict[str, Any] = {
        "artifactLocation": _artifact(finding.path),
        "region": {
            "startLine": region.start_line,
            "startColumn": region.start_column,
            "endLine": region.end_line,
            "endColumn": region.end_column,
        },
    }
    lines = source_lines(finding.snippet)
    if lines:
        location["region"]["snippet"] = {"text": region_text(region, lines)}
        location["contextRegion"] = {
            "startLine": region.start_line,
            "endLine": region.start_line + len(lines) - 1,
            "snippet": {"text": finding.snippet},
        }
    return location


def _invocation(problems: list[FileProblem]) -> dict[str, Any]:
    """Unanalysable files are notifications, not results: they mark where pwlint could not look,
    not flaws in the code, so they must not open alerts."""
    return {
        "executionSuccessful": True,
        "toolExecutionNotifications": [_notification(problem) for problem in sorted(problems)],
    }


def _notification(problem: FileProblem) -> dict[str, Any]:
    """A problem with no position (line below 1, e.g. an unreadable file) points at the file
    alone, since SARIF regions start at line 1."""
    location: dict[str, Any] = {"artifactLocation": _artifact(problem.path)}
    if problem.line >= 1:
        location["region"] = {"startLine": problem.line, "startColumn": max(problem.column, 1)}
    return {
        "level": "warning",
        "message": {"text": f"{problem.path} could not be analysed: {problem.message}"},
        "locations": [{"physicalLocation": location}],
    }
