"""The benchmark's records, its table and its JSON file.

Kept apart from measuring so that both formats can be checked on made-up results
(``tests/test_benchmark.py``) without running any tool.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from bench_files import SCOPE_TITLES

SCHEMA_VERSION = 2

_COLUMNS = ("measurement", "median", "min", "max", "peak RSS", "tree RSS", "tree PSS", "files",
            "findings", "vs pwlint")
_NAME_WIDTH = 36


@dataclass(frozen=True)
class Result:
    """One measurement of one tool on one input and scope; ``status`` is ``ok``, ``skipped``
    (this pwlint lacks the option), ``unavailable`` (the peer could not be installed) or
    ``failed`` (the tool exited with an error)."""

    input: str
    scope: str
    name: str
    tool: str
    status: str
    seconds: tuple[float, ...] = field(default_factory=tuple)
    rss_kb: int | None = None
    tree_rss_kb: int | None = None
    tree_pss_kb: int | None = None
    files: int | None = None
    findings: int | None = None
    compare_to: str | None = None
    reason: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None


def ratio(result: Result, results: Sequence[Result]) -> float | None:
    """This row's median over its pwlint reference's, measured on the same input and scope in
    the same run; above 1 means pwlint is that many times faster."""
    if result.compare_to is None or result.median is None:
        return None
    reference = next((r for r in results if (r.input, r.scope, r.name)
                      == (result.input, result.scope, result.compare_to)), None)
    if reference is None or not reference.median:
        return None
    return result.median / reference.median


def to_json(meta: Mapping[str, Any], results: Sequence[Result]) -> dict[str, Any]:
    """The whole run as one document: how it was measured, then every row with its raw samples."""
    rows = []
    for result in results:
        row = asdict(result)
        row["seconds"] = [round(s, 4) for s in result.seconds]
        row["median_s"] = _round(result.median)
        row["min_s"] = _round(min(result.seconds, default=None))
        row["max_s"] = _round(max(result.seconds, default=None))
        row["ratio"] = _round(ratio(result, results))
        rows.append(row)
    return {"schema_version": SCHEMA_VERSION, **meta, "results": rows}


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    """Write atomically, so an interrupted run never leaves a truncated results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def render_table(meta: Mapping[str, Any], results: Sequence[Result]) -> str:
    """A plain-text table, one block per input and scope, for the terminal and the README."""
    lines = [*_header(meta), ""]
    for spec in meta["inputs"]:
        for scope, count in spec["files"].items():
            block = [r for r in results if (r.input, r.scope) == (spec["name"], scope)]
            if not block:
                continue
            lines.append(f"{spec['requirement']} ({spec['subfolder']}), {SCOPE_TITLES[scope]}: {count} files")
            lines.append(_format_row(_COLUMNS))
            lines.extend(_row(result, results) for result in block)
            lines.append("")
    lines.append("vs pwlint: this row's median divided by pwlint cold's (ruff warm: by pwlint warm's), same "
                 "files, same run; above 1, pwlint at its default --jobs is that many times faster. For 10 "
                 "copies, how many times longer than cold: at most 10 is linear growth.")
    lines.append("peak RSS: largest single process; tree RSS and tree PSS: all its processes together, sampled; "
                 "PSS counts a page that forked processes share once, RSS once per process.")
    return "\n".join(lines) + "\n"


def _header(meta: Mapping[str, Any]) -> list[str]:
    machine = meta["machine"]
    versions = ", ".join(f"{name} {info['version']}" if info.get("version") else f"{name} unavailable"
                         for name, info in meta["tools"].items())
    return [
        f"pwlint benchmark, {meta['date']}: {machine['cpu_count']} CPUs ({machine['cpu'] or 'unknown CPU'}), "
        f"Python {machine['python']}, " + ("1 run" if meta["runs"] == 1 else f"median of {meta['runs']} runs"),
        f"pwlint at {meta['tools']['pwlint'].get('revision') or 'unknown revision'}; {versions}",
    ]


def _row(result: Result, results: Sequence[Result]) -> str:
    if result.status != "ok":
        return f"  {result.name:<{_NAME_WIDTH}}{result.status}: {result.reason}"
    found = ratio(result, results)
    return _format_row((
        result.name,
        _seconds(result.median),
        _seconds(min(result.seconds)),
        _seconds(max(result.seconds)),
        _megabytes(result.rss_kb),
        _megabytes(result.tree_rss_kb),
        _megabytes(result.tree_pss_kb),
        "" if result.files is None else str(result.files),
        "" if result.findings is None else str(result.findings),
        _times(found),
    ))


def _format_row(cells: Sequence[str]) -> str:
    name, *numbers = cells
    return (f"  {name:<{_NAME_WIDTH}}" + "".join(f"{cell:>10}" for cell in numbers)).rstrip()


def _times(value: float | None) -> str:
    """Two decimals, or two significant digits below 0.1 so that Ruff's ratios keep a figure."""
    if value is None:
        return ""
    return f"{value:.2g}x" if value < 0.1 else f"{value:.2f}x"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f} s"


def _megabytes(kilobytes: int | None) -> str:
    return "" if kilobytes is None else f"{kilobytes / 1024:.0f} MB"
