"""A stable JSON document for scripts and dashboards; the schema is docs/json-schema.md.

Unlike SARIF this format keeps suppressed findings, marked as such, so an audit can list every
`# pwlint: ignore` and its reason. Keys are emitted in a fixed order and lists sorted, so two runs
over the same code produce byte-identical files that diff cleanly.
"""

from __future__ import annotations

import json
from typing import Any

import pwlint
from pwlint.findings import FileProblem, Finding, RuleMeta, ScanResult
from pwlint.reporters import count_by_severity, rules_by_id

SCHEMA_VERSION = 1  # bump only when a key is removed or its meaning changes; adding keys keeps it


def render(result: ScanResult) -> str:
    rules = rules_by_id(result.rules)
    document = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "pwlint", "version": pwlint.__version__},
        "profile": result.profile,
        "scope": {
            "files_scanned": result.files_scanned,
            "files_parsed": result.files_parsed,
            "skipped_tests": result.skipped_tests,
            "excluded": result.excluded,
            "not_analysed": len(result.problems),
        },
        "findings": [_finding(f, rules[f.rule_id]) for f in sorted(result.findings)],
        "problems": [_problem(p) for p in sorted(result.problems)],
        "summary": count_by_severity(result.active_findings),
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


def _finding(finding: Finding, rule: RuleMeta) -> dict[str, Any]:
    region = finding.region
    return {
        "rule_id": finding.rule_id,
        "rule_name": rule.name,
        "severity": finding.severity,
        "message": finding.message,
        "path": finding.path,
        "line": region.start_line,
        "column": region.start_column,
        "end_line": region.end_line,
        "end_column": region.end_column,
        "snippet": finding.snippet,
        "suppressed": finding.suppressed,
        "suppression_reason": finding.suppression_reason if finding.suppressed else None,
        "cwe": [f"CWE-{number}" for number in rule.cwe],
        "category": rule.category,
    }


def _problem(problem: FileProblem) -> dict[str, Any]:
    return {
        "path": problem.path,
        "line": problem.line,
        "column": problem.column,
        "message": problem.message,
    }
