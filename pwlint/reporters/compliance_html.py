"""A compliance report as one self-contained HTML file: no scripts, fonts or images to fetch, so it
opens offline, can be attached to an audit, and prints cleanly (A4 or Letter, verdict colours kept,
no control split across pages where avoidable).
"""

from __future__ import annotations

from html import escape
from typing import Sequence

from pwlint.compliance.records import (
    VERDICT_LABELS, Assessment, ComplianceReport, Evidence, Scope, commit_text, control_title, files_text,
    level_text, threshold_text,
)

_STYLE = """
:root { --fail: #b42318; --pass: #067647; --none: #475467; --outside: #6941c6; --line: #d0d5dd; }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC",
       "PingFang SC", "Microsoft YaHei", sans-serif; color: #101828; margin: 0 auto; max-width: 68rem;
       padding: 2rem 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1.05rem; margin: 0 0 .25rem; }
.meta { color: #475467; margin: 0 0 1rem; }
.counts { display: flex; gap: .75rem; flex-wrap: wrap; margin: 1rem 0; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--line); border-radius: .5rem; padding: .5rem .9rem; min-width: 9rem; }
.counts b { display: block; font-size: 1.5rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f2f4f7; }
tr { break-inside: avoid; }
.verdict { display: inline-block; border-radius: 1rem; padding: 0 .6rem; font-weight: 600; color: #fff;
           white-space: nowrap; }
.v-fail { background: var(--fail); } .v-pass { background: var(--pass); }
.v-not-evidenced { background: var(--none); } .v-outside { background: var(--outside); }
.control { border: 1px solid var(--line); border-left: .35rem solid var(--none); border-radius: .4rem;
           padding: .75rem 1rem; margin: 0 0 1rem; break-inside: avoid; }
.control.c-fail { border-left-color: var(--fail); } .control.c-pass { border-left-color: var(--pass); }
.control.c-outside { border-left-color: var(--outside); }
blockquote { margin: .5rem 0; padding: .25rem .75rem; border-left: 3px solid var(--line); color: #344054; }
.small { color: #475467; font-size: .9em; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "Noto Sans Mono CJK SC", monospace;
            font-size: .9em; }
pre { background: #f9fafb; border: 1px solid #eaecf0; padding: .4rem .6rem; margin: .25rem 0 .5rem;
      white-space: pre-wrap; word-break: break-word; }
ul.evidence { padding-left: 1.2rem; margin: .25rem 0 .5rem; }
@page { margin: 15mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def render(report: ComplianceReport) -> str:
    catalogue = report.catalogue
    level = level_text(report)
    title = f"Compliance report: {catalogue.title} {catalogue.version}" + (f", {level}" if level else "")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head>",
        "<body>",
        f"<h1>{_lang(title, catalogue.language)}</h1>",
        f'<p class="meta">{escape(report.scope.date)} · commit <code>{escape(commit_text(report.scope))}</code> · '
        f"pwlint {escape(report.scope.pwlint_version)} · profile <code>{escape(report.scope.profile)}</code></p>",
        _counts(report),
        "<h2>Verdicts</h2>",
        _table(report.assessments),
        "<h2>Controls and evidence</h2>",
        *(_control(a) for a in report.assessments),
        _scope(report.scope, catalogue.source, catalogue.url),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _counts(report: ComplianceReport) -> str:
    items = "".join(f'<li><b>{count}</b><span class="verdict v-{verdict}">{VERDICT_LABELS[verdict]}</span></li>'
                    for verdict, count in report.counts().items())
    return f'<ul class="counts" aria-label="Controls per verdict">{items}</ul>'


def _table(assessments: Sequence[Assessment]) -> str:
    rows = "".join(
        f'<tr><td><a href="#{_anchor(a.control.id)}">{escape(a.control.id)}</a></td>'
        f"<td>{_lang(control_title(a.control), 'zh' if a.control.title_zh else 'en')}</td>"
        f"<td>{_badge(a.verdict)}</td><td>{len(a.findings)}</td><td>{len(a.observations)}</td></tr>"
        for a in assessments)
    return ("<table><thead><tr><th>Control</th><th>Title</th><th>Verdict</th><th>Findings</th>"
            f"<th>Evidence</th></tr></thead><tbody>{rows}</tbody></table>")


def _control(assessment: Assessment) -> str:
    control = assessment.control
    level = f" · level {control.level}" if control.level is not None else ""
    parts = [
        f'<section class="control c-{assessment.verdict}" id="{_anchor(control.id)}">',
        f"<h3>{escape(control.id)} {_lang(control_title(control), 'zh' if control.title_zh else 'en')} "
        f"{_badge(assessment.verdict)}</h3>",
        f'<div class="small">{_lang(control.section, "zh" if control.title_zh else "en")}{level}</div>',
        f"<blockquote>{_lang(control.text, 'zh' if control.title_zh else 'en')}"
        + (f'<br><span class="small">{escape(control.gloss)}</span>' if control.gloss else "") + "</blockquote>",
        f'<div class="small">Source: {escape(control.source)}</div>',
    ]
    if control.note:
        parts.append(f"<p><b>pwlint's reading:</b> {escape(control.note)}</p>")
    if control.outside:
        parts.append(f"<p><b>Outside static analysis:</b> {escape(control.outside)}</p>")
    parts.append(_evidence("Findings that violate it", assessment.findings))
    parts.append(_evidence("Evidence that it is met", assessment.observations))
    parts.append(_evidence("Findings accepted by a suppression", assessment.suppressed))
    parts.append(_evidence("Notes (they do not fail the control)", assessment.notes))
    if assessment.looked_for:
        items = "".join(
            f"<li><b>{escape(r.rule_id)}</b> {escape(r.rule_name)} "
            f"({'findings and evidence' if r.records_evidence else 'findings'}): {escape(r.summary)}</li>"
            for r in assessment.looked_for)
        parts.append(f'<p class="small">What pwlint looked for:</p><ul class="small">{items}</ul>')
    parts.append("</section>")
    return "\n".join(part for part in parts if part)


def _evidence(title: str, items: Sequence[Evidence]) -> str:
    if not items:
        return ""
    entries = []
    for item in items:
        severity = f" [{escape(item.severity)}]" if item.severity else ""
        reason = f" <i>suppressed: {escape(item.suppression_reason)}</i>" if item.suppression_reason else ""
        snippet = f"<pre>{escape(item.snippet)}</pre>" if item.snippet else ""
        entries.append(f"<li><code>{escape(item.location)}</code> <b>{escape(item.rule_id)}</b>{severity} "
                       f"{escape(item.message)}{reason}{snippet}</li>")
    return f"<p><b>{escape(title)}</b> ({len(items)})</p><ul class=\"evidence\">{''.join(entries)}</ul>"


def _scope(scope: Scope, source: str, url: str) -> str:
    facts = [
        ("Paths", f"<code>{escape(', '.join(scope.paths))}</code>"),
        ("Files", escape(files_text(scope))),
        ("Threshold profile", f"<code>{escape(scope.profile)}</code>: {escape(scope.profile_source)}"),
        ("pwlint", escape(scope.pwlint_version)),
        ("Rules", escape(", ".join(f"{r.id} {r.name} @{r.digest}" for r in scope.rules))),
        ("Date", escape(scope.date)),
        ("Git commit", f"<code>{escape(commit_text(scope))}</code>"),
        ("Catalogue", f"{escape(source)} (<a href=\"{escape(url)}\">{escape(url)}</a>)"),
    ]
    rows = "".join(f"<tr><th>{name}</th><td>{value}</td></tr>" for name, value in facts)
    parts = ["<h2>Scope</h2>", f"<table>{rows}</table>"]
    if scope.unparsable:
        items = "".join(f"<li><code>{escape(p.path)}:{p.line}</code> {escape(p.message)}</li>" for p in scope.unparsable)
        parts.append(f"<p><b>Could not be analysed</b> ({len(scope.unparsable)})</p><ul>{items}</ul>")
    if scope.suppressions:
        items = "".join(f"<li><code>{escape(e.location)}</code> <b>{escape(e.rule_id)}</b> "
                        f"{escape(e.suppression_reason)}</li>" for e in scope.suppressions)
        parts.append(f"<p><b>Suppressions</b> ({len(scope.suppressions)})</p><ul>{items}</ul>")
    else:
        parts.append("<p><b>Suppressions</b>: none.</p>")
    rows = "".join(f"<tr><td><code>{escape(name)}</code></td><td>{escape(threshold_text(value))}</td></tr>"
                   for name, value in scope.thresholds.items())
    parts.append(f"<p><b>Thresholds applied</b></p><table><thead><tr><th>Threshold</th><th>Minimum</th></tr>"
                 f"</thead><tbody>{rows}</tbody></table>")
    return "\n".join(parts)


def _badge(verdict: str) -> str:
    return f'<span class="verdict v-{verdict}">{VERDICT_LABELS[verdict]}</span>'


def _lang(text: str, language: str) -> str:
    """Mark Chinese text so browsers pick CJK glyphs and screen readers the right voice."""
    return f'<span lang="zh-CN">{escape(text)}</span>' if language == "zh" else escape(text)


def _anchor(control_id: str) -> str:
    return "c-" + "".join(ch if ch.isalnum() else "-" for ch in control_id)
