"""Judge each control of a catalogue from a scan: fail, pass, not evidenced, or outside static analysis.

The verdict of a control follows from the rules that cite it (their `standards:` mappings):

- **fail**: an unsuppressed finding of such a rule at severity error or warning (a note, such as a
  legacy hasher kept only to verify old hashes, is listed but does not fail the control);
- **outside static analysis**: the catalogue says a linter cannot judge the control;
- **pass**: no finding, and an observation (evidence of a compliant site) that cites the control;
- **not evidenced**: neither; the report lists what pwlint looked for.

Suppressed findings never fail a control, but they are listed with their reasons beside it and in the
scope, so an auditor sees every exception that was granted.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import subprocess
from pathlib import Path
from typing import Mapping, Optional, Sequence

import pwlint
from pwlint.compliance.records import (
    Assessment, Catalogue, ComplianceReport, Control, Evidence, LookedFor, RuleVersion, Scope,
)
from pwlint.findings import Finding, Observation, ScanResult
from pwlint.ruleset import Rule, RuleError


def choose_level(catalogue: Catalogue, level: Optional[str]) -> Optional[int]:
    """The level to report at: the one asked for, or every control (the highest level) by default."""
    if level is None:
        return max(catalogue.levels) if catalogue.levels else None
    if not catalogue.levels:
        raise RuleError("--level", 0, "", f"{catalogue.id} has no levels")
    if not level.isdigit() or int(level) not in catalogue.levels:
        known = ", ".join(map(str, catalogue.levels))
        raise RuleError("--level", 0, "", f"{level!r} is not a level of {catalogue.id} (levels: {known})")
    return int(level)


def assess(result: ScanResult, catalogue: Catalogue, level: Optional[int], rules: Sequence[Rule],
           scope: Scope) -> ComplianceReport:
    by_id = {rule.id: rule for rule in rules}
    controls = [c for c in catalogue.controls if level is None or c.level is None or c.level <= level]
    findings = _by_control(catalogue.id, result.findings, by_id)
    observations = _by_control(catalogue.id, result.observations, by_id)
    assessments = tuple(_assess(control, catalogue.id, findings.get(control.id, []),
                                observations.get(control.id, []), rules) for control in controls)
    return ComplianceReport(catalogue, level, assessments, scope)


def _by_control(standard: str, records: Sequence[Finding | Observation],
                rules: Mapping[str, Rule]) -> dict[str, list[Evidence]]:
    grouped: dict[str, list[Evidence]] = {}
    for record in records:
        rule = rules.get(record.rule_id)
        if rule is None:
            continue
        if isinstance(record, Finding):
            cited = rule.meta.standards.get(standard, ())
        else:
            cited = record.standards.get(standard, ())
        for control_id in cited:
            grouped.setdefault(control_id, []).append(evidence(record, rule.meta.name))
    return grouped


def evidence(record: Finding | Observation, rule_name: str) -> Evidence:
    severity = record.severity if isinstance(record, Finding) else ""
    reason = record.suppression_reason if isinstance(record, Finding) and record.suppressed else ""
    return Evidence(record.path, record.region.start_line, record.region.start_column, record.rule_id,
                    record.message, rule_name, severity, record.snippet, reason)


def _assess(control: Control, standard: str, findings: list[Evidence], observations: list[Evidence],
            rules: Sequence[Rule]) -> Assessment:
    active = tuple(sorted(e for e in findings if not e.suppression_reason and e.severity != "note"))
    notes = tuple(sorted(e for e in findings if not e.suppression_reason and e.severity == "note"))
    suppressed = tuple(sorted(e for e in findings if e.suppression_reason))
    observed = tuple(sorted(observations))
    if active:
        verdict = "fail"
    elif control.outside:
        verdict = "outside"
    elif observed:
        verdict = "pass"
    else:
        verdict = "not-evidenced"
    return Assessment(control, verdict, active, observed, suppressed, notes, _looked_for(control, standard, rules))


def _looked_for(control: Control, standard: str, rules: Sequence[Rule]) -> tuple[LookedFor, ...]:
    looked = []
    for rule in rules:
        if control.id not in rule.cited().get(standard, set()):
            continue
        evidences = any(control.id in o.standards.get(standard, ()) for o in rule.observers)
        looked.append(LookedFor(rule.id, rule.meta.name, rule.meta.summary, evidences))
    return tuple(looked)


# -- scope ---------------------------------------------------------------------------------------

def build_scope(result: ScanResult, paths: Sequence[str], rules: Sequence[Rule], thresholds: Mapping[str, object],
                names: Mapping[str, str]) -> Scope:
    """`names` maps rule ids to names for the suppression list."""
    suppressions = tuple(sorted(evidence(f, names.get(f.rule_id, "")) for f in result.findings if f.suppressed))
    commit, dirty = git_state(Path(result.root))
    return Scope(
        paths=tuple(paths),
        files_scanned=result.files_scanned,
        files_parsed=result.files_parsed,
        skipped_tests=result.skipped_tests,
        excluded=result.excluded,
        unparsable=tuple(sorted(result.problems)),
        suppressions=suppressions,
        profile=result.profile,
        profile_source=str(thresholds.get("source", "")),
        thresholds={k: v for k, v in thresholds.items() if k != "source"},
        pwlint_version=pwlint.__version__,
        rules=tuple(RuleVersion(r.id, r.meta.name, _digest(r.meta.source)) for r in rules),
        date=report_date(),
        git_commit=commit,
        git_dirty=dirty,
    )


def report_date() -> str:
    """Now, in UTC; SOURCE_DATE_EPOCH (the reproducible-builds convention) fixes it."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch.isdigit()
              else datetime.datetime.now(datetime.timezone.utc))
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def git_state(root: Path) -> tuple[str, bool]:
    """The commit checked out at `root` and whether tracked files differ from it; ("", False) when
    `root` is not in a git work tree or git is missing. A report never fails for want of git."""
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "-q", "HEAD"],
                              capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "", False
        status = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "", False
    return head.stdout.strip(), status.returncode == 0 and bool(status.stdout.strip())


def _digest(path: str) -> str:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    except OSError:
        return ""
