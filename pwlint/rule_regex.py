"""Rules' regular expressions, searched under a time bound.

Python's `re` backtracks. A pattern such as `(a+)+$` takes exponential time on a string that
almost matches, and even a lone `x.*y` is quadratic under `search` on a long string (a 1 MB
literal). The code pwlint scans may be hostile and users write their own rules, so no search may
stall a scan. Refusing patterns by their shape (nested quantifiers) is not enough: `(a|a)*`,
`(a?a)*` and `x.*y` pass such a check, and safe patterns such as `(\\w+\\.)*\\w+` would be refused.
So every search runs under a time bound instead, which holds whatever the pattern: `re` checks
for signals while it matches, so a SIGALRM that finds a search over its budget interrupts it.

A search that runs out of time counts as no match, the pattern is not searched again in the same
file (so a file costs at most one budget per pattern), and the file gets a problem naming the
pattern, so nothing is hidden. The bound needs SIGALRM and the main thread (POSIX, where pwlint
analyses); elsewhere searches are not bounded.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Optional

BUDGET = 1.0  # seconds one search may take; searches rules make on real code take microseconds
_TICK = 0.1  # how often the alarm looks at the search in progress


class _OutOfTime(Exception):
    pass


@dataclass
class Watch:
    """The searches of one analysis: which file they are about, and which patterns gave up where."""

    path: str = ""
    started: float = 0.0  # when the search in progress began; 0 when none is
    spent: set[str] = field(default_factory=set)  # patterns that ran out of time in this file
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, message)

    def enter(self, path: str) -> None:
        self.path = path
        self.spent.clear()


_watch: Optional[Watch] = None


class RuleRegex:
    """A compiled rule pattern whose `search` answers True or False within the budget."""

    __slots__ = ("compiled", "key")

    def __init__(self, compiled: re.Pattern[str], key: str) -> None:
        self.compiled = compiled
        self.key = key

    def search(self, text: str) -> bool:
        watch = _watch
        if watch is None:
            return self.compiled.search(text) is not None
        if self.compiled.pattern in watch.spent:
            return False
        watch.started = time.monotonic()
        try:
            return self.compiled.search(text) is not None
        except _OutOfTime:
            watch.spent.add(self.compiled.pattern)
            watch.problems.append((watch.path, f"a rule's `{self.key}` pattern {self.compiled.pattern!r} took longer "
                                               f"than {BUDGET:g} s here and was taken as not matching"))
            return False
        finally:
            watch.started = 0.0


@contextmanager
def bounded() -> Iterator[Watch]:
    """Bound every `RuleRegex` search made inside, where signals allow it."""
    global _watch
    watch = Watch()
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield watch
        return

    def alarm(_signum: int, _frame: object) -> None:
        if watch.started and time.monotonic() - watch.started > BUDGET:
            raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, _TICK, _TICK)
    _watch = watch
    try:
        yield watch
    finally:
        _watch = None
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
