"""A compliance report as JSON for scripts and GRC tools; the schema is docs/compliance-schema.md.

Keys come in a fixed order and lists are sorted, so the same code, date and commit give the same
bytes. Evidence lists are complete; the Markdown format is the one that shortens them.
"""

from __future__ import annotations

import json
from typing import Any

from pwlint.compliance.records import Assessment, ComplianceReport, Evidence, Scope

SCHEMA_VERSION = 1  # bump only when a key is removed or its meaning changes; adding keys keeps it


def render(report: ComplianceReport) -> str:
    catalogue = report.catalogue
    document = {
        "version": SCHEMA_VERSION,
        "kind": "pwlint-compliance-report",
        "tool": {"name": "pwlint", "version": report.scope.pwlint_version},
        "standard": {
            "id": catalogue.id,
            "title": catalogue.title,
            "version": catalogue.version,
            "published": catalogue.published or None,
            "language": catalogue.language,
            "levels": list(catalogue.levels),
            "source": catalogue.source,
            "url": catalogue.url,
        },
        "level": report.level,
        "summary": report.counts(),
        "controls": [_control(a) for a in report.assessments],
        "scope": _scope(report.scope),
    }
    return json.dumps(document, indent=2) + "\n"


def _control(assessment: Assessment) -> dict[str, Any]:
    control = assessment.control
    return {
        "id": control.id,
        "section": control.section,
        "title": control.title,
        "title_zh": control.title_zh or None,
        "level": control.level,
        "text": control.text,
        "gloss": control.gloss or None,
        "source": control.source,
        "note": control.note or None,
        "verdict": assessment.verdict,
        "outside_reason": control.outside or None,
        "findings": [evidence(e) for e in assessment.findings],
        "observations": [evidence(e) for e in assessment.observations],
        "suppressed": [evidence(e) for e in assessment.suppressed],
        "notes": [evidence(e) for e in assessment.notes],
        "looked_for": [{"rule_id": r.rule_id, "rule_name": r.rule_name, "summary": r.summary,
                        "records_evidence": r.records_evidence} for r in assessment.looked_for],
    }


def evidence(item: Evidence) -> dict[str, Any]:
    return {
        "path": item.path,
        "line": item.line,
        "column": item.column,
        "rule_id": item.rule_id,
        "rule_name": item.rule_name,
        "severity": item.severity or None,
        "message": item.message,
        "snippet": item.snippet,
        "suppression_reason": item.suppression_reason or None,
    }


def _scope(scope: Scope) -> dict[str, Any]:
    return {
        "paths": list(scope.paths),
        "files_scanned": scope.files_scanned,
        "files_parsed": scope.files_parsed,
        "skipped_tests": scope.skipped_tests,
        "excluded": scope.excluded,
        "unparsable": [{"path": p.path, "line": p.line, "message": p.message} for p in scope.unparsable],
        "suppressions": [evidence(e) for e in scope.suppressions],
        "profile": scope.profile,
        "profile_source": scope.profile_source,
        "thresholds": {key: _threshold(value) for key, value in scope.thresholds.items()},
        "pwlint_version": scope.pwlint_version,
        "rules": [{"id": r.id, "name": r.name, "digest": r.digest} for r in scope.rules],
        "date": scope.date,
        "git_commit": scope.git_commit or None,
        "git_dirty": scope.git_dirty,
    }


def _threshold(value: object) -> object:
    """A step table's integer keys become strings, as JSON object keys must be."""
    if isinstance(value, dict):
        return {str(key): row for key, row in value.items()}
    return value
