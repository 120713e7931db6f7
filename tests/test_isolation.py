"""Work shared with a forked child (`isolation.halved`): the same results in the same order,
whether the child does its half, fails, or dies."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest
from conftest import write_tree

from pwlint import isolation, scan
from pwlint.isolation import can_fork, halved

pytestmark = pytest.mark.skipif(not can_fork(), reason="halving forks")


@pytest.fixture(autouse=True)
def two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(isolation, "cpus", lambda: 2)


def test_half_the_weight_is_done_in_a_child_and_the_results_keep_their_order() -> None:
    here = os.getpid()
    items = [5, 1, 4, 1, 5, 9, 2, 6]

    results = halved(items, lambda part: [(item * item, os.getpid()) for item in part], weight=lambda item: item, least=1)

    assert [square for square, _ in results] == [item * item for item in items]
    by_process: dict[int, int] = {}
    for item, (_, pid) in zip(items, results):
        by_process[pid] = by_process.get(pid, 0) + item
    assert here in by_process and sorted(by_process.values()) == [16, 17]  # of 33


def test_light_work_stays_in_this_process() -> None:
    results = halved([1, 2, 3], lambda part: [os.getpid() for _ in part], weight=lambda item: item, least=100)
    assert results == [os.getpid()] * 3


@pytest.mark.parametrize("failure", ["raises", "dies"])
def test_a_child_that_fails_or_dies_leaves_its_half_to_this_process(failure: str) -> None:
    parent = os.getpid()

    def work(part: list[int]) -> list[int]:
        if os.getpid() != parent:
            if failure == "dies":
                os.kill(os.getpid(), 9)
            raise RuntimeError("a bug in the child")
        return [item + 1 for item in part]

    assert halved(list(range(10)), work, weight=lambda item: 1, least=1) == list(range(1, 11))


PROJECT = {
    "app/accounts.py": """\
        import hashlib

        from app.audit import record
        from app.store import save_user


        def register(name, password):
            record(name, password)
            save_user(name, hashlib.sha1(password.encode()).hexdigest())


        def verify(stored, password):
            return stored == password
        """,
    "app/audit.py": """\
        import logging

        log = logging.getLogger(__name__)


        def record(name, secret):
            log.info("user %s registered with %s", name, secret)
        """,
    "app/store.py": """\
        import hashlib
        import sqlite3


        def save_user(name, digest):
            sqlite3.connect("users.db").execute("INSERT INTO users VALUES (?, ?)", (name, digest))


        def legacy(password):
            return hashlib.pbkdf2_hmac("sha256", password.encode(), b"salt", 1000)
        """,
}


def test_a_scan_halved_finds_what_one_process_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path, {name: textwrap.dedent(text) for name, text in PROJECT.items()})
    settings = scan.Settings(paths=[str(tmp_path)], cache=False, observe=True)
    results = []
    for least in (10**9, 1):
        monkeypatch.setattr(scan, "_HALVED_FROM", least)
        results.append(scan.scan(settings, scan.load(settings)))
    whole, halves = results
    assert halves.findings == whole.findings and halves.observations == whole.observations
    assert {(f.path, f.rule_id) for f in whole.findings} >= {
        ("app/accounts.py", "PW101"), ("app/accounts.py", "PW601"), ("app/accounts.py", "PW801"), ("app/store.py", "PW201")}


def test_the_prefilter_halved_chooses_what_one_process_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    from pwlint import prefilter
    from pwlint.cache import Cache

    files = {f"app/{name}.py": textwrap.dedent(text).encode() for name, text in
             [(path.split("/")[1][:-3], text) for path, text in PROJECT.items()]}
    files["app/views.py"] = b"def home(request):\n    return render(request, 'home.html')\n"
    chooser = prefilter.Prefilter(scan.build_engine(scan.load(scan.Settings())).patterns)
    selections = []
    for least in (10**9, 1):
        monkeypatch.setattr(prefilter, "_HALVED_FROM", least)
        known: dict[bytes, prefilter.Facts] = {}
        selections.append((chooser.select(files, known, Cache.digests(files)), known))
    (whole, known_whole), (halves, known_halves) = selections
    assert halves == whole and known_halves == known_whole
    assert whole.paths == {"app/accounts.py", "app/audit.py", "app/store.py"}


def test_a_failure_here_stops_the_child_and_is_raised() -> None:
    parent = os.getpid()

    def work(part: list[int]) -> list[int]:
        if os.getpid() == parent:
            raise RuntimeError("a bug here")
        while True:  # the child would never finish on its own
            pass

    with pytest.raises(RuntimeError, match="a bug here"):
        halved(list(range(10)), work, weight=lambda item: 1, least=1)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # nothing left behind
