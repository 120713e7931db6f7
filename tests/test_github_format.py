"""`--format github`: workflow commands the Actions runner turns into annotations.

The runner splits a command at "::", its properties at "," and each property at its first "=", and
decodes %25, %0D, %0A, %3A and %2C (@actions/core's escapeData/escapeProperty). `parse_command`
below does exactly that, so these tests check what the runner would read, not just the bytes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import run_pwlint, write_tree
from pwlint.findings import FileProblem, Finding, Region, ScanResult
from pwlint.reporters import github

MD5 = "import hashlib\n\n\ndef store(user, password):\n    user.digest = hashlib.md5(password.encode()).hexdigest()\n"
_UNESCAPE = {"%25": "%", "%0D": "\r", "%0A": "\n", "%3A": ":", "%2C": ","}


def _unescape(text: str) -> str:
    return re.sub(r"%25|%0D|%0A|%3A|%2C", lambda m: _UNESCAPE[m.group(0)], text)


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    match = re.fullmatch(r"::(\w+) ([^:]*)::(.*)", line)
    assert match, line
    properties = dict(part.split("=", 1) for part in match.group(2).split(","))
    return match.group(1), {k: _unescape(v) for k, v in properties.items()}, _unescape(match.group(3))


def test_findings_become_annotations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)  # outside Actions: relative to the current directory
    write_tree(tmp_path, {"app/accounts.py": MD5, "pyproject.toml": "[tool.pwlint.severity]\nPW601 = \"note\"\n",
                          "app/views.py": "def check(user, password):\n    return user.password == password\n"})

    proc = run_pwlint("check", "--format", "github", cwd=tmp_path)

    assert proc.returncode == 1
    commands = [parse_command(line) for line in proc.stdout.splitlines()]
    assert commands[0] == ("error", {"file": "app/accounts.py", "line": "5", "endLine": "5", "col": "19",
                                     "endColumn": "49", "title": "PW101 fast-hash-password"},
                           "Password `password` is hashed with the fast hash hashlib.md5; store passwords with "
                           "Argon2id, scrypt, bcrypt or PBKDF2 instead")
    assert commands[1][0] == "notice"  # a note is a notice annotation
    assert commands[1][1]["file"] == "app/views.py"


def _finding(path: str, message: str, region: Region = Region(3, 5, 3, 9)) -> Finding:
    return Finding(path, region, "PW101", "warning", message, "x = md5(p)\n")


def test_special_characters_are_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    path = "src/a,b/100%: odd.py"
    message = "first line\nsecond line\r, 100% sure:: not a command"
    result = ScanResult(str(tmp_path), [_finding(path, message)], [], [])

    [line] = github.render(result).splitlines()

    assert "\n" not in line and "\r" not in line
    level, properties, text = parse_command(line)
    assert (level, properties["file"], text) == ("warning", path, message)
    assert line.startswith("::warning file=src/a%2Cb/100%25%3A odd.py,line=3,")


def test_multi_line_regions_have_no_columns_and_problems_are_warnings(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    result = ScanResult(str(tmp_path), [_finding("a.py", "m", Region(3, 5, 6, 2))],
                        [], [FileProblem("broken.py", 4, 9, "syntax error: expected ':'")])

    commands = [parse_command(line) for line in github.render(result).splitlines()]

    assert commands[0][1] == {"file": "a.py", "line": "3", "endLine": "6", "title": "PW101"}
    assert commands[1] == ("warning", {"file": "broken.py", "line": "4", "col": "9", "title": "pwlint: file not analysed"},
                           "pwlint could not analyse this file: syntax error: expected ':'")


def test_paths_are_relative_to_the_github_workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sub-project with its own pyproject.toml is its own scan root; the runner wants repository paths."""
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    write_tree(tmp_path, {"services/api/pyproject.toml": '[project]\nname = "api"\n', "services/api/auth.py": MD5})

    in_actions = run_pwlint("check", "services/api", "--format", "github", cwd=tmp_path)
    text = run_pwlint("check", "services/api", "-q", cwd=tmp_path)

    assert parse_command(in_actions.stdout.splitlines()[0])[1]["file"] == "services/api/auth.py"
    assert text.stdout.startswith("auth.py:5:19:")  # other formats stay relative to the scan root


def test_suppressed_findings_are_not_annotated(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": MD5.replace(".hexdigest()", ".hexdigest()  # pwlint: ignore[PW101]")})

    proc = run_pwlint("check", "a.py", "--format", "github", cwd=tmp_path)

    assert (proc.returncode, proc.stdout) == (0, "")


# -- exit codes ---------------------------------------------------------------------------------

WARNING_ONLY = "def check(user, password):\n    return user.password == password\n"  # PW601, a warning


@pytest.mark.parametrize(
    ("args", "code"),
    [([], 1), (["--fail-on", "note"], 1), (["--fail-on", "warning"], 1), (["--fail-on", "error"], 0),
     (["--exit-zero"], 0), (["--exit-zero", "--profile", "nope"], 2)],
    ids=["default", "note", "warning", "error", "exit-zero", "exit-zero-still-fails-on-errors"],
)
def test_exit_codes(tmp_path: Path, args: list[str], code: int) -> None:
    write_tree(tmp_path, {"views.py": WARNING_ONLY})

    proc = run_pwlint("check", "views.py", *args, cwd=tmp_path)

    assert proc.returncode == code, proc.stdout + proc.stderr
    if code != 2:
        assert "PW601 [warning]" in proc.stdout  # the finding is reported whatever the exit code


def test_interrupted_scan_exits_130(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    import pwlint.scan
    from pwlint.cli import main

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    write_tree(tmp_path, {"views.py": WARNING_ONLY})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(pwlint.scan, "scan", interrupted)

    code = main(["check", "views.py", "--output", "report.sarif", "--format", "sarif"])

    assert code == 130
    assert capsys.readouterr().err == "pwlint: interrupted\n"
    assert not (tmp_path / "report.sarif").exists()


# -- SARIF for code scanning --------------------------------------------------------------------

def test_sarif_category_is_opt_in(tmp_path: Path) -> None:
    write_tree(tmp_path, {"a.py": MD5})

    plain = json.loads(run_pwlint("check", "a.py", "--format", "sarif", cwd=tmp_path).stdout)
    named = json.loads(run_pwlint("check", "a.py", "--format", "sarif", "--sarif-category", "pwlint/backend",
                                  cwd=tmp_path).stdout)

    assert "automationDetails" not in plain["runs"][0]  # the upload action fills in workflow and job
    assert named["runs"][0]["automationDetails"] == {"id": "pwlint/backend/"}
