"""Plain records handed from the engine to suppressions and reporters.

Nothing here knows libcst or any output format: the engine builds these records, reporters turn
them into text. Keeping them frozen and ordered makes output deterministic whatever order files
were scanned in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

SEVERITIES = ("error", "warning", "note")


@dataclass(frozen=True, order=True)
class Region:
    """A 1-based, end-exclusive span in a source file (SARIF's convention for columns)."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class RuleMeta:
    """What a reporter may know of a rule: its identity and documentation, never its match spec."""

    id: str
    name: str
    message: str
    severity: str
    precision: str
    category: str
    cwe: tuple[int, ...]
    standards: Mapping[str, tuple[str, ...]]
    summary: str
    why: str
    fix: str
    references: tuple[str, ...]
    bad_examples: tuple[str, ...]
    good_examples: tuple[str, ...]
    security_severity: float
    source: str  # the YAML file the rule came from
    observed_examples: tuple[str, ...] = ()  # code where the rule records evidence (`observe` patterns)
    # other linters' codes for the same finding (Ruff's `S105`, Bandit's `B105`): their suppressions count
    aliases: tuple[str, ...] = ()

    @property
    def help_uri(self) -> str:
        return f"https://github.com/pwlint/pwlint/blob/main/docs/rules.md#{self.id.lower()}"


@dataclass(frozen=True, order=True)
class FlowStep:
    """One place on a password's way to a finding: its source, a call it passed through."""

    path: str
    region: Region
    note: str


@dataclass(frozen=True, order=True)
class Finding:
    """One rule match at one place. Ordered by path, then position, then rule, for stable output."""

    path: str  # POSIX path relative to the scan root
    region: Region
    rule_id: str
    severity: str
    message: str
    snippet: str = field(compare=False)  # the source lines of the region, verbatim
    suppressed: bool = field(default=False, compare=False)
    suppression_reason: str = field(default="", compare=False)
    # from the password's source to the last call before this finding, when it crossed functions
    flow: tuple[FlowStep, ...] = field(default=(), compare=False)
    # the line of the `# pwlint: ignore` or `# noqa` comment that suppressed it (0: none known),
    # which tells used comments from unused ones
    suppression_line: int = field(default=0, compare=False)
    baselined: bool = field(default=False, compare=False)  # suppressed because a baseline lists it
    # the contents (inside the quotes) of string literals a rule declared secret (`redact: true`),
    # in this file: reporters mask them so pwlint's output does not repeat a hard-coded password
    secrets: tuple[Region, ...] = field(default=(), compare=False)


@dataclass(frozen=True, order=True)
class Observation:
    """Positive evidence: a site where a rule saw a control being met, such as Argon2id at adequate
    parameters or a constant-time comparison. Kept apart from findings, so evidence never changes
    exit codes, SARIF results or `pwlint check` output; only compliance reports read it."""

    path: str
    region: Region
    rule_id: str
    message: str
    standards: Mapping[str, tuple[str, ...]] = field(compare=False, default_factory=dict)
    snippet: str = field(compare=False, default="")
    secrets: tuple[Region, ...] = field(default=(), compare=False)  # as for a Finding


@dataclass(frozen=True, order=True)
class FileProblem:
    """A file pwlint could not analyse (unreadable, undecodable, unparsable) and why."""

    path: str
    line: int
    column: int
    message: str


@dataclass
class ScanResult:
    """Everything one scan produced, the input of every reporter."""

    root: str  # absolute scan root; finding paths are relative to it
    findings: list[Finding]
    rules: list[RuleMeta]  # the rules that were active, sorted by id
    problems: list[FileProblem]
    files_scanned: int = 0  # files parsed or proven by the prefilter to hold no finding
    files_parsed: int = 0
    skipped_tests: int = 0
    excluded: int = 0
    profile: str = "owasp-2026"
    # GitHub's primaryLocationLineHash per path and line, filled only for SARIF (fingerprints.py)
    line_hashes: dict[str, dict[int, str]] = field(default_factory=dict)
    observations: list[Observation] = field(default_factory=list)  # collected only when Settings.observe
    # each scanned file's bytes as read, for the passes after the scan (fingerprints, unused
    # suppressions): reading again could see a file changed or gone since
    sources: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def active_findings(self) -> list[Finding]:
        return [f for f in self.findings if not f.suppressed]
