"""Never crash, never lose a result (issue 7): hostile input, broken rules and configuration,
odd file systems and Ctrl-C, each run through the real command line.

Every scan holds a good file beside the hostile one (`accounts.py`, a password hashed with MD5 and
stored: PW101), so each test also checks that one bad file costs that file alone. A file pwlint
cannot analyse must show up three times: a `path: reason` line on stderr, a SARIF
`toolExecutionNotifications` entry pointing at it, and an exit code that the good file's finding
decides, not the problem.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Union

import pytest

from conftest import PICKLE_RULE, REPO, run_pwlint
from pwlint.cli import main

GOOD = """\
import hashlib


def store(user, password):
    user.password_digest = hashlib.md5(password.encode()).hexdigest()
    user.save()
"""
GOOD_LINE = 5  # the hashlib.md5 call in GOOD
PREVIOUS_REPORT = "the report of an earlier run\n"


@dataclass
class Run:
    """What a user sees of one `pwlint check --format sarif --output FILE` run."""

    code: int
    stderr: str
    sarif: dict[str, Any]

    @property
    def results(self) -> list[tuple[str, str, int]]:
        """(rule, file, line) of each result."""
        return [(r["ruleId"], _location(r)["artifactLocation"]["uri"], _location(r)["region"]["startLine"])
                for r in self.sarif["runs"][0]["results"]]

    @property
    def notifications(self) -> dict[str, dict[str, Any]]:
        """The SARIF notification of each file that could not be analysed, by its URI."""
        entries = self.sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        return {_location(entry)["artifactLocation"]["uri"]: entry for entry in entries}

    def assert_good_file_reported(self, path: str = "accounts.py") -> None:
        assert ("PW101", path, GOOD_LINE) in self.results, self.results
        assert self.code == 1, self.stderr  # from the finding; a problem alone never fails a run
        assert "Traceback" not in self.stderr

    def assert_problem(self, uri: str, *words: str, line: Optional[int] = None) -> str:
        """The file is named on stderr (`path: reason`) and in SARIF with the same reason."""
        notification = self.notifications[uri]
        text = notification["message"]["text"]
        assert text.startswith(f"{uri} could not be analysed: "), text
        reason = text.split(" could not be analysed: ", 1)[1]
        where = uri if line is None else f"{uri}:{line}:"
        assert any(row.startswith(where) and row.endswith(reason) for row in self.stderr.splitlines()), self.stderr
        for word in words:
            assert word in reason, reason
        if line is not None:
            assert _location(notification)["region"]["startLine"] == line
        return reason


def _location(entry: Mapping[str, Any]) -> dict[str, Any]:
    return entry["locations"][0]["physicalLocation"]


def write(root: Path, files: Mapping[str, Union[str, bytes]]) -> Path:
    """Files given as text are written as UTF-8 with "\\n"; bytes exactly as given."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8", newline="\n")
    return root


def check(root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str,
          paths: tuple[str, ...] = (".",)) -> Run:
    """`pwlint check` in `root`, as the command line runs it, with the SARIF report written beside
    `root` (outside the scanned tree)."""
    output = root.parent / "out.sarif"
    output.unlink(missing_ok=True)
    monkeypatch.chdir(root)
    capsys.readouterr()
    code = main(["check", *paths, "--format", "sarif", "--output", str(output), "--no-cache", *args])
    captured = capsys.readouterr()
    assert captured.out == ""
    return Run(code, captured.err, json.loads(output.read_text(encoding="utf-8")))


def project(tmp_path: Path, files: Mapping[str, Union[str, bytes]]) -> Path:
    return write(tmp_path / "project", {"accounts.py": GOOD, **files})


# -- files that cannot be analysed --------------------------------------------------------------

@pytest.mark.parametrize(("content", "line", "words"), [
    ("def check(password:\n    return password\n", 2, ["syntax error"]),
    ('print "password"\n', 1, ["syntax error"]),
    (b"password = 1\x00\n", 1, ["null bytes"]),
    (b"password = '\xff\xfe'\n", 1, ["cannot decode"]),
    (b"# -*- coding: klingon -*-\npassword = 1\n", 1, ["cannot decode", "klingon"]),
    ("def f(password):\n    if password:\n\tif password:\n            return 1\n", 1, ["tabs and spaces"]),
], ids=["syntax-error", "python-2", "null-bytes", "invalid-utf-8", "unknown-encoding", "mixed-tabs-and-spaces"])
def test_a_file_that_cannot_be_parsed_costs_that_file_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        content: Union[str, bytes], line: int, words: list[str]) -> None:
    root = project(tmp_path, {"hostile.py": content})

    run = check(root, capsys, monkeypatch)

    run.assert_good_file_reported()
    run.assert_problem("hostile.py", *words, line=line)


def test_one_file_on_its_own_with_a_problem_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A problem is reported, not judged: only findings fail a run (the README's exit codes)."""
    root = write(tmp_path / "project", {"hostile.py": "def check(password:\n"})

    run = check(root, capsys, monkeypatch)

    assert run.code == 0
    assert run.results == []
    run.assert_problem("hostile.py", "syntax error", line=2)


def test_valid_code_that_libcsts_own_node_checks_refuse_is_analysed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """libcst's parser makes nodes from some valid code that its checks of hand-made nodes refuse
    (LibCST issue 1061). pwlint parses without those checks, and keeps them for nodes made later."""
    import libcst as cst

    root = project(tmp_path, {"odd.py": GOOD + "\nFALLBACK = () if 0 else(lambda:())\n"})

    run = check(root, capsys, monkeypatch, "--jobs", "1")

    assert ("PW101", "odd.py", GOOD_LINE) in run.results
    assert run.notifications == {}
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")


# -- encodings and line endings are read as Python reads them ------------------------------------

@pytest.mark.parametrize(("content", "line"), [
    (b"# -*- coding: latin-1 -*-\n# Mot de passe: caf\xe9, cr\xe8me\n" + GOOD.encode(), GOOD_LINE + 2),
    (b"# vim: set fileencoding=cp1252 :\nPRICE = '\x80 5'  # \x93euro\x94\n" + GOOD.encode(), GOOD_LINE + 2),
    (b"\xef\xbb\xbf" + GOOD.encode(), GOOD_LINE),
    (GOOD.replace("\n", "\r\n").encode(), GOOD_LINE),
    (GOOD.replace("\n", "\r").encode(), GOOD_LINE),
    (b"\x0c\n" + GOOD.replace("\ndef store", "\n\x0cdef store").encode(), GOOD_LINE + 1),
], ids=["latin-1", "cp1252", "utf-8-bom", "crlf", "lone-cr", "form-feeds"])
def test_declared_encodings_and_odd_line_endings_are_decoded_and_flagged(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        content: bytes, line: int) -> None:
    root = project(tmp_path, {"odd.py": content})

    run = check(root, capsys, monkeypatch)

    run.assert_good_file_reported()
    assert ("PW101", "odd.py", line) in run.results
    assert run.notifications == {}


@pytest.mark.parametrize("content", ["", "# password storage lives in accounts.py\n"], ids=["empty", "comment-only"])
def test_empty_and_comment_only_files_are_scanned_quietly(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, content: str) -> None:
    root = project(tmp_path, {"quiet.py": content})

    run = check(root, capsys, monkeypatch, "--no-prefilter")

    run.assert_good_file_reported()
    assert run.notifications == {}
    assert run.stderr == ""


# -- size ---------------------------------------------------------------------------------------

def test_a_5_mb_generated_module_is_scanned(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated modules are mostly data; one of 5 MB is parsed and its finding reported when the
    size limit allows it."""
    row = '    "' + "0123456789abcdef" * 60 + '",\n'
    table = "TABLE = [\n" + row * (5_000_000 // len(row) + 1) + "]\n"
    root = project(tmp_path, {"generated.py": GOOD + table})
    assert (root / "generated.py").stat().st_size > 5_000_000

    started = time.monotonic()
    run = check(root, capsys, monkeypatch, "--max-file-size", "6MB")

    assert time.monotonic() - started < 15  # the prefilter once took 28 s over these hex strings
    run.assert_good_file_reported()
    run.assert_good_file_reported("generated.py")
    assert run.notifications == {}


def test_a_file_over_the_size_limit_is_skipped_unread(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, {"big.py": GOOD + "# padding\n" * 300})
    (root / "pwlint.toml").write_text('max-file-size = "2kB"\n', encoding="utf-8")

    run = check(root, capsys, monkeypatch)

    run.assert_good_file_reported()
    assert run.assert_problem("big.py") == "3.1 kB, over the size limit of 2 kB (max-file-size)"
    assert "region" not in _location(run.notifications["big.py"])  # a file that was never read has no line


def test_the_default_size_limit_is_the_documented_one() -> None:
    from pwlint.scan import DEFAULT_MAX_FILE_SIZE

    assert DEFAULT_MAX_FILE_SIZE == 1_000_000
    assert "| `max-file-size` | a size: bytes, or a string such as `\"500kB\"` or `\"2MB\"` | `\"1MB\"` |" in (
        REPO / "README.md").read_text(encoding="utf-8")


def test_a_10000_element_literal(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    literal = "COMMON_PASSWORDS = [\n" + "".join(f'    "password{n}",\n' for n in range(10_000)) + "]\n"
    root = project(tmp_path, {"wordlist.py": GOOD + literal})

    run = check(root, capsys, monkeypatch)

    run.assert_good_file_reported("wordlist.py")
    run.assert_good_file_reported()


def test_deeply_nested_expressions(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """libcst's native parser dies of a stack overflow here (libcst issue 980); the parse runs in
    a worker process, so only the file is lost."""
    root = project(tmp_path, {"nested.py": "password = " + "(" * 5000 + "password" + ")" * 5000 + "\n"})

    run = check(root, capsys, monkeypatch)

    run.assert_good_file_reported()
    run.assert_problem("nested.py", "cannot parse")


def test_a_file_that_parses_but_nests_too_deeply_to_evaluate_costs_that_file_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A 600-term `+` ending in a password parses and is modelled, but placing its finding walks
    libcst's tree recursively (positions) past Python's limit: the file gets a problem, the others
    their findings."""
    chain = " + ".join(f"'{n}'" for n in range(600))
    root = project(tmp_path, {"audit.py": f"import logging\n\n\ndef record(password):\n    logging.info({chain} + password)\n"})

    run = check(root, capsys, monkeypatch)

    run.assert_good_file_reported()
    run.assert_problem("audit.py", "nested too deeply")


def test_a_parser_crash_prints_no_traceback_even_with_a_fault_handler(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """PYTHONFAULTHANDLER=1 (or pytest) makes a crashing process print its Python stack; a worker
    turns it off, since the supervisor reports the crash in one line."""
    root = project(tmp_path, {"nested.py": "password = " + "(" * 5000 + "password" + ")" * 5000 + "\n"})
    monkeypatch.setenv("PYTHONFAULTHANDLER", "1")

    proc = run_pwlint("check", ".", "--no-cache", "--quiet", cwd=root)

    assert proc.returncode == 1
    assert proc.stderr == ""  # --quiet: not even the problem line
    assert "accounts.py:5:28: PW101" in proc.stdout


def test_a_file_that_takes_too_long_is_given_up_on_its_own(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A parse that hangs, made honest: a real file that takes seconds to parse under a timeout
    far below that. The worker is killed at the deadline and the other files are parsed again."""
    dense = "".join(f"password_{n} = f(a{n}, b[{n}], c.d{n}, *e, **g) + h({n}) * i - j ** k\n" for n in range(20_000))
    root = project(tmp_path, {"slow.py": dense, "zz_later.py": GOOD})

    started = time.monotonic()
    run = check(root, capsys, monkeypatch, "--timeout", "0.5", "--max-file-size", "0")

    assert time.monotonic() - started < 30
    run.assert_good_file_reported()
    run.assert_good_file_reported("zz_later.py")
    assert run.assert_problem("slow.py") == "cannot parse: took longer than 0.5 s (the `timeout` setting)"


# -- the file system ----------------------------------------------------------------------------

def test_a_directory_named_like_a_module_is_walked(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path / "project", {"x.py/accounts.py": GOOD})

    walked = check(root, capsys, monkeypatch)
    named = check(root, capsys, monkeypatch, paths=("x.py",))

    walked.assert_good_file_reported("x.py/accounts.py")
    named.assert_good_file_reported("x.py/accounts.py")
    assert walked.notifications == named.notifications == {}


def test_links_that_loop_dangle_or_leave_the_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    outside = write(tmp_path / "elsewhere", {"secret.py": GOOD})
    root = project(tmp_path, {})
    (root / "loop").symlink_to(".")
    (root / "a.py").symlink_to("b.py")
    (root / "b.py").symlink_to("a.py")
    (root / "gone.py").symlink_to("deleted.py")
    (root / "escape.py").symlink_to(outside / "secret.py")
    (root / "escape").symlink_to(outside)

    run = check(root, capsys, monkeypatch)

    run.assert_good_file_reported()
    assert [uri for _, uri, _ in run.results] == ["accounts.py"]  # nothing through a loop or from outside
    run.assert_problem("a.py", "symbolic link loop")
    run.assert_problem("gone.py", "broken symbolic link")
    run.assert_problem("escape.py", "outside the scan root")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file")
def test_an_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, {"locked.py": GOOD})
    (root / "locked.py").chmod(0)

    try:
        run = check(root, capsys, monkeypatch)
    finally:
        (root / "locked.py").chmod(0o644)

    run.assert_good_file_reported()
    run.assert_problem("locked.py", "cannot read", "ermission denied")


def test_a_file_that_vanishes_between_discovery_and_reading(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Another process deletes a file after the walk found it (a branch switch mid-scan)."""
    from pwlint import scan

    root = project(tmp_path, {"vanishing.py": GOOD})
    found = scan.discover_files

    def then_delete(settings: scan.Settings) -> Any:
        files = found(settings)
        (root / "vanishing.py").unlink()
        return files

    monkeypatch.setattr(scan, "discover_files", then_delete)
    run = check(root, capsys, monkeypatch)

    run.assert_good_file_reported()
    run.assert_problem("vanishing.py", "cannot read: no such file")


def test_file_names_that_are_not_utf_8(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, {})
    (root / os.fsdecode(b"caf\xe9.py")).write_bytes(GOOD.encode())
    (root / os.fsdecode(b"broken\xff.py")).write_bytes(b"def check(password:\n")

    run = check(root, capsys, monkeypatch)

    run.assert_good_file_reported()
    assert ("PW101", "caf%E9.py", GOOD_LINE) in run.results  # the URI names the file's own byte
    assert "broken\\xff.py:2:" in run.stderr  # the text shows it as \xff
    assert "broken%FF.py" in run.notifications


def test_fifos_and_sockets_are_reported_not_opened(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, {})
    os.mkfifo(root / "pipe.py")  # opening it for reading would wait for a writer for ever
    server = socket.socket(socket.AF_UNIX)
    monkeypatch.chdir(root)
    server.bind("sock.py")
    try:
        run = check(root, capsys, monkeypatch)
    finally:
        server.close()

    run.assert_good_file_reported()
    run.assert_problem("pipe.py", "FIFO")
    run.assert_problem("sock.py", "socket")


# -- rules: slow patterns are bounded at search time; broken rules and settings stop the run ------

SLOW_RULE = PICKLE_RULE.replace("id: XX901", "id: XX902").replace("name: pickled-password", "name: aaa-token") + """\
  - bind: token
    where:
      - value: {matches: '^(a+)+$'}
"""


@pytest.mark.parametrize("jobs", ["1", "2"], ids=["rules-in-the-worker", "rules-after-a-pool"])
def test_a_catastrophically_slow_user_pattern_costs_one_budget_and_names_the_pattern(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    """`(a+)+$` on 40 `a`s and a `b` takes about 2**40 steps; each search is bounded (1 s), so the
    file costs one budget per pattern and is reported, and the other findings are kept. With one
    job the rules run in the worker that parsed; with a pool (8 files or more), in pwlint's own process."""
    slow = 'token = "' + "a" * 40 + 'b"\nother_token = "' + "a" * 41 + 'b"\n'
    fillers = {f"module_{n}.py": f"password_{n} = None\n" for n in range(8)}
    root = project(tmp_path, {"tokens.py": GOOD + slow, "rules/XX902-aaa-token.yaml": SLOW_RULE, **fillers})

    started = time.monotonic()
    run = check(root, capsys, monkeypatch, "--rules", "rules", "--no-prefilter", "--jobs", jobs)

    assert time.monotonic() - started < 20
    run.assert_good_file_reported()
    run.assert_good_file_reported("tokens.py")
    reason = run.assert_problem("tokens.py", "'^(a+)+$'", "`matches`", line=1)
    assert reason.endswith("took longer than 1 s here and was taken as not matching")
    assert not any(rule == "XX902" for rule, _, _ in run.results)


def test_a_user_pattern_that_is_fast_still_matches(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path, {"tokens.py": 'token = "aaaa"\n', "rules/XX902-aaa-token.yaml": SLOW_RULE})

    run = check(root, capsys, monkeypatch, "--rules", "rules", "--no-prefilter")

    assert ("XX902", "tokens.py", 1) in run.results
    assert run.notifications == {}


BILLION_LAUGHS = "".join(
    [PICKLE_RULE.split("match:")[0], 'laughs: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n']
    + [f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")]
)
BILLION_LAUGHS_LINE = PICKLE_RULE.split("match:")[0].count("\n") + 6  # `f:`, the first above 100,000 values


@pytest.mark.parametrize(("files", "args", "where", "words"), [
    ({"rules/XX901.yaml": PICKLE_RULE.replace("cwe: [257]", "cwe: [257")}, ["--rules", "rules"],
     "rules/XX901.yaml:7:", ["invalid YAML"]),
    ({"rules/XX901.yaml": PICKLE_RULE + "colour: red\n"}, ["--rules", "rules"],
     "rules/XX901.yaml:43: colour:", ["unknown key"]),
    ({"rules/XX901.yaml": PICKLE_RULE.replace("severity: warning", "severity: 3")}, ["--rules", "rules"],
     "rules/XX901.yaml:4: severity:", ["error, warning, note"]),
    ({"rules/XX901.yaml": PICKLE_RULE.replace("cwe: [257]", "cwe: CWE-257")}, ["--rules", "rules"],
     "rules/XX901.yaml:6: cwe:", ["list of CWE numbers"]),
    ({"rules/a.yaml": PICKLE_RULE, "rules/b.yaml": "# the same rule again\n" + PICKLE_RULE}, ["--rules", "rules"],
     "rules/b.yaml:2: id:", ["duplicate rule id XX901", "rules/a.yaml"]),
    ({"rules/XX901.yaml": PICKLE_RULE.replace("is: password", "matches: '(unclosed'")}, ["--rules", "rules"],
     "rules/XX901.yaml:42: matches:", ["invalid regular expression"]),
    ({"rules/XX901.yaml": PICKLE_RULE.replace("is: password", "lt: many")}, ["--rules", "rules"],
     "rules/XX901.yaml:42: lt:", ["a number, a `$threshold`"]),
    ({"rules/XX901.yaml": PICKLE_RULE.replace("is: password", "lt: $pbkdf2-iterations")}, ["--rules", "rules"],
     "rules/XX901.yaml:42: pbkdf2-iterations:", ["profile owasp-2026 defines no threshold", "pbkdf2-sha256-iterations"]),
    ({"rules/XX901.yaml": BILLION_LAUGHS}, ["--rules", "rules"],
     f"rules/XX901.yaml:{BILLION_LAUGHS_LINE}:", ["more than 100,000 values", "aliases"]),
    ({"rules/XX901.yaml": PICKLE_RULE.replace("name: pickled-password", "name: &me [x, *me]")}, ["--rules", "rules"],
     "rules/XX901.yaml:2:", ["alias", "inside the value it names"]),
    ({"rules/XX901.yaml": PICKLE_RULE.replace("severity: warning",
                                              "severity: !!python/object/apply:os.system ['touch pwned']")},
     ["--rules", "rules"], "rules/XX901.yaml:4:", ["invalid YAML", "python/object/apply:os.system"]),
    ({"pwlint.toml": 'profile = "owasp-1999"\n'}, ["--config", "pwlint.toml"],
     "pwlint.toml:1: profile:", ["unknown profile 'owasp-1999'"]),
    ({"pwlint.toml": 'timeout = "soon"\n'}, ["--config", "pwlint.toml"], "pwlint.toml:1: timeout:", ['"soon"']),
    ({"pwlint.toml": "max-file-size = -1\n"}, ["--config", "pwlint.toml"], "pwlint.toml:1: max-file-size:", ["-1"]),
], ids=["malformed-yaml", "unknown-key", "severity-of-wrong-type", "cwe-of-wrong-type", "duplicate-id",
        "invalid-regex", "threshold-of-wrong-type", "unknown-threshold", "alias-bomb", "recursive-alias", "python-object-tag",
        "unknown-profile", "timeout-of-wrong-type", "negative-size"])
def test_broken_rules_and_settings_exit_2_and_write_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        files: dict[str, str], args: list[str], where: str, words: list[str]) -> None:
    root = project(tmp_path, files)
    monkeypatch.chdir(root)
    kept = tmp_path / "kept.sarif"
    kept.write_text(PREVIOUS_REPORT, encoding="utf-8")
    absent = tmp_path / "absent.sarif"

    for output in (kept, absent):
        capsys.readouterr()
        code = main(["check", ".", "--format", "sarif", "--output", str(output), "--no-cache", *args])
        captured = capsys.readouterr()

        assert code == 2
        assert captured.out == ""
        [line] = captured.err.splitlines()
        assert line.startswith(f"pwlint: error: {where}"), line
        assert all(word in line for word in words), line
    assert kept.read_text(encoding="utf-8") == PREVIOUS_REPORT
    assert not absent.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.sarif", "project"]  # no temporary files left
    assert not (root / "pwned").exists()


# -- Ctrl-C -------------------------------------------------------------------------------------

def _children(pid: int) -> list[str]:
    """The process ids of `pid`'s children (Linux): pwlint's workers exist once parsing has begun."""
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def _many_files(root: Path, count: int) -> Path:
    """A tree that takes seconds to parse: dense modules that all mention a password."""
    body = "".join(f"password_{n} = f(a{n}, b[{n}], c.d{n}, *e, **g) + h({n}) * i - j ** k\n" for n in range(60))
    return write(root, {"accounts.py": GOOD, **{f"pkg{n % 10}/module_{n}.py": body for n in range(count)}})


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="finds pwlint's workers through /proc")
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_mid_scan_exits_130_quietly_and_leaves_nothing_behind(tmp_path: Path, jobs: str) -> None:
    root = _many_files(tmp_path / "project", 40)
    env = dict(os.environ, PYTHONPATH=str(REPO), NO_COLOR="1")
    command = [sys.executable, "-m", "pwlint", "check", ".", "--format", "sarif", "--output", "../out.sarif"]
    proc = subprocess.Popen([*command, "--jobs", jobs], cwd=root, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 60
    while not _children(proc.pid) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.3)
    assert proc.poll() is None, "the scan ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole process group
    out, err = proc.communicate(timeout=60)

    assert proc.returncode == 130, err
    assert err == "pwlint: interrupted\n"
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project"]  # no report, no temporary file
    cached = run_pwlint(*command[3:], cwd=root)
    cached_again = run_pwlint(*command[3:], cwd=root)
    report = (tmp_path / "out.sarif").read_text(encoding="utf-8")
    fresh = run_pwlint(*command[3:], "--no-cache", cwd=root)
    assert cached.returncode == cached_again.returncode == fresh.returncode == 1, fresh.stderr
    assert report == (tmp_path / "out.sarif").read_text(encoding="utf-8")
    assert cached.stderr == cached_again.stderr == fresh.stderr


# -- the same input gives the same bytes ---------------------------------------------------------

HOSTILE_TREE: dict[str, Union[str, bytes]] = {
    "accounts.py": GOOD,
    "legacy.py": 'print "password"\n',
    "nul.py": b"password = 1\x00\n",
    "big.py": GOOD + "# padding\n" * 300,
    **{f"shop/m{n}.py": GOOD.replace("md5", ("sha1", "sha256", "md5")[n % 3]) for n in range(9)},
}


def _sarif(root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """The SARIF report as bytes written, with the scan root (the one thing that differs between
    two copies of a tree) written as ROOT."""
    check(root, capsys, monkeypatch, "--max-file-size", "2kB", *args)
    text = (root.parent / "out.sarif").read_text(encoding="utf-8")
    return text.replace(root.resolve().as_uri(), "file:///ROOT")


def test_output_is_byte_identical_across_runs_jobs_and_file_system_order(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    first = write(tmp_path / "first" / "project", HOSTILE_TREE)
    second = write(tmp_path / "second" / "project", dict(reversed(HOSTILE_TREE.items())))
    (first / "link.py").symlink_to("gone.py")
    (second / "link.py").symlink_to("gone.py")

    reports = [_sarif(first, capsys, monkeypatch, "--jobs", "1"),
               _sarif(first, capsys, monkeypatch, "--jobs", "1"),
               _sarif(first, capsys, monkeypatch, "--jobs", "2"),
               _sarif(second, capsys, monkeypatch, "--jobs", "2"),
               _sarif(second, capsys, monkeypatch, "--jobs", "1")]

    assert all(report == reports[0] for report in reports[1:])
    document = json.loads(reports[0])
    assert len(document["runs"][0]["results"]) == 10
    assert len(document["runs"][0]["invocations"][0]["toolExecutionNotifications"]) == 4
