"""GitHub's `primaryLocationLineHash`, so code scanning keeps tracking an alert when code moves.

GitHub matches an alert across runs by this hash of the code at and after its first line, not by
its line number. `github/codeql-action` (`src/fingerprints.ts`) computes it at upload time for
results that lack it, and warns when a tool's own value differs, so the value is only useful if it
is bit-for-bit theirs. This is a port of that function:

* The file is read as UTF-8 (undecodable bytes become U+FFFD, a BOM is kept) and walked in UTF-16
  code units, because the original iterates a JavaScript string with `charCodeAt`.
* Spaces and tabs are skipped; CR, LF and CRLF all count as one LF.
* Each line's hash is a rolling polynomial hash (base 37, 64-bit wrap-around) over the 100
  characters that start at the line, an end-of-file marker (65535) and zero padding.
* The hex hash is suffixed with `:N`, the number of times that hash has been seen so far in the
  file, so identical lines stay distinguishable.

Nothing here knows libcst or SARIF; the SARIF reporter reads the hashes from `ScanResult`.
"""

from __future__ import annotations

import sys
from array import array
from typing import Collection, Iterator

from pwlint.findings import ScanResult

_BLOCK_SIZE = 100
_BASE = 37
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(_BASE, _BLOCK_SIZE, 1 << 64)  # removes the character leaving the window
_END_OF_FILE = 65535
_TAB, _LF, _CR, _SPACE = 9, 10, 13, 32


def line_hashes(text: str) -> Iterator[tuple[int, str]]:
    """Yield `(line number, hash)` for every line of `text`, in order, as GitHub computes them.

    A line's hash needs the 100 characters after its start, so a line is yielded only once the
    window has moved past it; a consumer that needs only early lines can stop early.
    """
    window = [0] * _BLOCK_SIZE
    starts = [-1] * _BLOCK_SIZE  # the line that begins at each window slot, or -1
    seen: dict[str, int] = {}
    value = index = line = 0
    line_start, previous_cr = True, False

    def emit() -> tuple[int, str]:
        digest = format(value, "x")
        seen[digest] = seen.get(digest, 0) + 1
        number, starts[index] = starts[index], -1
        return number, f"{digest}:{seen[digest]}"

    def push(unit: int) -> None:
        nonlocal value, index
        value = (_BASE * value + unit - _FIRST_MOD * window[index]) & _MASK
        window[index] = unit
        index = (index + 1) % _BLOCK_SIZE

    for unit in _utf16_units(text):
        if unit in (_SPACE, _TAB) or (previous_cr and unit == _LF):
            previous_cr = False
            continue
        previous_cr = unit == _CR
        if previous_cr:
            unit = _LF
        if starts[index] != -1:
            yield emit()
        if line_start:
            line_start = False
            line += 1
            starts[index] = line
        line_start = unit == _LF
        push(unit)
    for _ in range(_BLOCK_SIZE):
        if starts[index] != -1:
            yield emit()
        push(0)


def _utf16_units(text: str) -> Iterator[int]:
    """The UTF-16 code units JavaScript's charCodeAt sees, then the end-of-file marker."""
    units = array("H", text.encode("utf-16-le", "surrogatepass"))
    if sys.byteorder == "big":
        units.byteswap()
    yield from units
    yield _END_OF_FILE


def hashes_for(data: bytes, lines: Collection[int]) -> dict[int, str]:
    """The hashes of `lines` in a file's bytes, decoded the way the upload action reads files."""
    wanted, last = set(lines), max(lines, default=0)
    found: dict[int, str] = {}
    for number, digest in line_hashes(data.decode("utf-8", "replace")):
        if number in wanted:
            found[number] = digest
        if number >= last:
            break
    return found


def attach(result: ScanResult) -> None:
    """Fill `result.line_hashes` for the lines that reported findings start on.

    The bytes are those the scan read, so a file changed since cannot shift the hashes off their
    findings. A file without them (a scan answered by the cache keeps them too) gets no hashes,
    which GitHub treats as "compute it yourself".
    """
    lines: dict[str, set[int]] = {}
    for finding in result.findings:
        lines.setdefault(finding.path, set()).add(finding.region.start_line)
    for path, wanted in sorted(lines.items()):
        if path in result.sources:
            result.line_hashes[path] = hashes_for(result.sources[path], wanted)
