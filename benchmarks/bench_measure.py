"""Timing and memory of one command, measured the same way for pwlint and every peer.

Wall time is what a user waits for, so each run is timed from spawn to exit. Three memory figures
are kept because the tools are built differently: ``rss_kb`` is the largest single process
(``wait4``'s ``ru_maxrss``, which covers the child and the descendants it waited for, as
``/usr/bin/time -f %M`` reports); ``tree_rss_kb`` and ``tree_pss_kb`` are the peaks of the whole
process tree summed, sampled from ``/proc`` (Linux only). The tree matters for tools that fan out to
worker processes (pwlint ``--jobs``, Semgrep's ``semgrep-core``): their largest process understates
what the machine must hold. Summed RSS overstates it for processes made by ``fork``, which share their
parent's pages until either writes to them: each shared page counts once per process. PSS (the
proportional set size) divides a shared page among the processes that map it, so its sum is the
memory the tree holds.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

# Exit codes of run.py, documented in benchmarks/README.md.
EXIT_OK = 0
EXIT_USAGE = 2
EXIT_SETUP = 3
EXIT_PWLINT = 4
EXIT_INTERRUPTED = 130

_SAMPLE_INTERVAL = 0.02
_PROC = Path("/proc")


class BenchError(Exception):
    """A failure that ends the benchmark with a one-line message and a documented exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class CommandFailed(Exception):
    """A measured command exited with a code its tool never uses for a finished scan."""


@dataclass(frozen=True)
class Sample:
    """One timed run."""

    seconds: float
    rss_kb: int
    tree_rss_kb: int | None
    tree_pss_kb: int | None


def run_timed(argv: Sequence[str], cwd: Path, env: Mapping[str, str], ok_codes: frozenset[int],
              log: Path) -> Sample:
    """Run ``argv`` once, its output going to ``log``; raise ``CommandFailed`` on an unexpected exit."""
    with open(log, "wb") as out:
        start = time.perf_counter()
        process = subprocess.Popen(list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT)
        sampler = _TreeSampler(process.pid)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        sampler.stop()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in ok_codes:
        raise CommandFailed(f"{Path(argv[0]).name} exited with {process.returncode}: {_last_line(log)}")
    return Sample(seconds, _kilobytes(usage.ru_maxrss), sampler.peak_rss_kb, sampler.peak_pss_kb)


def _kilobytes(maxrss: int) -> int:
    """macOS reports ``ru_maxrss`` in bytes, Linux in kilobytes."""
    return maxrss // 1024 if sys.platform == "darwin" else maxrss


def _last_line(log: Path) -> str:
    """The tail of a failed command's output, so the one-line message says why it failed."""
    lines = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
    return lines[-1][:200] if lines else "(no output)"


class _TreeSampler:
    """Polls the summed RSS and PSS of a process and its descendants until stopped (Linux ``/proc``;
    PSS needs ``smaps_rollup``, Linux 4.14)."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._done = threading.Event()
        self.peak_rss_kb: int | None = None
        self.peak_pss_kb: int | None = None
        if _PROC.joinpath(str(pid)).exists():
            self.peak_rss_kb = 0
            self._thread = threading.Thread(target=self._poll, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop polling; the root has been reaped, so there is nothing left to see."""
        self._done.set()
        if self.peak_rss_kb is not None:
            self._thread.join()

    def _poll(self) -> None:
        page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
        while not self._done.wait(_SAMPLE_INTERVAL):
            tree = _tree(self._pid)
            pages = sum(_resident_pages(pid) for pid in tree)
            self.peak_rss_kb = max(self.peak_rss_kb or 0, pages * page_kb)
            proportional = [_proportional_kb(pid) for pid in tree]
            if None not in proportional:
                self.peak_pss_kb = max(self.peak_pss_kb or 0, sum(proportional))


def _tree(root: int) -> list[int]:
    """``root`` and its live descendants, found through each thread's ``children`` file."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        for task in _PROC.joinpath(str(pid), "task").glob("*/children"):
            try:
                pending.extend(int(child) for child in task.read_text().split())
            except OSError:  # the process exited between listing and reading
                continue
    return found


def _proportional_kb(pid: int) -> int | None:
    """The process's PSS, 0 once it has exited, ``None`` where the kernel has no ``smaps_rollup``."""
    try:
        with open(_PROC / str(pid) / "smaps_rollup", encoding="ascii") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        return 0 if not _PROC.joinpath(str(pid)).exists() else None
    except (OSError, ValueError):
        return 0
    return 0


def _resident_pages(pid: int) -> int:
    try:
        return int(_PROC.joinpath(str(pid), "statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):  # exited, or a zombie with an empty statm
        return 0
