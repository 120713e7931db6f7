"""Reporters, fed hand-built scan results shaped like what the engine produces on real code."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import pwlint
from pwlint.findings import FileProblem, Finding, Region, RuleMeta, ScanResult
from pwlint.reporters import render
from pwlint.reporters import sarif as sarif_format

VALIDATE_SARIF = Path(__file__).resolve().parents[2] / "shared" / "tools" / "validate-sarif"

# A space and a non-ASCII letter: SARIF must percent-encode both.
AUTH_PATH = "src/my app/użytkownicy.py"
MD5_LINE = "    digest = hashlib.md5(password.encode()).hexdigest()\n"
SYNTAX_ERROR = "invalid syntax: expected ':'"
IMPORT_REASON = "read-only import of the 2012 dump; rehashed on first login"
SUMMARY_LINE = (
    "Found 3 password-storage problems: 1 error, 1 warning, 1 note (1 more suppressed in source)."
)
CHEAT_SHEET = "https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html"
SCRYPT_LINES = (
    "    return generate_password_hash(\n"
    '        password, method="scrypt:32768:8:1"\n'
    "    )\n"
)

FAST_HASH = RuleMeta(
    id="PW101",
    name="fast-hash-on-password",
    message="Password hashed with hashlib.md5, a fast digest; "
    "use Argon2id, scrypt, bcrypt or PBKDF2.",
    severity="error",
    precision="high",
    category="weak-hash",
    cwe=(916, 328),
    standards={
        "pci-dss-4.0.1": ("8.3.2",),
        "asvs-4.0.3": ("2.4.1", "6.2.5"),
        "asvs-5.0.0": ("V11.4.1", "V11.4.2"),
        "nist-800-63b-r4": ("3.1.1.2",),
    },
    summary="Checks for passwords hashed with a fast digest such as MD5 or SHA-256.",
    why="A GPU computes billions of MD5 or SHA-256 hashes a second, so a leaked table of them "
    "falls to a dictionary attack within hours.",
    fix="Hash passwords with a password hashing function: "
    "argon2-cffi's PasswordHasher().hash(password).",
    references=(CHEAT_SHEET,),
    bad_examples=("import hashlib\n\nstored = hashlib.md5(password.encode()).hexdigest()\n",),
    good_examples=("from argon2 import PasswordHasher\n\nstored = PasswordHasher().hash(pw)\n",),
    security_severity=8.1,
    source="rules/PW101-fast-hash-on-password.yaml",
)
UNSALTED = RuleMeta(
    id="PW102",
    name="unsalted-password-hash",
    message="Password hashed without a salt; identical passwords get identical hashes.",
    severity="warning",
    precision="medium",
    category="weak-hash",
    cwe=(759, 916),
    standards={"asvs-4.0.3": ("2.4.2",), "asvs-5.0.0": ("V11.5.1",)},
    summary="Checks for password hashes computed without a per-password salt.",
    why="Without a salt, one precomputed table cracks every user at once.",
    fix="Use a password hashing function; they generate and store a random salt for each hash.",
    references=(),
    bad_examples=("hashlib.sha256(password.encode()).hexdigest()",),
    good_examples=("PasswordHasher().hash(password)",),
    security_severity=7.0,
    source="rules/PW102-unsalted-password-hash.yaml",
)
WEAK_SCRYPT = RuleMeta(
    id="PW301",
    name="scrypt-cost-below-profile",
    message="werkzeug's scrypt:32768:8:1 is below the current OWASP table (N=2**17).",
    severity="note",
    precision="very-high",
    category="work-factor",
    cwe=(916,),
    standards={},
    summary="Checks scrypt parameters against the active threshold profile.",
    why="A cost below the table lets an attacker test more guesses a second than the standard "
    "allows.",
    fix='Pass method="scrypt:131072:8:1" or switch to Argon2id.',
    references=(f"{CHEAT_SHEET}#scrypt",),
    bad_examples=("generate_password_hash(password)",),
    good_examples=('generate_password_hash(password, method="scrypt:131072:8:1")',),
    security_severity=4.0,
    source="rules/PW301-scrypt-cost-below-profile.yaml",
)



def _scan_result(root: str = "/home/dev/projects/shop") -> ScanResult:
    md5_call = Region(12, 14, 12, 44)
    findings = [
        # Given out of order on purpose: reporters must sort.
        Finding(
            "src/web/views.py",
            Region(7, 12, 9, 6),
            "PW301",
            "note",
            WEAK_SCRYPT.message,
            SCRYPT_LINES,
        ),
        Finding(AUTH_PATH, md5_call, "PW102", "warning", UNSALTED.message, MD5_LINE),
        Finding(AUTH_PATH, md5_call, "PW101", "error", FAST_HASH.message, MD5_LINE),
        Finding(
            "src/legacy/import_users.py",
            Region(30, 16, 30, 49),
            "PW101",
            "error",
            FAST_HASH.message,
            "        check = hashlib.md5(raw_password.encode()).hexdigest()\n",
            suppressed=True,
            suppression_reason=IMPORT_REASON,
        ),
    ]
    return ScanResult(
        root=root,
        findings=findings,
        rules=[FAST_HASH, UNSALTED, WEAK_SCRYPT],
        problems=[FileProblem("src/broken module.py", 4, 9, SYNTAX_ERROR)],
        files_scanned=12,
        files_parsed=5,
        skipped_tests=3,
        excluded=2,
    )


def _clean_result() -> ScanResult:
    return ScanResult(
        root="/srv/app",
        findings=[],
        rules=[FAST_HASH],
        problems=[],
        files_scanned=4,
        files_parsed=1,
    )


# --- text ---------------------------------------------------------------------------------------


def test_text_shows_sorted_headers_source_and_markers() -> None:
    lines = render("text", _scan_result()).splitlines()
    assert lines[:12] == [
        f"{AUTH_PATH}:12:14: PW101 [error] {FAST_HASH.message}",
        "  12 |     digest = hashlib.md5(password.encode()).hexdigest()",
        "     |              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        "",
        f"{AUTH_PATH}:12:14: PW102 [warning] {UNSALTED.message}",
        "  12 |     digest = hashlib.md5(password.encode()).hexdigest()",
        "     |              ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^",
        "",
        f"src/web/views.py:7:12: PW301 [note] {WEAK_SCRYPT.message}",
        "  7 |     return generate_password_hash(",
        # A multi-line region is marked to the end of its first line.
        "    |            ^^^^^^^^^^^^^^^^^^^^^^^",
        '  8 |         password, method="scrypt:32768:8:1"',
    ]
    assert lines[12] == "  9 |     )"


def test_text_leaves_out_suppressed_findings_but_counts_them() -> None:
    output = render("text", _scan_result())
    assert "import_users.py" not in output
    assert SUMMARY_LINE in output


def test_text_summary_states_scope_problems_and_test_hint() -> None:
    summary = render("text", _scan_result()).splitlines()[-4:]
    assert summary == [
        SUMMARY_LINE,
        "12 files scanned (5 parsed), 3 skipped as tests, 2 excluded.",
        "1 file could not be analysed; see the lines on stderr.",
        "Test files were skipped; pass --include-tests to scan them.",
    ]


def test_text_quiet_prints_only_headers() -> None:
    output = render("text", _scan_result(), quiet=True)
    assert output.splitlines() == [
        f"{AUTH_PATH}:12:14: PW101 [error] {FAST_HASH.message}",
        f"{AUTH_PATH}:12:14: PW102 [warning] {UNSALTED.message}",
        f"src/web/views.py:7:12: PW301 [note] {WEAK_SCRYPT.message}",
    ]


def test_text_colours_only_when_asked() -> None:
    assert "\x1b[" not in render("text", _scan_result())
    coloured = render("text", _scan_result(), color=True)
    assert "\x1b[1mPW101\x1b[0m [\x1b[31merror\x1b[0m]" in coloured
    assert "\x1b[1mPW102\x1b[0m [\x1b[33mwarning\x1b[0m]" in coloured


def test_text_without_findings_still_states_scope() -> None:
    assert render("text", _clean_result()).splitlines() == [
        "No password-storage problems found.",
        "4 files scanned (1 parsed), 0 skipped as tests, 0 excluded.",
    ]
    assert render("text", _clean_result(), quiet=True) == ""


def test_text_marker_keeps_tabs_so_carets_line_up() -> None:
    finding = Finding("a.py", Region(3, 10, 3, 21), "PW101", "error", "m", "\tdigest = md5(pw)ab\n")
    result = ScanResult(root="/r", findings=[finding], rules=[FAST_HASH], problems=[])
    assert "  3 | \tdigest = md5(pw)ab\n    | \t        ^^^^^^^^^^^\n" in render("text", result)


# --- json ---------------------------------------------------------------------------------------


def test_json_matches_documented_schema() -> None:
    output = render("json", _scan_result())
    assert output.endswith("}\n")
    assert output.isascii() and "u\\u017cytkownicy" in output  # pure ASCII whatever the terminal
    document = json.loads(output)
    assert list(document) == [
        "version", "tool", "profile", "scope", "findings", "problems", "summary"
    ]
    assert document["version"] == 1
    assert document["tool"] == {"name": "pwlint", "version": pwlint.__version__}
    assert document["profile"] == "owasp-2026"
    assert document["scope"] == {
        "files_scanned": 12, "files_parsed": 5, "skipped_tests": 3, "excluded": 2, "not_analysed": 1
    }
    assert document["problems"] == [
        {"path": "src/broken module.py", "line": 4, "column": 9, "message": SYNTAX_ERROR}
    ]
    # The suppressed error is listed but not counted.
    assert document["summary"] == {"error": 1, "warning": 1, "note": 1}
    assert document["findings"][1] == {
        "rule_id": "PW101",
        "rule_name": "fast-hash-on-password",
        "severity": "error",
        "message": FAST_HASH.message,
        "path": AUTH_PATH,
        "line": 12,
        "column": 14,
        "end_line": 12,
        "end_column": 44,
        "snippet": MD5_LINE,
        "suppressed": False,
        "suppression_reason": None,
        "cwe": ["CWE-916", "CWE-328"],
        "category": "weak-hash",
    }


def test_json_keeps_suppressed_findings_marked() -> None:
    findings = json.loads(render("json", _scan_result()))["findings"]
    assert [(f["path"], f["rule_id"]) for f in findings] == [
        ("src/legacy/import_users.py", "PW101"),
        (AUTH_PATH, "PW101"),
        (AUTH_PATH, "PW102"),
        ("src/web/views.py", "PW301"),
    ]
    suppressed = findings[0]
    assert suppressed["suppressed"] is True
    assert suppressed["suppression_reason"] == IMPORT_REASON


def test_json_is_deterministic_whatever_the_input_order() -> None:
    shuffled = _scan_result()
    shuffled.findings.reverse()
    assert render("json", shuffled) == render("json", _scan_result())


# --- sarif --------------------------------------------------------------------------------------


def _sarif(**options: Any) -> dict[str, Any]:
    return json.loads(sarif_format.render(_scan_result(), **options))


def test_sarif_describes_the_tool_and_every_active_rule() -> None:
    log = _sarif()
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert "automationDetails" not in run
    driver = run["tool"]["driver"]
    assert driver["name"] == "pwlint"
    assert driver["version"] == driver["semanticVersion"] == pwlint.__version__
    assert driver["informationUri"] == "https://github.com/pwlint/pwlint"
    assert [rule["id"] for rule in driver["rules"]] == ["PW101", "PW102", "PW301"]
    rule = driver["rules"][0]
    assert rule["name"] == "fast-hash-on-password"
    assert rule["shortDescription"]["text"] == FAST_HASH.summary
    assert rule["fullDescription"]["text"] == FAST_HASH.why
    assert rule["helpUri"] == "https://github.com/pwlint/pwlint/blob/main/docs/rules.md#pw101"
    assert rule["defaultConfiguration"] == {"level": "error"}
    properties = rule["properties"]
    assert properties["tags"] == [
        "security", "external/cwe/cwe-916", "external/cwe/cwe-328", "weak-hash"
    ]
    assert properties["security-severity"] == "8.1"
    assert properties["precision"] == "high"
    assert properties["problem.severity"] == "error"
    assert list(properties["standards"]) == [  # sorted, whatever order the YAML had
        "asvs-4.0.3", "asvs-5.0.0", "nist-800-63b-r4", "pci-dss-4.0.1"
    ]
    assert properties["standards"]["asvs-4.0.3"] == ["2.4.1", "6.2.5"]
    assert driver["rules"][2]["properties"]["problem.severity"] == "recommendation"
    assert driver["rules"][2]["properties"]["security-severity"] == "4.0"


def test_sarif_help_markdown_carries_the_rule_documentation() -> None:
    markdown = _sarif()["runs"][0]["tool"]["driver"]["rules"][0]["help"]["markdown"]
    assert markdown.startswith(FAST_HASH.summary + "\n\n## Why is this bad?\n\n" + FAST_HASH.why)
    assert f"## Example\n\n```python\n{FAST_HASH.bad_examples[0]}```" in markdown
    assert "## Use instead\n\n```python\nfrom argon2 import PasswordHasher" in markdown
    assert "- asvs-5.0.0: V11.4.1, V11.4.2" in markdown
    assert "- [CWE-916](https://cwe.mitre.org/data/definitions/916.html)" in markdown
    assert f"- <{FAST_HASH.references[0]}>" in markdown


def test_sarif_help_fence_outgrows_backticks_in_the_example() -> None:
    rule = dataclasses.replace(FAST_HASH, bad_examples=('doc = """```py\nmd5(pw)\n```"""',))
    result = ScanResult(root="/r", findings=[], rules=[rule], problems=[])
    (descriptor,) = json.loads(sarif_format.render(result))["runs"][0]["tool"]["driver"]["rules"]
    markdown = descriptor["help"]["markdown"]
    assert '## Example\n\n````python\ndoc = """```py\nmd5(pw)\n```"""\n````\n' in markdown


def test_sarif_locations_are_relative_to_srcroot() -> None:
    run = _sarif()["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///home/dev/projects/shop/"}}
    first = run["results"][0]
    assert (first["ruleId"], first["ruleIndex"], first["level"]) == ("PW101", 0, "error")
    assert first["message"] == {"text": FAST_HASH.message}
    assert "partialFingerprints" not in first
    location = first["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {
        "uri": "src/my%20app/u%C5%BCytkownicy.py",
        "uriBaseId": "%SRCROOT%",
    }
    assert location["region"] == {
        "startLine": 12,
        "startColumn": 14,
        "endLine": 12,
        "endColumn": 44,
        "snippet": {"text": "hashlib.md5(password.encode())"},
    }
    assert location["contextRegion"] == {
        "startLine": 12, "endLine": 12, "snippet": {"text": MD5_LINE}
    }
    for result in run["results"]:
        artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert not artifact["uri"].startswith(("file:", "/"))


def test_sarif_multiline_region_snippet_is_the_region_itself() -> None:
    scrypt = _sarif()["runs"][0]["results"][2]["locations"][0]["physicalLocation"]
    assert scrypt["region"]["snippet"]["text"] == (
        'generate_password_hash(\n        password, method="scrypt:32768:8:1"\n    )'
    )
    assert (scrypt["contextRegion"]["startLine"], scrypt["contextRegion"]["endLine"]) == (7, 9)


def test_sarif_leaves_out_suppressed_findings_unless_asked() -> None:
    results = _sarif()["runs"][0]["results"]
    assert [(r["ruleId"], r["level"]) for r in results] == [
        ("PW101", "error"), ("PW102", "warning"), ("PW301", "note")
    ]
    assert all("suppressions" not in r for r in results)
    with_suppressed = _sarif(include_suppressed=True)["runs"][0]["results"]
    (suppressed,) = [r for r in with_suppressed if "suppressions" in r]
    assert suppressed["suppressions"] == [
        {"kind": "inSource", "justification": IMPORT_REASON}
    ]
    artifact = suppressed["locations"][0]["physicalLocation"]["artifactLocation"]
    assert artifact["uri"] == "src/legacy/import_users.py"


def test_sarif_suppression_without_reason_has_no_justification() -> None:
    result = _scan_result()
    result.findings[3] = dataclasses.replace(result.findings[3], suppression_reason="")
    results = json.loads(sarif_format.render(result, include_suppressed=True))["runs"][0]["results"]
    assert [r["suppressions"] for r in results if "suppressions" in r] == [[{"kind": "inSource"}]]


def test_sarif_reports_unparsable_files_as_notifications() -> None:
    (invocation,) = _sarif()["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["toolExecutionNotifications"] == [
        {
            "level": "warning",
            "message": {"text": f"src/broken module.py could not be analysed: {SYNTAX_ERROR}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": "src/broken%20module.py", "uriBaseId": "%SRCROOT%"
                        },
                        "region": {"startLine": 4, "startColumn": 9},
                    }
                }
            ],
        }
    ]


def test_sarif_notification_without_position_points_at_the_file() -> None:
    result = _scan_result()
    result.problems = [FileProblem("data/latin1.py", 0, 0, "not valid UTF-8")]
    (notification,) = json.loads(sarif_format.render(result))["runs"][0]["invocations"][0][
        "toolExecutionNotifications"
    ]
    artifact = {"uri": "data/latin1.py", "uriBaseId": "%SRCROOT%"}
    assert notification["locations"] == [{"physicalLocation": {"artifactLocation": artifact}}]


def test_sarif_root_uri_is_encoded_and_ends_with_slash() -> None:
    log = json.loads(sarif_format.render(_scan_result(root="/home/zoë/my code/")))
    root = log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert root == "file:///home/zo%C3%AB/my%20code/"


def test_sarif_is_byte_identical_for_the_same_input() -> None:
    shuffled = _scan_result()
    shuffled.findings.reverse()
    shuffled.problems.reverse()
    first = render("sarif", _scan_result())
    assert first == render("sarif", shuffled)
    assert first.endswith("}\n")


@pytest.mark.skipif(
    not VALIDATE_SARIF.exists(), reason=f"SARIF validator not found at {VALIDATE_SARIF}"
)
@pytest.mark.parametrize("include_suppressed", [False, True], ids=["default", "with-suppressed"])
def test_sarif_passes_schema_and_github_ingestion_rules(
    tmp_path: Path, include_suppressed: bool
) -> None:
    """About 1.5 s per run (longer the first time, when it installs the Multitool)."""
    log = tmp_path / "pwlint.sarif"
    sarif = sarif_format.render(_scan_result(), include_suppressed=include_suppressed)
    log.write_text(sarif, encoding="utf-8")
    completed = subprocess.run(
        [str(VALIDATE_SARIF), str(log)], capture_output=True, text=True, timeout=600
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


# --- dispatch -----------------------------------------------------------------------------------


def test_render_rejects_unknown_formats() -> None:
    with pytest.raises(ValueError, match="text, json, sarif"):
        render("xml", _scan_result())


def test_formats_load_lazily_and_never_import_libcst() -> None:
    """pre-commit start-up pays only for the format it prints; reporters stay parser-agnostic."""
    script = (
        "import sys\n"
        "import pwlint.reporters as r\n"
        "assert not {m for m in sys.modules if m.startswith('pwlint.reporters.')}\n"
        "from tests.test_reporters import _scan_result\n"
        "for fmt in r.FORMATS:\n"
        "    r.render(fmt, _scan_result())\n"
        "assert 'libcst' not in sys.modules, 'a reporter imported libcst'\n"
    )
    root = Path(__file__).resolve().parents[1]
    completed = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
