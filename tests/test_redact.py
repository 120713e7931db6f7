"""`--redact`: a hard-coded password pwlint finds is not repeated in clear in pwlint's own output.

The project below holds passwords the way real code does (Django settings, a driver's keyword
argument, a comparison that is a backdoor). Each literal is unique to this file, so finding it in an
output means the output copied it from the scanned code, not from a rule's documentation.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import assert_valid_sarif, write_tree
from pwlint.cli import main
from pwlint.findings import Finding, Region, ScanResult
from pwlint.reporters.redaction import mask, redact
from pwlint.ruleset import RuleError, load_rules

SECRETS = ("Dj4ngo-S3cret-db", "pg-Xy9-Secret", "l3tm3in-backdoor", "m4il-Fallback")

PROJECT = {
    "mysite/settings.py": f'''\
DEBUG = False

DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "shop",
        "USER": "shop",
        "PASSWORD": "{SECRETS[0]}",
        "HOST": "db.internal",
    }}
}}
''',
    "shop/db.py": f'''\
import psycopg2


def connect():
    return psycopg2.connect(host="db.internal", user="shop", password="{SECRETS[1]}")
''',
    "shop/auth.py": f'''\
def is_admin(user, password):
    if password == "{SECRETS[2]}":
        return True
    return user.is_staff
''',
    "shop/mail.py": f'''\
import os

SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "{SECRETS[3]}")
''',
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(write_tree(tmp_path, PROJECT))
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    return tmp_path


def pwlint(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """Run the CLI in this process (a subprocess per format would triple the file's run time). The
    result cache is on, so a run answered from a redacted run's cache must still show literals."""
    capsys.readouterr()
    code = main(list(args))
    return code, capsys.readouterr().out


def leaked(output: str) -> list[str]:
    return [secret for secret in SECRETS if secret in output]


# -- every format, by default and with --no-redact ---------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github"])
def test_check_output_never_repeats_a_password_by_default(project: Path, capsys: pytest.CaptureFixture[str],
                                                           fmt: str) -> None:
    code, output = pwlint(capsys, "check", "--format", fmt)

    assert code == 1
    assert "PW501" in output
    assert leaked(output) == []


@pytest.mark.parametrize("fmt", ["text", "json", "sarif"])
def test_no_redact_shows_the_literals(project: Path, capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    _, output = pwlint(capsys, "check", "--format", fmt, "--no-redact")

    assert leaked(output) == list(SECRETS)


@pytest.mark.parametrize("fmt", ["md", "json", "html"])
def test_compliance_reports_never_repeat_a_password_by_default(project: Path, capsys: pytest.CaptureFixture[str],
                                                                fmt: str) -> None:
    _, redacted = pwlint(capsys, "report", "--standard", "asvs-5.0.0", "--format", fmt)
    _, shown = pwlint(capsys, "report", "--standard", "asvs-5.0.0", "--format", fmt, "--no-redact")

    assert "PW501" in redacted
    assert leaked(redacted) == []
    if fmt != "md":  # the Markdown summary quotes no code at all
        assert leaked(shown) == list(SECRETS)


def test_messages_name_the_variable_and_snippets_keep_quotes_and_length(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, output = pwlint(capsys, "check", "--format", "json")
    findings = {(f["path"], f["rule_id"]): f for f in json.loads(output)["findings"]}

    settings = findings["mysite/settings.py", "PW501"]
    assert settings["message"].startswith("`PASSWORD` is assigned a hard-coded password")
    assert settings["snippet"] == '        "PASSWORD": "' + "*" * len(SECRETS[0]) + '",'
    assert findings["shop/db.py", "PW501"]["message"].startswith("`password` is assigned a hard-coded password")
    # the timing-unsafe comparison on the same line is masked too, and names the password
    assert findings["shop/auth.py", "PW501"]["message"].startswith("Password `password` is compared with")
    assert findings["shop/auth.py", "PW601"]["snippet"] == '    if password == "' + "*" * len(SECRETS[2]) + '":'
    # of a lookup, only the fallback is the secret: the variable it reads stays readable
    assert findings["shop/mail.py", "PW501"]["snippet"] == (
        'SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "' + "*" * len(SECRETS[3]) + '")')


def test_text_carets_still_point_at_the_region(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, redacted = pwlint(capsys, "check")
    _, shown = pwlint(capsys, "check", "--no-redact")

    markers = [line for line in redacted.splitlines() if "^" in line]
    assert markers == [line for line in shown.splitlines() if "^" in line]


def test_configuration_key_turns_it_off_with_its_origin(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "pyproject.toml").write_text("[tool.pwlint]\nredact = false\n", encoding="utf-8")

    _, settings = pwlint(capsys, "check", "--show-settings")
    _, output = pwlint(capsys, "check")
    _, forced = pwlint(capsys, "check", "--redact")

    assert [line for line in settings.splitlines() if line.startswith("redact ")] == [
        "redact = false".ljust(56) + "  # pyproject.toml:2"]
    assert leaked(output) == list(SECRETS)
    assert leaked(forced) == []


# -- what identifies a finding does not depend on redaction ---------------------------------------

def test_baseline_is_the_same_with_and_without_redaction(project: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    pwlint(capsys, "check", "--baseline-write", "redacted.json")
    pwlint(capsys, "check", "--baseline-write", "shown.json", "--no-redact")

    baseline = (project / "redacted.json").read_text(encoding="utf-8")
    assert baseline == (project / "shown.json").read_text(encoding="utf-8")
    assert leaked(baseline) == []
    code, output = pwlint(capsys, "check", "--baseline", "redacted.json", "--no-redact")
    assert code == 0, output


def test_sarif_fingerprints_are_the_same_and_the_log_is_valid(project: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    _, redacted = pwlint(capsys, "check", "--format", "sarif", "--output", "redacted.sarif")
    _, shown = pwlint(capsys, "check", "--format", "sarif", "--no-redact")
    log = json.loads((project / "redacted.sarif").read_text(encoding="utf-8"))

    def fingerprints(sarif: dict) -> list[object]:
        return [result["partialFingerprints"] for result in sarif["runs"][0]["results"]]

    assert fingerprints(log) == fingerprints(json.loads(shown))
    for result in log["runs"][0]["results"]:  # the masked region text still spans the region's columns
        region = result["locations"][0]["physicalLocation"]["region"]
        assert len(region["snippet"]["text"]) == region["endColumn"] - region["startColumn"]
    assert_valid_sarif(project / "redacted.sarif")



# -- the masking itself -----------------------------------------------------------------------------

def test_mask_keeps_prefix_quotes_and_everything_outside_the_region() -> None:
    snippet = 'conn = connect(password=rb"hunter2", user="app")'
    assert mask(snippet, 10, [Region(10, 28, 10, 35)]) == 'conn = connect(password=rb"*******", user="app")'


def test_mask_covers_a_literal_over_several_lines_and_only_the_lines_shown() -> None:
    snippet = 'PASSWORD = """first\nsecond\nthird"""'
    secret = Region(3, 15, 5, 6)  # from after the opening quotes to before the closing ones
    assert mask(snippet, 3, [secret]) == 'PASSWORD = """*****\n******\n*****"""'
    assert mask("second", 4, [secret]) == "******"
    assert mask("unrelated", 9, [secret]) == "unrelated"


def test_every_snippet_of_a_file_is_masked_by_the_secrets_any_finding_there_found() -> None:
    line = 'if password == "l3tm3in":'
    secret = Region(7, 17, 7, 24)
    declared = Finding("auth.py", Region(7, 4, 7, 25), "PW501", "error", "m", line, secrets=(secret,))
    other = Finding("auth.py", Region(7, 4, 7, 25), "PW601", "warning", "m", line)
    elsewhere = Finding("views.py", Region(7, 4, 7, 25), "PW601", "warning", "m", line)
    result = ScanResult("/project", [declared, other, elsewhere], [], [])

    redact(result)

    assert [f.snippet for f in result.findings] == ['if password == "*******":'] * 2 + [line]


# -- the rule language ------------------------------------------------------------------------------

REDACTED_RULE = """\
id: XX950
name: literal-basic-auth
category: hardcoded-password
severity: error
cwe: [798]
message: "HTTPBasicAuth gets a hard-coded password"
summary: s
why: w
fix: f
examples:
  bad: ['import requests\\nrequests.auth.HTTPBasicAuth("u", "hunter22")']
  good: ['import os, requests\\nrequests.auth.HTTPBasicAuth("u", os.environ["PW"])']
match:
  - call: requests.auth.HTTPBasicAuth
    where:
      - arg: {pos: 1, kw: password}
        is: secret-literal
"""


@pytest.mark.parametrize("extra, error", [
    ("        redact: yes-please\n", "`redact` is true or false"),
    ("        redact: true\n        as: password\n", "cannot be captured with `as`"),
])
def test_redact_is_validated_when_rules_load(tmp_path: Path, extra: str, error: str) -> None:
    (tmp_path / "XX950.yaml").write_text(REDACTED_RULE + extra, encoding="utf-8")

    with pytest.raises(RuleError, match=error):
        load_rules([tmp_path])


def test_a_user_rule_redacts_what_it_marks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "XX950.yaml").write_text(REDACTED_RULE + "        redact: true\n", encoding="utf-8")
    write_tree(tmp_path, {"client.py": 'import requests\nAUTH = requests.auth.HTTPBasicAuth("svc", "Zq-83-api")\n'})
    monkeypatch.chdir(tmp_path)

    _, output = pwlint(capsys, "check", "--rules", "rules", "--select", "XX950", "client.py")

    assert 'HTTPBasicAuth("svc", "*********")' in output
