"""Baselines, end to end: record today's findings, then edit the code the way people do (add lines
above, reformat, rename unrelated things, paste a copy) and check that only new findings come back."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import run_pwlint, write_tree
from pwlint.baseline import normalise

ACCOUNTS = '''\
import hashlib

ADMIN_PASSWORD = "Tr0ub4dor&3-horse"


def register(user, password):
    user.password_hash = hashlib.md5(password.encode()).hexdigest()


def legacy_check(user, password):
    return user.password_hash == hashlib.md5(password.encode()).hexdigest()
'''

# The same module after a morning's work: a docstring and a helper above, black-style reformatting
# (quotes, line breaks, trailing commas), a renamed unrelated function, comments.
ACCOUNTS_EDITED = '''\
"""Account storage."""
import hashlib
import logging

log = logging.getLogger(__name__)

ADMIN_PASSWORD = 'Tr0ub4dor&3-horse'  # rotated yearly


def audit(event):
    log.info("audit %s", event)


def register(user, password):
    audit("register")
    user.password_hash = hashlib.md5(
        password.encode(),
    ).hexdigest()


def verify_legacy(user, password):
    return user.password_hash == hashlib.md5(password.encode()).hexdigest()
'''

NEW_FINDING = '''

def reset(user, password):
    user.password_hash = hashlib.sha1(password.encode()).hexdigest()
'''


def check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_pwlint("check", "accounts.py", "--format", "json", *args, cwd=root)


def new_findings(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, int]]:
    return [(f["rule_id"], f["line"]) for f in json.loads(proc.stdout)["findings"] if not f["suppressed"]]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = write_tree(tmp_path, {"accounts.py": ACCOUNTS})
    written = run_pwlint("check", "accounts.py", "--baseline-write", "pwlint-baseline.json", cwd=root)
    assert written.returncode == 0, written.stdout + written.stderr  # accepting the findings is a pass
    assert "wrote 3 findings to the baseline pwlint-baseline.json" in written.stderr
    assert "No password-storage problems found (3 more accepted by the baseline)." in written.stdout
    return root


def test_baseline_file_lists_findings_without_their_code(project: Path) -> None:
    document = json.loads((project / "pwlint-baseline.json").read_text(encoding="utf-8"))

    assert document["version"] == 1 and document["tool"] == "pwlint"
    assert [(e["rule_id"], e["path"], e["line"]) for e in document["findings"]] == [
        ("PW501", "accounts.py", 3), ("PW101", "accounts.py", 7), ("PW101", "accounts.py", 11)]
    assert "Tr0ub4dor" not in (project / "pwlint-baseline.json").read_text(encoding="utf-8")


def test_unchanged_code_has_no_new_findings(project: Path) -> None:
    proc = check(project, "--baseline", "pwlint-baseline.json")

    assert proc.returncode == 0, proc.stdout
    assert new_findings(proc) == []
    reasons = {f["suppression_reason"] for f in json.loads(proc.stdout)["findings"]}
    assert reasons == {"accepted in baseline pwlint-baseline.json"}


def test_findings_survive_code_movement_and_reformatting(project: Path) -> None:
    write_tree(project, {"accounts.py": ACCOUNTS_EDITED})

    proc = check(project, "--baseline", "pwlint-baseline.json")

    assert proc.returncode == 0, proc.stdout
    assert new_findings(proc) == []


def test_only_new_findings_are_reported(project: Path) -> None:
    write_tree(project, {"accounts.py": ACCOUNTS_EDITED + NEW_FINDING})

    proc = check(project, "--baseline", "pwlint-baseline.json")
    text = run_pwlint("check", "accounts.py", "--baseline", "pwlint-baseline.json", cwd=project)

    assert proc.returncode == 1
    assert new_findings(proc) == [("PW101", 26)]
    assert "Found 1 password-storage problem: 1 error (3 more accepted by the baseline)." in text.stdout


def test_a_pasted_copy_is_new(project: Path) -> None:
    """Three findings of the same code for two entries: the statement and then the position decide."""
    copy = "\n\ndef import_user(user, password):\n    user.password_hash = hashlib.md5(password.encode()).hexdigest()\n"
    write_tree(project, {"accounts.py": ACCOUNTS_EDITED + copy})

    proc = check(project, "--baseline", "pwlint-baseline.json")

    assert new_findings(proc) == [("PW101", 26)]  # import_user, not register or verify_legacy


def test_a_changed_finding_is_new(project: Path) -> None:
    write_tree(project, {"accounts.py": ACCOUNTS.replace("hashlib.md5(password.encode()).hexdigest()\n\n\n",
                                                         "hashlib.sha256(password.encode()).hexdigest()\n\n\n")})

    proc = check(project, "--baseline", "pwlint-baseline.json")

    assert new_findings(proc) == [("PW101", 7)]


def test_a_finding_in_another_file_is_new(project: Path) -> None:
    write_tree(project, {"admin.py": ACCOUNTS})

    proc = run_pwlint("check", ".", "--baseline", "pwlint-baseline.json", "--format", "json", cwd=project)

    assert {f["path"] for f in json.loads(proc.stdout)["findings"] if not f["suppressed"]} == {"admin.py"}


def test_sarif_leaves_baselined_findings_out_or_marks_them_external(project: Path) -> None:
    write_tree(project, {"accounts.py": ACCOUNTS + NEW_FINDING})

    default = json.loads(run_pwlint("check", "accounts.py", "--baseline", "pwlint-baseline.json",
                                    "--format", "sarif", cwd=project).stdout)
    marked = json.loads(run_pwlint("check", "accounts.py", "--baseline", "pwlint-baseline.json",
                                   "--format", "sarif", "--include-suppressed", cwd=project).stdout)

    assert [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in default["runs"][0]["results"]] == [15]
    kinds = [r.get("suppressions") for r in marked["runs"][0]["results"]]
    assert kinds.count(None) == 1
    assert [s for s in kinds if s] == [[{"kind": "external", "justification": "accepted in baseline pwlint-baseline.json"}]] * 3


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "cannot read baseline"),
        ('{"version": 1, "tool": "pwlint", "findings": [\n  {"rule_id": "PW101",}\n]}', "pwlint-baseline.json:2: baseline is not valid JSON"),
        ('{"findings": []}', "not a pwlint baseline"),
        ('{"version": 7, "tool": "pwlint", "findings": []}', "unsupported baseline version 7"),
        ('{"version": 1, "tool": "pwlint", "findings": [{"rule_id": "PW101"}]}', "findings[0]: expected an object"),
    ],
    ids=["missing", "invalid-json", "not-a-baseline", "future-version", "bad-entry"],
)
def test_unusable_baseline_exits_2_before_scanning(tmp_path: Path, content: str | None, words: str) -> None:
    write_tree(tmp_path, {"accounts.py": ACCOUNTS, **({"pwlint-baseline.json": content} if content else {})})

    proc = run_pwlint("check", "accounts.py", "--baseline", "pwlint-baseline.json", "-o", "out.sarif",
                      "--format", "sarif", cwd=tmp_path)

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith("pwlint: error: pwlint-baseline.json") and words in line, line
    assert not (tmp_path / "out.sarif").exists()


def test_baseline_and_baseline_write_are_exclusive(tmp_path: Path) -> None:
    write_tree(tmp_path, {"accounts.py": ACCOUNTS})

    proc = run_pwlint("check", "--baseline", "a.json", "--baseline-write", "b.json", cwd=tmp_path)

    assert proc.returncode == 2
    assert "not allowed with argument" in proc.stderr


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("hashlib.md5(password.encode())", "hashlib.md5( password.encode() )"),
        ("f(password, 'x')", 'f(password,\n  "x",\n)'),
        ("f(100_000)", "f(100000)"),
        ("f(a)  # note", "f(a)"),
        ("f(u'x')", "f('x')"),
    ],
    ids=["spaces", "breaks-quotes-trailing-comma", "digit-separators", "comment", "string-prefix"],
)
def test_normalisation_ignores_layout(before: str, after: str) -> None:
    assert normalise(before) == normalise(after)


@pytest.mark.parametrize(("one", "other"), [("md5(a)", "sha1(a)"), ("f('x')", "f('y')"), ("f(a, b)", "f(b, a)")])
def test_normalisation_keeps_meaning(one: str, other: str) -> None:
    assert normalise(one) != normalise(other)
