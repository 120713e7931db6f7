"""Inline suppressions: `# pwlint: ignore[PW101] reason`, bare `# pwlint: ignore`, `# noqa: PW101`,
and other linters' codes for the same finding, which a rule lists as `aliases`: a hard-coded
password someone already marked `# noqa: S105` (Ruff) or `# nosec B105` (Bandit) was reviewed.

A comment counts on the finding's first line or on the first line of its statement, so a
multi-line call can be silenced where it starts. Only lines that carry findings are read when
suppressing; each suppressed finding records the comment's line, which is how `unused` later tells
a comment that silenced something from one that silences nothing (`--warn-unused-ignores`).

`# noqa` is shared with flake8 and Ruff, so only codes that are ids of rules pwlint ran are ever
judged unused there; a `# pwlint: ignore` is pwlint's alone, so an id no loaded rule has is
reported as unknown (usually a typo, which would otherwise silently suppress nothing).
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterator, Mapping, Optional, Sequence

from pwlint.findings import Finding, Region, RuleMeta
from pwlint.parsing import LINE_BREAK

if TYPE_CHECKING:  # the engine imports libcst; the unused-ignore pass runs without it
    from pwlint.engine import Located

_PWLINT = re.compile(r"#\s*pwlint:\s*ignore(?:\[(?P<ids>[^\]]*)\])?(?P<reason>[^#]*)", re.IGNORECASE)
_NOQA = re.compile(r"#\s*noqa:\s*(?P<ids>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*)", re.IGNORECASE)
_NOSEC = re.compile(r"#\s*nosec\b:?\s*(?P<ids>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*)", re.IGNORECASE)

UNUSED_SUPPRESSION = RuleMeta(
    id="PW000",
    name="unused-suppression",
    message="Unused suppression",
    severity="warning",
    precision="very-high",
    category="suppression-hygiene",
    cwe=(),
    standards={},
    summary="Flags `# pwlint: ignore` and `# noqa` comments that suppress no finding "
    "(only with `--warn-unused-ignores`).",
    why="A suppression that matches nothing is either stale, because the code it excused was fixed "
    "or moved, or a typo that never worked. Either way it will silently hide the next finding that "
    "lands on its line.",
    fix="Delete the comment, or the rule ids in it that no longer apply. Fix a mistyped id.",
    references=(),
    bad_examples=("import bcrypt\n\nhashed = bcrypt.hashpw(password, bcrypt.gensalt())  # pwlint: ignore[PW101]\n",),
    good_examples=("import bcrypt\n\nhashed = bcrypt.hashpw(password, bcrypt.gensalt())\n",),
    security_severity=1.0,
    source="pwlint/suppressions.py",
)


def _ids(text: Optional[str]) -> set[str]:
    return {part.upper() for part in re.split(r"[,\s]+", text or "") if part}


def suppression(line: str, rule_id: str, aliases: Sequence[str] = ()) -> Optional[str]:
    """The reason a comment on this line gives for ignoring `rule_id` (or one of its `aliases`,
    other linters' codes), or None if it does not. A bare `# nosec` is Bandit's alone."""
    if "#" not in line:
        return None
    match = _PWLINT.search(line)
    if match and (match.group("ids") is None or rule_id in _ids(match.group("ids"))):
        return match.group("reason").strip(" :-\t") or "suppressed inline"
    match = _NOQA.search(line)
    if match and not _ids(match.group("ids")).isdisjoint((rule_id, *aliases)):
        return "noqa"
    match = _NOSEC.search(line) if aliases else None
    if match and not _ids(match.group("ids")).isdisjoint(aliases):
        return "nosec"
    return None


def apply(located: Sequence[Located], lines: Sequence[str], aliases: Mapping[str, Sequence[str]]) -> list[Finding]:
    """The findings, each marked suppressed when a comment says so; `aliases` by rule id."""
    findings = []
    for item in located:
        finding = item.finding
        codes = aliases.get(finding.rule_id, ())
        for number in dict.fromkeys((finding.region.start_line, item.statement_line)):
            reason = suppression(lines[number - 1], finding.rule_id, codes) if 0 < number <= len(lines) else None
            if reason is not None:
                finding = replace(finding, suppressed=True, suppression_reason=reason, suppression_line=number)
                break
        findings.append(finding)
    return findings


# -- unused suppressions ------------------------------------------------------------------------

@dataclass(frozen=True)
class Directive:
    """One suppression comment: `ids` is None for a bare `# pwlint: ignore`, which covers every rule."""

    kind: str  # "pwlint" or "noqa"
    ids: Optional[frozenset[str]]
    line: int
    column: int  # 1-based, of the "#"
    end_column: int  # end-exclusive
    text: str  # the directive as written, for the message


@dataclass(frozen=True)
class Scope:
    """The rules a file's suppressions can be judged against.

    An id is judged only when its rule ran on the file: a suppression for a rule left out by
    `--select` or per-file ignores may well be needed by a full run. A bare `# pwlint: ignore`
    covers every rule, so it is judged only when every loaded rule ran.
    """

    active: frozenset[str]
    known: frozenset[str]


def directives(data: bytes) -> list[Directive]:
    """Suppression comments in a file, from real comment tokens so strings that mention them do not count."""
    return [directive for line, column, comment in _comments(data) for directive in _parse(comment, line, column)]


def _comments(data: bytes) -> Iterator[tuple[int, int, str]]:
    """(line, 0-based column, text) of each comment. A file the tokenizer rejects (it parsed with
    libcst, which accepts newer syntax) is read line by line instead: a string holding "#" may then
    be taken for a comment, which can only make a used suppression look present, never hide one."""
    try:
        tokens = list(tokenize.tokenize(io.BytesIO(data).readline))
    except (tokenize.TokenError, SyntaxError):
        for number, line in enumerate(_lines(data), 1):
            if "#" in line:
                yield number, line.index("#"), line[line.index("#"):]
        return
    for token in tokens:
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.start[1], token.string


def _lines(data: bytes) -> list[str]:
    """Lines as Python numbers them: str.splitlines() would also split at form feeds."""
    return LINE_BREAK.split(data.decode("utf-8", "replace"))


def _parse(comment: str, line: int, column: int) -> Iterator[Directive]:
    match = _PWLINT.search(comment)
    if match:
        ids = None if match.group("ids") is None else frozenset(_ids(match.group("ids")))
        end = match.end("ids") + 1 if ids is not None else match.end(0) - len(match.group("reason"))
        yield Directive("pwlint", ids, line, column + match.start() + 1, column + end + 1, comment[match.start():end])
    match = _NOQA.search(comment)
    if match:
        yield Directive("noqa", frozenset(_ids(match.group("ids"))), line, column + match.start() + 1,
                        column + match.end() + 1, match.group(0))


def unused(path: str, data: bytes, findings: Sequence[Finding], scope: Scope) -> list[Finding]:
    """PW000 findings for the suppression comments in one file that suppressed none of `findings`."""
    used: dict[int, set[str]] = {}
    for finding in findings:
        if finding.suppressed and finding.suppression_line:
            used.setdefault(finding.suppression_line, set()).add(finding.rule_id)
    lines = _lines(data)
    reports = []
    for directive in directives(data):
        message = _verdict(directive, used.get(directive.line, set()), scope)
        if message:
            snippet = lines[directive.line - 1] if directive.line <= len(lines) else ""
            region = Region(directive.line, directive.column, directive.line, directive.end_column)
            reports.append(Finding(path, region, UNUSED_SUPPRESSION.id, UNUSED_SUPPRESSION.severity, message, snippet))
    return reports


def _verdict(directive: Directive, used: set[str], scope: Scope) -> str:
    """The message for an unused directive, or "" when it is used or cannot be judged."""
    name = "pwlint: ignore" if directive.kind == "pwlint" else "noqa"
    if directive.ids is None:
        blanket = not used and scope.active == scope.known
        return f"Unused blanket `{name}` directive: it suppresses no finding" if blanket else ""
    if not directive.ids:
        return f"Unused `{name}` directive: its brackets name no rule"
    unused_ids = sorted(i for i in directive.ids if i in scope.active and i not in used)
    unknown = sorted(i for i in directive.ids if directive.kind == "pwlint" and i not in scope.known)
    parts = [f"{label}: {', '.join(ids)}" for label, ids in (("unused", unused_ids), ("unknown", unknown)) if ids]
    return f"Unused `{name}` directive ({'; '.join(parts)})" if parts else ""
