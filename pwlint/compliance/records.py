"""Plain records of a compliance report, the only input of the compliance formats.

They hold text and numbers, never rules or syntax trees, so the HTML, Markdown and JSON formats
import nothing heavy and agree on every fact because they read the same record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

from pwlint.findings import FileProblem

# In the order a reader meets them: what is broken first, what cannot be judged last.
VERDICTS = ("fail", "pass", "not-evidenced", "outside")
VERDICT_LABELS = {
    "fail": "Fail",
    "pass": "Pass",
    "not-evidenced": "Not evidenced",
    "outside": "Outside static analysis",
}


@dataclass(frozen=True)
class Control:
    """One requirement of a standard, with its quote and where the quote was read."""

    id: str
    section: str
    title: str
    text: str
    source: str
    title_zh: str = ""
    gloss: str = ""  # an English gloss of a Chinese `text`; pwlint's, not an official translation
    level: Optional[int] = None  # the lowest level it applies at, for standards with levels
    note: str = ""  # how pwlint reads the control
    outside: str = ""  # why static analysis cannot judge it; empty when rules judge it


@dataclass(frozen=True)
class Catalogue:
    """A standard at one version: its identity, provenance and the controls pwlint reports on."""

    id: str
    title: str
    version: str
    source: str
    url: str
    controls: tuple[Control, ...]
    path: str
    published: str = ""
    language: str = "en"
    levels: tuple[int, ...] = ()


@dataclass(frozen=True, order=True)
class Evidence:
    """A finding or an observation as it supports a verdict: where, which rule, what it says."""

    path: str
    line: int
    column: int
    rule_id: str
    message: str
    rule_name: str = field(default="", compare=False)
    severity: str = field(default="", compare=False)  # empty for observations
    snippet: str = field(default="", compare=False)
    suppression_reason: str = field(default="", compare=False)  # set for suppressed findings only

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass(frozen=True)
class LookedFor:
    """A rule that speaks to a control: what it checks and whether it can also record evidence."""

    rule_id: str
    rule_name: str
    summary: str
    records_evidence: bool


@dataclass(frozen=True)
class Assessment:
    """One control's verdict and everything behind it."""

    control: Control
    verdict: str
    findings: tuple[Evidence, ...] = ()
    observations: tuple[Evidence, ...] = ()
    suppressed: tuple[Evidence, ...] = ()  # accepted by a suppression; listed, never counted as a failure
    notes: tuple[Evidence, ...] = ()  # note-severity findings (e.g. a legacy hasher kept to verify): shown, not failing
    looked_for: tuple[LookedFor, ...] = ()


@dataclass(frozen=True)
class RuleVersion:
    id: str
    name: str
    digest: str  # the first 12 hex digits of the rule file's SHA-256: rules carry no version number


@dataclass(frozen=True)
class Scope:
    """What the verdicts rest on: the files, the suppressions, the thresholds and the tools."""

    paths: tuple[str, ...]
    files_scanned: int
    files_parsed: int
    skipped_tests: int
    excluded: int
    unparsable: tuple[FileProblem, ...]
    suppressions: tuple[Evidence, ...]
    profile: str
    profile_source: str
    thresholds: Mapping[str, object]
    pwlint_version: str
    rules: tuple[RuleVersion, ...]
    date: str  # ISO 8601, UTC; SOURCE_DATE_EPOCH fixes it for reproducible reports
    git_commit: str = ""  # empty when the scanned path is not in a git work tree
    git_dirty: bool = False


@dataclass(frozen=True)
class ComplianceReport:
    catalogue: Catalogue
    level: Optional[int]
    assessments: tuple[Assessment, ...]
    scope: Scope

    def counts(self) -> dict[str, int]:
        """Controls per verdict, every verdict present even at zero, in VERDICTS order."""
        counts = dict.fromkeys(VERDICTS, 0)
        for assessment in self.assessments:
            counts[assessment.verdict] += 1
        return counts


# -- wording every format shares, so the HTML and Markdown reports never differ in a fact -------

def level_text(report: ComplianceReport) -> str:
    levels = report.catalogue.levels
    if not levels or report.level is None:
        return ""
    if report.level == max(levels):
        return f"level {report.level} (all controls)"
    return f"level {report.level} (controls of levels {', '.join(str(n) for n in levels if n <= report.level)})"


def files_text(scope: Scope) -> str:
    return (f"{scope.files_scanned} files scanned ({scope.files_parsed} parsed), {scope.skipped_tests} skipped as "
            f"tests, {scope.excluded} excluded, {len(scope.unparsable)} could not be analysed")


def commit_text(scope: Scope) -> str:
    if not scope.git_commit:
        return "not a git work tree"
    return scope.git_commit + (" (with uncommitted changes)" if scope.git_dirty else "")


def threshold_text(value: object) -> str:
    """A number, or a step table as `1: 131072, 2: 65536` (the row with the largest key not above
    the argument applies)."""
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_number(row)}" for key, row in value.items())
    return _number(value)


def _number(value: object) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def control_title(control: Control) -> str:
    return f"{control.title_zh} / {control.title}" if control.title_zh else control.title
