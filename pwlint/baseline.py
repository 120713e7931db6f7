"""Baselines: accept today's findings once, then report only new ones.

Adopting a linter on an old codebase fails if the first run demands hundreds of fixes, so
`--baseline-write FILE` records the current findings and `--baseline FILE` marks those again as
suppressed ("external" in SARIF), leaving only new findings to report and to fail on.

A finding is recognised by its rule, its file and its *normalised code*, never its line number,
so it keeps matching when lines are added above it, when the code is reformatted (whitespace, line
breaks, quote style, trailing commas, comments) or when unrelated lines change. The code is stored
as a hash: a committed baseline must not repeat the hard-coded passwords it lists. When a file holds
several findings with the same code, each baseline entry accepts one of them: first one whose
whole lines (the statement around the code) also match, then the one nearest the entry's line
once the file's estimated shift is applied. So a pasted copy is still reported, and when two
copies are indistinguishable the count of new findings is still right.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import tokenize
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterator, Sequence

from pwlint.config import ConfigError
from pwlint.findings import Finding, ScanResult
from pwlint.reporters import region_text, source_lines

VERSION = 1
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
_CLOSERS = {")", "]", "}"}


@dataclass(frozen=True)
class Entry:
    """One accepted finding. `line` and `message` help a reviewer read the file; matching ignores them."""

    rule_id: str
    path: str
    code: str  # hash of the normalised code of the finding's region
    context: str  # hash of the normalised whole lines around it, to tell identical code apart
    line: int
    message: str


def entry_for(finding: Finding) -> Entry:
    return Entry(finding.rule_id, finding.path, code_hash(finding), context_hash(finding),
                 finding.region.start_line, finding.message)


def code_hash(finding: Finding) -> str:
    lines = source_lines(finding.snippet)
    return _digest(region_text(finding.region, lines) if lines else "")


def context_hash(finding: Finding) -> str:
    return _digest("\n".join(source_lines(finding.snippet)))


def _digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode("utf-8")).hexdigest()[:20]


def normalise(code: str) -> str:
    """The code's tokens, without layout: what stays when the code is only reformatted.

    Literals become their values' repr, so quotes, string prefixes and digit separators do not
    count; comments, line breaks, indentation and a comma before a closing bracket do not either.
    Code the tokenizer rejects falls back to dropping whitespace.
    """
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type not in _SKIPPED]
    except (tokenize.TokenError, SyntaxError):
        return "".join(code.split())
    kept = [t for i, t in enumerate(tokens)
            if not (t.string == "," and i + 1 < len(tokens) and tokens[i + 1].string in _CLOSERS)]
    return " ".join(_literal(t) for t in kept)


def _literal(token: tokenize.TokenInfo) -> str:
    if token.type not in (tokenize.STRING, tokenize.NUMBER):
        return token.string
    with warnings.catch_warnings():  # "\d" in a string warns on 3.12+; the user's code is not ours to lint
        warnings.simplefilter("ignore")
        try:
            return repr(ast.literal_eval(token.string))
        except (ValueError, SyntaxError):  # f-strings and other non-literals stay as written
            return token.string


# -- the file -----------------------------------------------------------------------------------

def render(result: ScanResult) -> str:
    """The baseline of `result`: its active findings, sorted, so rewriting it shows a clean diff."""
    entries = sorted((entry_for(f) for f in result.active_findings), key=lambda e: (e.path, e.line, e.rule_id, e.code))
    document = {
        "version": VERSION,
        "tool": "pwlint",
        "about": "Findings accepted when this file was written; `pwlint check --baseline FILE` reports only "
                 "findings not listed here. Entries match by rule, file and a hash of the normalised code, "
                 "not by line. Rewrite it with `pwlint check --baseline-write FILE`.",
        "findings": [{"rule_id": e.rule_id, "path": e.path, "line": e.line, "code": e.code, "context": e.context,
                      "message": e.message} for e in entries],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def load(path: Path) -> list[Entry]:
    """Read a baseline; anything unreadable or malformed is a ConfigError naming the file (and line)."""
    display = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(display, 0, "", f"cannot read baseline: {(error.strerror or str(error)).lower()}") from None
    except UnicodeDecodeError:
        raise ConfigError(display, 0, "", "baseline is not UTF-8") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(display, error.lineno, "", f"baseline is not valid JSON: {error.msg}") from None
    if not isinstance(document, dict) or document.get("tool") != "pwlint" or not isinstance(document.get("findings"), list):
        raise ConfigError(display, 0, "", "not a pwlint baseline (write one with --baseline-write)")
    if document.get("version") != VERSION:
        raise ConfigError(display, 0, "version", f"unsupported baseline version {document.get('version')!r}; expected {VERSION}")
    return [_entry(item, index, display) for index, item in enumerate(document["findings"])]


def _entry(item: Any, index: int, display: str) -> Entry:
    fields = {"rule_id": str, "path": str, "code": str, "context": str, "line": int, "message": str}
    if not isinstance(item, dict) or any(not isinstance(item.get(k), t) for k, t in fields.items()):
        raise ConfigError(display, 0, f"findings[{index}]",
                          "expected an object with rule_id, path, code, context, message (strings) and line (a number)")
    return Entry(item["rule_id"], item["path"], item["code"], item["context"], item["line"], item["message"])


# -- matching -----------------------------------------------------------------------------------

def apply(result: ScanResult, entries: Sequence[Entry], name: str) -> int:
    """Mark the active findings the baseline lists as suppressed; return how many entries matched."""
    groups: dict[tuple[str, str, str], list[Entry]] = {}
    for entry in entries:
        groups.setdefault((entry.rule_id, entry.path, entry.code), []).append(entry)
    candidates: dict[tuple[str, str, str], list[int]] = {}
    for index, finding in enumerate(result.findings):
        if not finding.suppressed:
            candidates.setdefault((finding.rule_id, finding.path, code_hash(finding)), []).append(index)
    shifts = _shifts(candidates, groups, result.findings)
    accepted: set[int] = set()
    for key, indexes in candidates.items():
        accepted.update(_pair(indexes, groups.get(key, []), result.findings, shifts.get(key[1], 0)))
    reason = f"accepted in baseline {name}"
    result.findings = [replace(f, suppressed=True, suppression_reason=reason, baselined=True) if i in accepted else f
                       for i, f in enumerate(result.findings)]
    return len(accepted)


def _shifts(candidates: dict[tuple[str, str, str], list[int]], groups: dict[tuple[str, str, str], list[Entry]],
            findings: list[Finding]) -> dict[str, int]:
    """How far each file's code moved since the baseline, from the findings that match one entry
    unambiguously (the median, so one edited region does not skew it)."""
    moves: dict[str, list[int]] = {}
    for key, indexes in candidates.items():
        entries = groups.get(key, [])
        if len(indexes) == 1 and len(entries) == 1:
            moves.setdefault(key[1], []).append(findings[indexes[0]].region.start_line - entries[0].line)
    return {path: sorted(values)[len(values) // 2] for path, values in moves.items()}


def _pair(indexes: list[int], entries: list[Entry], findings: list[Finding], shift: int) -> Iterator[int]:
    """Pair findings of the same code with entries, those whose statement matches too first, then
    the closest to where the file's shift puts them, each used once; the findings left over are new."""
    contexts = {i: context_hash(findings[i]) for i in indexes} if len(indexes) > 1 or len(entries) > 1 else {}
    pairs = sorted((contexts.get(i) != e.context if contexts else False,
                    abs(findings[i].region.start_line - e.line - shift), findings[i].region.start_line, i, n)
                   for i in indexes for n, e in enumerate(entries))
    used_findings: set[int] = set()
    used_entries: set[int] = set()
    for _, _, _, index, number in pairs:
        if index not in used_findings and number not in used_entries:
            used_findings.add(index)
            used_entries.add(number)
            yield index
