"""A compliance report as GitHub-flavoured Markdown, for a CI job summary or a pull-request comment.

A pull-request comment holds at most 65,536 characters, so each control lists its first
`EVIDENCE_SHOWN` items of each kind and says how many more there are; the HTML and JSON formats list
everything. Details sit in `<details>` blocks so the verdict table is what a reviewer sees first.
"""

from __future__ import annotations

import html
from typing import Sequence

from pwlint.compliance.records import (
    VERDICT_LABELS, Assessment, ComplianceReport, Evidence, Scope, commit_text, control_title, files_text,
    level_text, threshold_text,
)

EVIDENCE_SHOWN = 5
_MARK = {"fail": "❌", "pass": "✅", "not-evidenced": "⚪", "outside": "➖"}


def render(report: ComplianceReport) -> str:
    catalogue = report.catalogue
    level = level_text(report)
    counts = report.counts()
    lines = [
        f"# Compliance report: {_text(catalogue.title)} {catalogue.version}" + (f", {level}" if level else ""),
        "",
        " · ".join(f"{_MARK[v]} **{n}** {VERDICT_LABELS[v].lower()}" for v, n in counts.items())
        + f" ({len(report.assessments)} controls)",
        "",
        f"Scanned {_code(', '.join(report.scope.paths))} on {report.scope.date}, commit {_code(commit_text(report.scope))},"
        f" with pwlint {report.scope.pwlint_version} and the `{report.scope.profile}` threshold profile.",
        "",
        "| Control | Title | Verdict | Evidence |",
        "|---|---|---|---|",
    ]
    lines += [_row(a) for a in report.assessments]
    lines += ["", "## Controls", ""]
    for assessment in report.assessments:
        lines += _details(assessment)
    lines += _scope(report.scope, catalogue.source, catalogue.url)
    return "\n".join(lines) + "\n"


def _row(assessment: Assessment) -> str:
    verdict = f"{_MARK[assessment.verdict]} {VERDICT_LABELS[assessment.verdict]}"
    return (f"| {_cell(assessment.control.id)} | {_cell(control_title(assessment.control))} | {verdict} | "
            f"{_cell(_brief(assessment))} |")


def _brief(assessment: Assessment) -> str:
    if assessment.findings:
        first = assessment.findings[0]
        more = len(assessment.findings) - 1
        return f"{first.rule_id} at {first.location}" + (f" and {more} more" if more else "")
    if assessment.observations:
        first = assessment.observations[0]
        more = len(assessment.observations) - 1
        return f"{first.location}" + (f" and {more} more" if more else "")
    if assessment.verdict == "outside":
        return "cannot be judged from code"
    return "nothing found either way"


def _details(assessment: Assessment) -> list[str]:
    control = assessment.control
    level = f" (level {control.level})" if control.level is not None else ""
    lines = [f"<details><summary>{_MARK[assessment.verdict]} <b>{_html(control.id)}</b> "
             f"{_html(control_title(control))}: {VERDICT_LABELS[assessment.verdict]}</summary>", "",
             f"**{_text(control.section)}**{level}", "", "> " + _text(control.text)]
    if control.gloss:
        lines += [">", "> " + _text(control.gloss)]
    lines += ["", f"Source: {_text(control.source)}"]
    if control.note:
        lines += ["", f"pwlint's reading: {_text(control.note)}"]
    if control.outside:
        lines += ["", f"Outside static analysis: {_text(control.outside)}"]
    lines += _evidence("Findings that violate it", assessment.findings)
    lines += _evidence("Evidence that it is met", assessment.observations)
    lines += _evidence("Findings accepted by a suppression", assessment.suppressed)
    lines += _evidence("Notes (they do not fail the control)", assessment.notes)
    if assessment.looked_for:
        lines += ["", "What pwlint looked for:", ""]
        for rule in assessment.looked_for:
            kind = "findings and evidence" if rule.records_evidence else "findings"
            lines.append(f"- {rule.rule_id} {rule.rule_name} ({kind}): {_text(rule.summary)}")
    lines += ["", "</details>", ""]
    return lines


def _evidence(title: str, items: Sequence[Evidence]) -> list[str]:
    if not items:
        return []
    lines = ["", f"{title}:", ""]
    for item in items[:EVIDENCE_SHOWN]:
        severity = f" [{item.severity}]" if item.severity else ""
        reason = f" (suppressed: {_text(item.suppression_reason)})" if item.suppression_reason else ""
        lines.append(f"- `{item.location}` {item.rule_id}{severity}: {_text(item.message)}{reason}")
    if len(items) > EVIDENCE_SHOWN:
        lines.append(f"- and {len(items) - EVIDENCE_SHOWN} more (the HTML and JSON reports list them all)")
    return lines


def _scope(scope: Scope, source: str, url: str) -> list[str]:
    lines = ["## Scope", "",
             f"- Paths: {_code(', '.join(scope.paths))}",
             f"- Files: {files_text(scope)}",
             f"- Threshold profile: `{scope.profile}` ({_text(scope.profile_source)})",
             f"- pwlint {scope.pwlint_version}; rules " + ", ".join(f"{r.id}@{r.digest}" for r in scope.rules),
             f"- Date: {scope.date}; commit: {_code(commit_text(scope))}",
             f"- Catalogue: {_text(source)} ({url})"]
    for problem in scope.unparsable:
        lines.append(f"- Could not be analysed: `{problem.path}:{problem.line}` {_text(problem.message)}")
    lines += ["", f"Suppressions ({len(scope.suppressions)}):" if scope.suppressions else "No suppressions.", ""]
    for item in scope.suppressions:
        lines.append(f"- `{item.location}` {item.rule_id}: {_text(item.suppression_reason)}")
    lines += ["", "<details><summary>Thresholds applied</summary>", "", "| Threshold | Minimum |", "|---|---|"]
    lines += [f"| {name} | {threshold_text(value)} |" for name, value in scope.thresholds.items()]
    lines += ["", "</details>"]
    return lines


def _text(text: str) -> str:
    """Keep prose from being read as Markdown or HTML: line breaks, angle brackets, leading markers."""
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|")


def _html(text: str) -> str:
    return html.escape(" ".join(text.split()))


def _code(text: str) -> str:
    return f"`{text.replace('`', '')}`"
