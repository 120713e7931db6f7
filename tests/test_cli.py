"""End-to-end tests of the command line: `python -m pwlint` on small, realistic projects.

Every test runs pwlint in a subprocess, as a user or CI would, and checks what they would see:
exit codes, the text/JSON/SARIF reports, stderr, and files written or not written. Findings are
asserted only for PW101; the other rules are exercised by their own examples
(tests/test_rules_examples.py), so a change to them cannot break these tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import PICKLE_RULE, REPO, assert_valid_sarif, run_pwlint, write_tree

VIEWS = '''\
"""Account views."""
import hashlib

from flask import Flask, request

from shop.models import User, db

app = Flask(__name__)


@app.post("/register")
def register():
    username = request.form["username"]
    password = request.form["password"]
    user = User(username=username)
    user.password_hash = hashlib.sha256(password.encode()).hexdigest()
    db.session.add(user)
    db.session.commit()
    return {"id": user.id}, 201
'''
VIEWS_LINE = 16  # the hashlib.sha256 call
VIEWS_COLUMN = 26

SECURITY = '''\
"""Password hashing done right."""
import bcrypt


def hash_password(password: str) -> bytes:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt())


def verify_password(password: str, hashed: bytes) -> bool:
    return bcrypt.checkpw(password.encode("utf-8"), hashed)
'''

TEST_VIEWS = '''\
import hashlib


def test_register(client):
    password = "correct horse battery staple"
    response = client.post("/register", data={"username": "ann", "password": password})
    assert response.status_code == 201
    assert hashlib.sha1(password.encode()).hexdigest()
'''

# A syntax error in a file the prefilter cannot rule out (it mentions a hash and a password).
BROKEN = '''\
import hashlib


def legacy_digest(password:
    return hashlib.md5(password.encode()).hexdigest()
'''

PROJECT = {
    "pyproject.toml": '[project]\nname = "shop"\nversion = "1.0"\n',
    "shop/__init__.py": "",
    "shop/views.py": VIEWS,
    "shop/security.py": SECURITY,
    "tests/test_views.py": TEST_VIEWS,
}

HEADER = re.compile(r"^(?P<path>[^:\s]+):(?P<line>\d+):(?P<col>\d+): (?P<rule>[A-Z]+\d+) \[(?P<sev>error|warning|note)\] (?P<msg>.+)$")


def headers(stdout: str) -> list[dict[str, str]]:
    """The `path:line:col: RULE [severity] message` lines of a text report."""
    return [m.groupdict() for m in map(HEADER.match, stdout.splitlines()) if m]


def assert_clean_error(proc: subprocess.CompletedProcess[str]) -> None:
    """Exit 2 with a one-line `pwlint: error:` message and no traceback."""
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("pwlint: error: ")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "shop", PROJECT)


# -- check: exit codes and the text report ------------------------------------------------------

def test_fast_hash_of_password_is_reported_in_text_format(project: Path) -> None:
    proc = run_pwlint("check", ".", cwd=project)

    assert proc.returncode == 1, proc.stderr
    found = [h for h in headers(proc.stdout) if h["rule"] == "PW101"]
    assert found == [{
        "path": "shop/views.py", "line": str(VIEWS_LINE), "col": str(VIEWS_COLUMN), "rule": "PW101",
        "sev": "error",
        "msg": "Password `password` is hashed with the fast hash hashlib.sha256; "
               "store passwords with Argon2id, scrypt, bcrypt or PBKDF2 instead",
    }]
    # the source line and a marker under the call follow the header
    assert "user.password_hash = hashlib.sha256(password.encode()).hexdigest()" in proc.stdout
    assert "^^^^^^^^" in proc.stdout
    assert "1 skipped as tests" in proc.stdout
    assert "pass --include-tests" in proc.stdout
    assert proc.stderr == ""


def test_clean_module_exits_0(project: Path) -> None:
    proc = run_pwlint("check", "shop/security.py", cwd=project)

    assert proc.returncode == 0, proc.stdout
    assert headers(proc.stdout) == []
    assert "No password-storage problems found." in proc.stdout


def test_quiet_prints_only_finding_lines(project: Path) -> None:
    proc = run_pwlint("check", "--select", "PW101", "--quiet", cwd=project)

    assert proc.returncode == 1
    assert proc.stdout == (
        f"shop/views.py:{VIEWS_LINE}:{VIEWS_COLUMN}: PW101 [error] Password `password` is hashed with the fast "
        "hash hashlib.sha256; store passwords with Argon2id, scrypt, bcrypt or PBKDF2 instead\n"
    )


def test_test_code_is_skipped_unless_include_tests(project: Path) -> None:
    default = run_pwlint("check", ".", "--select", "PW101", "-q", cwd=project)
    with_tests = run_pwlint("check", ".", "--select", "PW101", "-q", "--include-tests", cwd=project)

    assert [h["path"] for h in headers(default.stdout)] == ["shop/views.py"]
    assert [h["path"] for h in headers(with_tests.stdout)] == ["shop/views.py", "tests/test_views.py"]
    assert {"path": "tests/test_views.py", "line": "8", "col": "12"}.items() <= headers(with_tests.stdout)[1].items()


def test_unparsable_file_is_reported_and_does_not_stop_the_scan(project: Path) -> None:
    write_tree(project, {"shop/legacy.py": BROKEN})

    proc = run_pwlint("check", ".", cwd=project)

    assert proc.returncode == 1  # from shop/views.py, not from the broken file
    assert [h["path"] for h in headers(proc.stdout) if h["rule"] == "PW101"] == ["shop/views.py"]
    assert "1 file could not be analysed; see the lines on stderr." in proc.stdout
    assert re.search(r"^shop/legacy\.py:\d+:\d+: syntax error", proc.stderr, re.M), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr


def test_unparsable_file_alone_does_not_change_the_exit_code(project: Path) -> None:
    write_tree(project, {"shop/legacy.py": BROKEN})

    text = run_pwlint("check", "shop/legacy.py", "shop/security.py", cwd=project)
    as_json = run_pwlint("check", "shop/legacy.py", "--format", "json", cwd=project)
    to_file = run_pwlint("check", "shop/legacy.py", "--format", "sarif", "--output", "out.sarif", cwd=project)

    assert text.returncode == 0, text.stdout
    assert "could not be analysed" in text.stdout
    assert as_json.returncode == 0
    problems = json.loads(as_json.stdout)["problems"]
    assert [p["path"] for p in problems] == ["shop/legacy.py"]
    assert problems[0]["message"].startswith("syntax error")
    # with --output the report goes to the file and problems to stderr
    assert to_file.returncode == 0
    assert to_file.stdout == ""
    assert to_file.stderr.startswith("shop/legacy.py:")
    sarif = json.loads((project / "out.sarif").read_text(encoding="utf-8"))
    notifications = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert "shop/legacy.py" in notifications[0]["message"]["text"]


def test_no_prefilter_parses_files_without_password_tokens(project: Path) -> None:
    write_tree(project, {"shop/util.py": "def slugify(text:\n    return text.lower()\n"})

    proc = run_pwlint("check", "shop/util.py", "--no-prefilter", cwd=project)

    assert proc.returncode == 0
    assert re.search(r"^shop/util\.py:\d+:\d+: syntax error", proc.stderr, re.M), proc.stderr


# -- machine-readable formats -------------------------------------------------------------------

def test_json_format(project: Path) -> None:
    proc = run_pwlint("check", "--format", "json", "--select", "PW101", cwd=project)

    assert proc.returncode == 1
    document = json.loads(proc.stdout)
    assert document["version"] == 1
    assert document["profile"] == "owasp-2026"
    assert document["scope"]["skipped_tests"] == 1
    [finding] = document["findings"]
    assert finding["rule_id"] == "PW101"
    assert finding["rule_name"] == "fast-hash-password"
    assert (finding["path"], finding["line"], finding["column"]) == ("shop/views.py", VIEWS_LINE, VIEWS_COLUMN)
    assert finding["suppressed"] is False
    assert "CWE-916" in finding["cwe"]
    assert document["summary"]["error"] == 1


def test_sarif_output_file(project: Path) -> None:
    proc = run_pwlint("check", "--format", "sarif", "--output", "pwlint.sarif", cwd=project)

    assert proc.returncode == 1
    assert proc.stdout == ""
    report = project / "pwlint.sarif"
    log = json.loads(report.read_text(encoding="utf-8"))
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "pwlint"
    assert "PW101" in {rule["id"] for rule in run["tool"]["driver"]["rules"]}
    results = [r for r in run["results"] if r["ruleId"] == "PW101"]
    assert len(results) == 1
    location = results[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "shop/views.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"]["startLine"] == VIEWS_LINE
    assert not list(project.glob(".pwlint.sarif.*")), "the temporary file of the atomic write was left behind"

    assert_valid_sarif(report)


# -- configuration and rule errors --------------------------------------------------------------

BAD_YAML = """\
id: XX900
name: broken-yaml
match: [
  - call: hashlib.md5
"""

UNKNOWN_TEST = """\
id: XX900
name: unknown-test
message: "Password `{password}` is pickled"
severity: warning
category: plaintext-password
cwe: [312]
summary: Flags pickled passwords.
why: Pickle is reversible.
fix: Hash the password.
examples:
  bad: ["import pickle\\npickle.dumps(password)\\n"]
  good: ["import pickle\\npickle.dumps(settings)\\n"]
match:
  - call: pickle.dumps
    where:
      - arg: 0
        is-a: password
"""


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [(BAD_YAML, 4, "invalid YAML"), (UNKNOWN_TEST, 17, "is-a")],
    ids=["yaml-syntax", "unknown-value-test"],
)
def test_broken_user_rule_exits_2_naming_file_and_line(project: Path, content: str, line: int, words: str) -> None:
    write_tree(project, {"myrules/XX900-broken.yaml": content})

    proc = run_pwlint("check", ".", "--rules", "myrules", "--format", "sarif", "--output", "out.sarif", cwd=project)

    assert_clean_error(proc)
    assert f"XX900-broken.yaml:{line}:" in proc.stderr
    assert words in proc.stderr
    assert proc.stdout == ""
    assert not (project / "out.sarif").exists()
    assert not list(project.glob(".out.sarif.*"))


def test_missing_rule_folder_exits_2(project: Path) -> None:
    proc = run_pwlint("check", ".", "--rules", "no-such-dir", cwd=project)

    assert_clean_error(proc)
    assert "no-such-dir" in proc.stderr


def test_unknown_profile_exits_2(project: Path) -> None:
    proc = run_pwlint("check", ".", "--profile", "owasp-1999", cwd=project)

    assert_clean_error(proc)
    assert "unknown profile 'owasp-1999'" in proc.stderr
    assert proc.stdout == ""


def test_known_profiles(project: Path) -> None:
    for profile in ("owasp-2026", "asvs-5.0.0"):
        proc = run_pwlint("check", "--profile", profile, "--format", "json", "--select", "PW101", cwd=project)
        assert proc.returncode == 1, proc.stderr
        assert json.loads(proc.stdout)["profile"] == profile


@pytest.mark.parametrize("args", [["check", "--format", "xml"], ["check", "--no-such-option"], []],
                         ids=["bad-format", "bad-option", "no-command"])
def test_usage_errors_exit_2(project: Path, args: list[str]) -> None:
    proc = run_pwlint(*args, cwd=project)

    assert proc.returncode == 2
    assert "usage: pwlint" in proc.stderr
    assert "Traceback" not in proc.stderr


# -- selection of files and rules ---------------------------------------------------------------

def test_exclude(project: Path) -> None:
    by_file = run_pwlint("check", ".", "--exclude", "shop/views.py", cwd=project)
    by_dir = run_pwlint("check", ".", "--exclude", "shop/", cwd=project)

    assert by_file.returncode == 0, by_file.stdout
    assert "1 excluded." in by_file.stdout
    assert by_dir.returncode == 0, by_dir.stdout
    assert "0 files scanned" in by_dir.stdout


def test_select_and_ignore(project: Path) -> None:
    selected = run_pwlint("check", "shop/views.py", "--select", "pw101", "-q", cwd=project)
    ignored = run_pwlint("check", "shop/views.py", "--select", "PW1", "--ignore", "PW101", "-q", cwd=project)

    assert selected.returncode == 1
    assert {h["rule"] for h in headers(selected.stdout)} == {"PW101"}
    assert ignored.returncode == 0
    assert ignored.stdout == ""


# -- inline suppressions ------------------------------------------------------------------------

def _store(body: str) -> str:
    return "import hashlib\n\n\ndef store(user, password):\n" + textwrap.indent(body, "    ") + "\n"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("user.password_hash = hashlib.sha256(password.encode()).hexdigest()  # pwlint: ignore[PW101] legacy",
         "legacy"),
        ("user.password_hash = hashlib.sha256(password.encode()).hexdigest()  # pwlint: ignore", "suppressed inline"),
        ("user.password_hash = hashlib.sha256(password.encode()).hexdigest()  # noqa: PW101", "noqa"),
        # on the first line of the statement, the finding being on the next line
        ("user.password_hash = (  # pwlint: ignore[PW101] legacy\n"
         "    hashlib.sha256(password.encode()).hexdigest()\n"
         ")", "legacy"),
    ],
    ids=["pwlint-ignore-id", "pwlint-ignore-bare", "noqa", "statement-first-line"],
)
def test_suppression_comments(tmp_path: Path, code: str, reason: str) -> None:
    write_tree(tmp_path, {"accounts.py": _store(code)})

    text = run_pwlint("check", "accounts.py", "--select", "PW101", cwd=tmp_path)
    as_json = run_pwlint("check", "accounts.py", "--select", "PW101", "--format", "json", cwd=tmp_path)

    assert text.returncode == 0, text.stdout
    assert headers(text.stdout) == []
    assert "(1 more suppressed in source)" in text.stdout
    [finding] = json.loads(as_json.stdout)["findings"]
    assert (finding["rule_id"], finding["suppressed"], finding["suppression_reason"]) == ("PW101", True, reason)


@pytest.mark.parametrize("comment", ["# pwlint: ignore[PW999] other rule", "# noqa: E501", "# noqa"])
def test_suppression_for_another_rule_does_not_apply(tmp_path: Path, comment: str) -> None:
    line = f"user.password_hash = hashlib.sha256(password.encode()).hexdigest()  {comment}"
    write_tree(tmp_path, {"accounts.py": _store(line)})

    proc = run_pwlint("check", "accounts.py", "--select", "PW101", "-q", cwd=tmp_path)

    assert proc.returncode == 1
    assert [h["rule"] for h in headers(proc.stdout)] == ["PW101"]


# -- rules, explain, version --------------------------------------------------------------------

def test_rules_lists_pw101(tmp_path: Path) -> None:
    text = run_pwlint("rules", cwd=tmp_path)
    as_json = run_pwlint("rules", "--format", "json", cwd=tmp_path)

    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[0].split()[:3] == ["ID", "NAME", "SEVERITY"]
    assert re.search(r"^PW101\s+fast-hash-password\s+error\s+CWE-916", text.stdout, re.M)
    rows = {row["id"]: row for row in json.loads(as_json.stdout)}
    assert rows["PW101"]["name"] == "fast-hash-password"
    assert "CWE-916" in rows["PW101"]["cwe"]


def test_rules_includes_user_rules(tmp_path: Path) -> None:
    write_tree(tmp_path, {"myrules/XX901-pickled-password.yaml": PICKLE_RULE})

    proc = run_pwlint("rules", "--rules", "myrules", cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^XX901\s+pickled-password\s+warning", proc.stdout, re.M)
    assert re.search(r"^PW101\s", proc.stdout, re.M)


def test_explain_pw101(tmp_path: Path) -> None:
    proc = run_pwlint("explain", "PW101", cwd=tmp_path)
    by_name = run_pwlint("explain", "fast-hash-password", cwd=tmp_path)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("PW101 fast-hash-password (error, precision high)\n")
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## How to fix",
                    "## Classification", "## References"):
        assert f"\n{section}\n" in proc.stdout
    assert "```python\nimport hashlib\n" in proc.stdout
    assert "CWE: CWE-916" in proc.stdout
    assert by_name.stdout == proc.stdout


def test_explain_unknown_rule_exits_2(tmp_path: Path) -> None:
    proc = run_pwlint("explain", "PW999", cwd=tmp_path)

    assert_clean_error(proc)
    assert "pwlint rules" in proc.stderr


def test_version(tmp_path: Path) -> None:
    from pwlint import __version__

    proc = run_pwlint("--version", cwd=tmp_path)

    assert proc.returncode == 0
    assert proc.stdout.strip() == f"pwlint {__version__}"


# -- import-time invariants (ARCHITECTURE.md) ---------------------------------------------------

def _modules_after(code: str) -> set[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", code + "\nimport sys; print('\\n'.join(sys.modules))"],
                          capture_output=True, text=True, env=env, check=True, cwd=REPO)
    return set(proc.stdout.split())


def test_reporters_never_import_libcst() -> None:
    modules = _modules_after("import pwlint.reporters.text, pwlint.reporters.json, pwlint.reporters.sarif")
    assert "libcst" not in modules


def test_rules_command_does_not_import_libcst() -> None:
    modules = _modules_after("import contextlib, io\nfrom pwlint.cli import main\n"
                             "with contextlib.redirect_stdout(io.StringIO()):\n    main(['rules'])")
    assert "libcst" not in modules


def test_a_module_that_defines_a_test_case_is_test_code_wherever_it_sits(tmp_path: Path) -> None:
    """Kotti's `testing.py` and rdiffweb's `test.py` ship base classes for tests, with fixture passwords."""
    write_tree(tmp_path, {
        "shop/testing.py": textwrap.dedent("""\
            from cherrypy.test import helper


            class WebCase(helper.CPWebCase):
                USERNAME = "admin"
                PASSWORD = "admin123-fixture"
            """),
        "shop/settings.py": 'SMTP_PASSWORD = "Tr0ub4dor&3-live"\n',
    })

    default = run_pwlint("check", ".", "--format", "json", cwd=tmp_path)
    everything = run_pwlint("check", ".", "--format", "json", "--include-tests", cwd=tmp_path)

    assert [f["path"] for f in json.loads(default.stdout)["findings"]] == ["shop/settings.py"]
    assert "1 skipped as tests" in run_pwlint("check", ".", cwd=tmp_path).stdout
    assert sorted(f["path"] for f in json.loads(everything.stdout)["findings"]) == ["shop/settings.py", "shop/testing.py"]
