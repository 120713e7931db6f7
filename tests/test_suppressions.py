"""Inline suppressions in every documented form, and `--warn-unused-ignores` (PW000), end to end.

The basic forms (`# pwlint: ignore[PW101] reason`, bare, `# noqa: PW101`, statement's first line)
are in test_cli.py; here are the forms around them and the unused-suppression report, whose
job is to never call a needed comment unused.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import run_pwlint, write_tree

HEADER = "import hashlib\n\n\ndef store(user, password):\n"
MD5 = "user.digest = hashlib.md5(password.encode()).hexdigest()"
COMPARE = "return user.password == password"


def module(*body: str) -> str:
    return HEADER + textwrap.indent("\n".join(body), "    ") + "\n"


def report(tmp_path: Path, code: str, *args: str) -> tuple[subprocess.CompletedProcess[str], list[dict[str, object]]]:
    write_tree(tmp_path, {"accounts.py": code})
    proc = run_pwlint("check", "accounts.py", "--format", "json", *args, cwd=tmp_path)
    return proc, json.loads(proc.stdout)["findings"]


def active(found: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(f["rule_id"], f["line"]) for f in found if not f["suppressed"]]


@pytest.mark.parametrize(
    ("comment", "reason"),
    [
        ("# pwlint: ignore[PW101, PW601] import of the 2012 dump", "import of the 2012 dump"),
        ("# pwlint: ignore[PW601 PW101]", "suppressed inline"),
        ("# pwlint: ignore[pw101]: lower-case ids count", "lower-case ids count"),
        ("# PWLINT: IGNORE", "suppressed inline"),
        ("# noqa: E501, PW101", "noqa"),
        ("# noqa:PW101", "noqa"),
        ("# type: ignore  # pwlint: ignore[PW101] legacy", "legacy"),
    ],
    ids=["several-ids-reason", "space-separated", "lower-case", "upper-case-bare", "noqa-mixed-codes",
         "noqa-no-space", "after-another-comment"],
)
def test_suppression_forms(tmp_path: Path, comment: str, reason: str) -> None:
    proc, found = report(tmp_path, module(f"{MD5}  {comment}"))

    assert proc.returncode == 0, proc.stdout
    [finding] = found
    assert (finding["rule_id"], finding["suppressed"], finding["suppression_reason"]) == ("PW101", True, reason)


def test_a_suppression_covers_only_its_line_and_statement(tmp_path: Path) -> None:
    code = module(MD5 + "  # pwlint: ignore[PW101]", MD5)

    proc, found = report(tmp_path, code)

    assert proc.returncode == 1
    assert active(found) == [("PW101", 6)]


PICKLE_RULE = """\
id: XX301
name: pickled-password
category: reversible-password-storage
severity: warning
cwe: [257]
aliases: [S301, B301]
message: "Password `{password}` is serialised with {callee}"
summary: Flags passwords serialised with pickle.
why: Whoever reads the bytes gets the password back.
fix: Store a hash.
examples:
  bad: ["import pickle\\n\\ndef f(password):\\n    return pickle.dumps(password)\\n"]
  good: ["import pickle\\n\\ndef f(name):\\n    return pickle.dumps(name)\\n"]
match:
  - call: pickle.dumps
    where:
      - arg: 0
        is: password
"""


def test_a_rules_aliases_suppress_it_and_the_built_in_rules_have_none(tmp_path: Path) -> None:
    """A project's rule that takes over another linter's check lists its codes (`aliases`): a line
    reviewed as `# noqa: S301` or `# nosec B301` is not flagged again. A bare `# nosec`, or a code
    the rule does not list, says nothing about it. The built-in rules list no codes: Ruff's and
    Bandit's comments on a default credential (`# noqa: S105`) or a legacy password hash
    (`# nosec B324`) were written for their noisier rules."""
    code = textwrap.dedent("""\
        import hashlib
        import pickle

        ADMIN_PASSWORD = "hunter2xyz"  # noqa: S105
        DB_PASSWORD = "s3cr3t-Pa55"  # nosec B105


        def legacy(password):
            return hashlib.md5(password.encode()).hexdigest()  # nosec: B303, B324


        def export(password):
            a = pickle.dumps(password)  # noqa: S301
            b = pickle.dumps(password)  # nosec B301
            c = pickle.dumps(password)  # nosec
            d = pickle.dumps(password)  # noqa: S105
            return a + b + c + d
        """)
    write_tree(tmp_path, {"accounts.py": code, "rules/XX301.yaml": PICKLE_RULE})
    proc = run_pwlint("check", "accounts.py", "--rules", "rules", "--format", "json", cwd=tmp_path)
    found = json.loads(proc.stdout)["findings"]

    assert active(found) == [("PW501", 4), ("PW501", 5), ("PW101", 9), ("XX301", 15), ("XX301", 16)]
    reasons = {f["line"]: f["suppression_reason"] for f in found if f["suppressed"]}
    assert reasons == {13: "noqa", 14: "nosec"}


# -- unused suppressions ------------------------------------------------------------------------

def unused(tmp_path: Path, code: str, *args: str) -> list[tuple[object, object, object]]:
    proc, found = report(tmp_path, code, "--warn-unused-ignores", *args)
    assert proc.returncode in (0, 1), proc.stderr
    return [(f["line"], f["column"], f["message"]) for f in found if f["rule_id"] == "PW000"]


def test_used_suppressions_are_not_reported(tmp_path: Path) -> None:
    code = module(
        MD5 + "  # pwlint: ignore[PW101] legacy",
        MD5 + "  # noqa: PW101",
        MD5 + "  # pwlint: ignore",
        "user.digest = (  # pwlint: ignore[PW101] statement's first line",
        "    hashlib.md5(password.encode()).hexdigest()",
        ")",
        COMPARE + "  # noqa: E711, PW601",
    )

    assert unused(tmp_path, code) == []


def test_unused_and_unknown_ids_are_reported_at_the_comment(tmp_path: Path) -> None:
    bcrypt = "user.digest = bcrypt.hashpw(password.encode(), bcrypt.gensalt())"
    code = "import bcrypt\n" + module(
        bcrypt + "  # pwlint: ignore[PW101] was md5",
        MD5 + "  # pwlint: ignore[PW101, PW601, PW1O1] typo",
        bcrypt + "  # noqa: PW101, E501",
        bcrypt + "  # pwlint: ignore",
        bcrypt + "  # pwlint: ignore[] forgot the id",
    )

    assert unused(tmp_path, code) == [
        (6, 71, "Unused `pwlint: ignore` directive (unused: PW101)"),
        (7, 63, "Unused `pwlint: ignore` directive (unused: PW601; unknown: PW1O1)"),
        (8, 71, "Unused `noqa` directive (unused: PW101)"),
        (9, 71, "Unused blanket `pwlint: ignore` directive: it suppresses no finding"),
        (10, 71, "Unused `pwlint: ignore` directive: its brackets name no rule"),
    ]


def test_rules_that_did_not_run_leave_their_suppressions_unjudged(tmp_path: Path) -> None:
    """A comment for a deselected rule may be needed by a full run; a bare ignore covers every rule."""
    code = module(MD5 + "  # pwlint: ignore[PW101]", COMPARE + "  # pwlint: ignore")

    assert unused(tmp_path, code, "--select", "PW6", "--ignore", "PW601") == []
    assert unused(tmp_path, code, "--select", "PW5") == []


def test_suppressions_in_strings_and_other_tools_codes_are_not_judged(tmp_path: Path) -> None:
    code = module('note = "# pwlint: ignore[PW101] is how to silence pwlint"', "x = 1  # noqa: E501, F401")

    assert unused(tmp_path, code) == []


def test_per_file_ignores_leave_their_rules_suppressions_unjudged(tmp_path: Path) -> None:
    write_tree(tmp_path, {"pyproject.toml": '[tool.pwlint.per-file-ignores]\n"accounts.py" = ["PW1"]\n'})
    code = module("user.digest = bcrypt(password)  # pwlint: ignore[PW101, PW601]")

    assert unused(tmp_path, code) == [(5, 37, "Unused `pwlint: ignore` directive (unused: PW601)")]


def test_unused_suppressions_fail_like_warnings_and_appear_in_every_format(tmp_path: Path) -> None:
    write_tree(tmp_path, {"accounts.py": "x = 1  # pwlint: ignore[PW101]\n"})

    text = run_pwlint("check", "accounts.py", "--warn-unused-ignores", "-q", cwd=tmp_path)
    below = run_pwlint("check", "accounts.py", "--warn-unused-ignores", "--fail-on", "error", cwd=tmp_path)
    sarif = json.loads(run_pwlint("check", "accounts.py", "--warn-unused-ignores", "--format", "sarif", cwd=tmp_path).stdout)

    assert text.returncode == 1
    assert text.stdout == "accounts.py:1:8: PW000 [warning] Unused `pwlint: ignore` directive (unused: PW101)\n"
    assert below.returncode == 0
    run = sarif["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["PW000"]
    assert "PW000" in {rule["id"] for rule in run["tool"]["driver"]["rules"]}
