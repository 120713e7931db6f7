"""Apply inline suppressions: `# pwlint: ignore[PW101] reason`, bare `# pwlint: ignore`, `# noqa: PW101`.

A comment counts on the finding's first line or on the first line of its statement, so a
multi-line call can be silenced where it starts. Only lines that carry findings are read.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Optional, Sequence

from pwlint.engine import Located
from pwlint.findings import Finding

_PWLINT = re.compile(r"#\s*pwlint:\s*ignore(?:\[(?P<ids>[^\]]*)\])?(?P<reason>[^#]*)", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa:\s*(?P<ids>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*)", re.IGNORECASE)


def _ids(text: Optional[str]) -> set[str]:
    return {part.upper() for part in re.split(r"[,\s]+", text or "") if part}


def suppression(line: str, rule_id: str) -> Optional[str]:
    """The reason a comment on this line gives for ignoring `rule_id`, or None if it does not."""
    if "#" not in line:
        return None
    match = _PWLINT.search(line)
    if match and (match.group("ids") is None or rule_id in _ids(match.group("ids"))):
        return match.group("reason").strip(" :-\t") or "suppressed inline"
    match = _NOQA.search(line)
    if match and rule_id in _ids(match.group("ids")):
        return "noqa"
    return None


def apply(located: Sequence[Located], lines: Sequence[str]) -> list[Finding]:
    findings = []
    for item in located:
        finding = item.finding
        reason = None
        for number in dict.fromkeys((finding.region.start_line, item.statement_line)):
            if 0 < number <= len(lines):
                reason = suppression(lines[number - 1], finding.rule_id)
                if reason is not None:
                    break
        findings.append(replace(finding, suppressed=True, suppression_reason=reason) if reason is not None else finding)
    return findings
