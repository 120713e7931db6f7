"""Masking hard-coded secrets in pwlint's own output (`--redact`, on by default).

A report that quotes `password = "hunter2"` copies the password into CI logs, SARIF uploads, pull
request annotations and compliance reports, where more people can read it than the repository's.
Rules mark the literals that are secrets (`redact: true` on a value test); the engine records
where their contents lie (`Finding.secrets`); this pass masks them in every snippet of the same
file, so a second finding on that line (a timing-unsafe `password == "letmein"`) is masked too.

Each character between the quotes becomes `*`; the prefix and quotes stay. Keeping the length
keeps every column true: the text format's carets, SARIF's region and its snippet still line up.
It reveals the length, which is the price of those columns; `--no-redact` shows everything.

It runs after the scan, the policy and the baseline, on what is about to be rendered: baseline
hashes, GitHub's line hashes and the result cache all read the code as it is, so redaction
changes none of them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, TypeVar

from pwlint.findings import Finding, Observation, Region, ScanResult

MASK = "*"

_Record = TypeVar("_Record", Finding, Observation)


def redact(result: ScanResult) -> None:
    """Mask the secrets of each file in every snippet of that file, findings and observations alike."""
    secrets: dict[str, set[Region]] = {}
    for record in [*result.findings, *result.observations]:
        secrets.setdefault(record.path, set()).update(record.secrets)
    result.findings = [_masked(finding, secrets) for finding in result.findings]
    result.observations = [_masked(observation, secrets) for observation in result.observations]


def _masked(record: _Record, secrets: dict[str, set[Region]]) -> _Record:
    found = secrets.get(record.path)
    if not found:
        return record
    return replace(record, snippet=mask(record.snippet, record.region.start_line, found))


def mask(snippet: str, first_line: int, secrets: Iterable[Region]) -> str:
    """`snippet` (whole source lines from `first_line`, joined by "\\n") with every character of the
    secrets' regions that falls on those lines replaced by MASK."""
    lines = snippet.split("\n")
    last_line = first_line + len(lines) - 1
    for secret in secrets:
        for number in range(max(secret.start_line, first_line), min(secret.end_line, last_line) + 1):
            line = lines[number - first_line]
            start = secret.start_column - 1 if number == secret.start_line else 0
            end = secret.end_column - 1 if number == secret.end_line else len(line)
            end = min(end, len(line))
            if start < end:
                lines[number - first_line] = line[:start] + MASK * (end - start) + line[end:]
    return "\n".join(lines)

