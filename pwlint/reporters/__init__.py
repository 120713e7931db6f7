"""Output formats: each turns a ScanResult into the text one kind of reader expects.

Format modules are imported only when asked for, because pwlint runs in pre-commit on every
commit and a text run should not pay for building SARIF. The helpers here are the few facts every
format must agree on, so that the counts in a terminal, a JSON file and a SARIF log never differ.
"""

from __future__ import annotations

from typing import Iterable

from pwlint.findings import SEVERITIES, Finding, Region, RuleMeta, ScanResult

FORMATS = ("text", "json", "sarif", "github")


def render(fmt: str, result: ScanResult, *, color: bool = False, quiet: bool = False,
           include_suppressed: bool = False, sarif_category: str = "") -> str:
    """Render `result` in `fmt`.

    `color` and `quiet` shape what a person reads in a terminal, so only the text format honours
    them; JSON and SARIF are read by programs and are always complete and uncoloured.
    `include_suppressed` and `sarif_category` shape the SARIF upload only: JSON always lists
    suppressed findings, and text and GitHub annotations never show them.
    """
    if fmt == "text":
        from pwlint.reporters import text

        return text.render(result, color=color, quiet=quiet)
    if fmt == "json":
        from pwlint.reporters import json as json_format

        return json_format.render(result)
    if fmt == "sarif":
        from pwlint.reporters import sarif

        return sarif.render(result, include_suppressed=include_suppressed, category=sarif_category)
    if fmt == "github":
        from pwlint.reporters import github

        return github.render(result)
    raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")


def count_by_severity(findings: Iterable[Finding]) -> dict[str, int]:
    """Count findings per severity, every severity present even at zero, in SEVERITIES order.

    Fixed keys let a reader of the JSON summary index it without checking for absence.
    """
    counts = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        counts[finding.severity] += 1
    return counts


def rules_by_id(rules: Iterable[RuleMeta]) -> dict[str, RuleMeta]:
    """Index rules so a finding, which carries only its rule id, can reach the rule's metadata."""
    return {rule.id: rule for rule in rules}


def source_lines(snippet: str) -> list[str]:
    """Split a finding's snippet into lines the way Python's tokenizer does.

    str.splitlines() would also break at form feeds and Unicode separators, which Python source
    treats as ordinary characters, and so shift every line after them.
    """
    text = snippet.replace("\r\n", "\n").replace("\r", "\n")
    if text.endswith("\n"):
        text = text[:-1]
    return text.split("\n") if text else []


def region_text(region: Region, lines: list[str]) -> str:
    """Cut the region out of its whole lines (a finding's snippet): the code the finding is about.

    SARIF's region snippet is this text, and a baseline recognises a finding by it. The end is cut
    before the start so a one-line region is sliced correctly by the same code.
    """
    span = lines[: region.end_line - region.start_line + 1]
    span[-1] = span[-1][: region.end_column - 1]
    span[0] = span[0][region.start_column - 1 :]
    return "\n".join(span)
