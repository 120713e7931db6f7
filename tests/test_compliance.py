"""Compliance reports on small, realistic projects: catalogues, verdicts, evidence, scope and formats.

The projects are what an auditor meets: a Django site that hashes with Argon2 and sets validators
(compliant), one that stores MD5 digests (failing), and one with both plus a suppression (mixed).
Verdicts are checked per standard from the JSON format, which every other format renders from the
same record.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, run_pwlint, write_tree
from pwlint.compliance.catalogue import load_catalogues, read_catalogue
from pwlint.ruleset import STANDARDS, RuleError, builtin_rules_dir, load_rules
from pwlint.scan import Settings, load, scan

SETTINGS = '''\
"""Django settings for the shop project."""
import os

SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "shop",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "PASSWORD": os.environ["DB_PASSWORD"]}}
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
'''
SETTINGS_HASHERS_LINE = 11

ACCOUNTS = '''\
"""Registration and login."""
import hmac

from django.contrib.auth.hashers import check_password, make_password

from shop.models import Customer


def register(username, password):
    customer = Customer(username=username, password=make_password(password))
    customer.save()
    return customer


def login(customer, password):
    return check_password(password, customer.password)


def same_token(expected, given):
    return hmac.compare_digest(expected, given)
'''
MAKE_PASSWORD_LINE = 10

LEGACY = '''\
"""Accounts imported from the old PHP shop."""
import hashlib


def import_account(row, password):
    row.password_md5 = hashlib.md5(password.encode()).hexdigest()
    return row


def verify_legacy(row, password):
    digest = hashlib.md5(password.encode()).hexdigest()  # pwlint: ignore[PW101] legacy import, removed in 3.0
    return hmac_equal(digest, row.password_md5)
'''
LEGACY_MD5_LINE = 6

COMPLIANT = {"shop/settings.py": SETTINGS, "shop/accounts.py": ACCOUNTS, "pyproject.toml": "[project]\nname='shop'\n"}
FAILING = {"shop/legacy.py": LEGACY, "pyproject.toml": "[project]\nname='shop'\n"}
MIXED = {**COMPLIANT, **FAILING}


def report(tmp_path: Path, files: dict[str, str], standard: str, *extra: str) -> dict[str, Any]:
    root = write_tree(tmp_path / "project", files)
    done = run_pwlint("report", ".", "--standard", standard, "--format", "json", *extra, cwd=root)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def verdicts(document: dict[str, Any]) -> dict[str, str]:
    return {control["id"]: control["verdict"] for control in document["controls"]}


def control(document: dict[str, Any], control_id: str) -> dict[str, Any]:
    return next(c for c in document["controls"] if c["id"] == control_id)


# -- catalogues and rules agree ------------------------------------------------------------------

CATALOGUES = {catalogue.id: catalogue for catalogue in load_catalogues()}
RULES = load_rules([builtin_rules_dir()])


def test_there_is_one_catalogue_per_standard_rules_may_cite() -> None:
    assert sorted(CATALOGUES) == sorted(STANDARDS)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_control_a_rule_cites_exists_in_its_catalogue(rule: Any) -> None:
    for standard, ids in rule.cited().items():
        known = {c.id for c in CATALOGUES[standard].controls}
        assert set(ids) <= known, f"{rule.id} cites {sorted(set(ids) - known)} not in {standard}"


@pytest.mark.parametrize("standard", sorted(CATALOGUES))
def test_every_catalogue_control_is_evidenced_by_a_rule_or_outside_static_analysis(standard: str) -> None:
    cited = set().union(*(rule.cited().get(standard, set()) for rule in RULES))
    for item in CATALOGUES[standard].controls:
        if item.outside:
            assert item.id not in cited, f"{standard} {item.id} is marked outside static analysis but a rule cites it"
        else:
            assert item.id in cited, f"{standard} {item.id} is neither cited by a rule nor marked outside"


@pytest.mark.parametrize("standard", sorted(CATALOGUES))
def test_every_catalogue_control_keeps_its_source_and_quote(standard: str) -> None:
    catalogue = CATALOGUES[standard]
    assert catalogue.version and catalogue.source and catalogue.url
    for item in catalogue.controls:
        assert item.text and item.source and item.title
        if catalogue.language == "zh":
            assert item.title_zh and item.gloss, f"{standard} {item.id} needs Chinese and English titles"


@pytest.mark.parametrize(
    "text, key, line",
    [
        ("standard: asvs-5.0.0\n", "title", 1),
        ("standard: wrong\ntitle: T\nversion: v\nsource: s\nurl: u\ncontrols: [{id: A, section: S, title: T, text: Q}]\n",
         "standard", 1),
        ("standard: bad\ntitle: T\nversion: v\nsource: s\nurl: u\ncontrols:\n  - id: A\n    section: S\n    title: T\n"
         "    text: Q\n    colour: red\n", "colour", 11),
        ("standard: bad\ntitle: T\nversion: v\nsource: s\nurl: u\nlevels: [1, 2]\ncontrols:\n  - id: A\n"
         "    section: S\n    title: T\n    text: Q\n    level: 3\n", "level", 12),
        ("standard: bad\ntitle: T\nversion: v\nsource: s\nurl: u\ncontrols:\n  - {id: A, section: S, title: T, text: Q}\n"
         "  - {id: A, section: S, title: T, text: Q}\n", "id", 8),
    ],
)
def test_a_broken_catalogue_names_file_line_and_key(tmp_path: Path, text: str, key: str, line: int) -> None:
    path = tmp_path / ("asvs-5.0.0.yaml" if "asvs" in text else "bad.yaml")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RuleError) as raised:
        read_catalogue(path)
    assert (raised.value.key, raised.value.line) == (key, line)
    assert str(raised.value).startswith(f"{path}:{line}: {key}: ")


# -- observations are evidence only --------------------------------------------------------------

def test_observations_never_change_findings(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", MIXED)
    plain = Settings(paths=[str(root)])
    observing = Settings(paths=[str(root)], observe=True)
    without, with_evidence = scan(plain, load(plain)), scan(observing, load(observing))
    assert without.findings == with_evidence.findings
    assert without.observations == [] and with_evidence.observations
    assert run_pwlint("check", ".", cwd=root).returncode == 1


# -- verdicts on realistic projects --------------------------------------------------------------

def test_compliant_django_project_passes_hashing_controls_with_evidence_at_the_right_line(tmp_path: Path) -> None:
    document = report(tmp_path, COMPLIANT, "asvs-5.0.0", "--level", "2")
    result = verdicts(document)
    for control_id in ("V11.4.2", "V6.2.1", "V6.2.4", "V11.5.1", "V13.3.1"):
        assert result[control_id] == "pass", control_id
    assert "V11.2.4" not in result  # level 3 only
    hashers = [e for e in control(document, "V11.4.2")["observations"] if e["path"] == "shop/settings.py"]
    assert [(e["line"], e["rule_id"]) for e in hashers] == [(SETTINGS_HASHERS_LINE, "PW401")]
    assert "Argon2PasswordHasher" in hashers[0]["message"]
    made = [e for e in control(document, "V11.4.2")["observations"] if e["path"] == "shop/accounts.py"]
    assert [e["line"] for e in made] == [MAKE_PASSWORD_LINE]
    assert result["V6.3.1"] == "outside"
    assert control(document, "V6.3.1")["outside_reason"]
    assert document["summary"]["fail"] == 0


def test_md5_project_fails_with_the_finding_as_evidence(tmp_path: Path) -> None:
    document = report(tmp_path, FAILING, "pci-dss-4.0.1")
    assert verdicts(document) == {"8.3.1": "outside", "8.3.2": "fail", "8.6.2": "not-evidenced"}
    failing = control(document, "8.3.2")
    assert [(e["path"], e["line"], e["rule_id"], e["severity"]) for e in failing["findings"]] == [
        ("shop/legacy.py", LEGACY_MD5_LINE, "PW101", "error")]
    assert "hashlib.md5" in failing["findings"][0]["message"]
    assert [e["suppression_reason"] for e in failing["suppressed"]] == ["legacy import, removed in 3.0"]
    assert [s["suppression_reason"] for s in document["scope"]["suppressions"]] == ["legacy import, removed in 3.0"]
    looked = control(document, "8.6.2")["looked_for"]
    assert any(item["rule_id"] == "PW501" for item in looked)


EXPECTED = {
    # standard: (compliant verdicts, mixed verdicts) for the controls rules judge
    "asvs-4.0.3": ({"2.4.1": "pass", "6.2.5": "not-evidenced", "6.2.8": "pass"},
                   {"2.4.1": "fail", "6.2.5": "fail", "6.2.8": "pass"}),
    "asvs-5.0.0": ({"V11.4.1": "not-evidenced", "V11.4.2": "pass", "V11.2.4": "pass"},
                   {"V11.4.1": "fail", "V11.4.2": "fail", "V11.2.4": "pass"}),
    "nist-800-63b-3": ({"5.1.1.2": "pass"}, {"5.1.1.2": "fail"}),
    "nist-800-63b-4": ({"3.1.1.2": "pass", "3.1.1.2 item 1": "pass", "3.1.1.2 item 9": "not-evidenced"},
                       {"3.1.1.2": "fail", "3.1.1.2 item 1": "pass", "3.1.1.2 item 9": "not-evidenced"}),
    "pci-dss-4.0.1": ({"8.3.2": "pass", "8.6.2": "pass"}, {"8.3.2": "fail", "8.6.2": "pass"}),
    "mlps-2.0-l3": ({"8.1.4.8 b)": "pass", "8.1.4.1 a)": "pass", "8.1.4.7 b)": "not-evidenced"},
                    {"8.1.4.8 b)": "fail", "8.1.4.1 a)": "pass", "8.1.4.7 b)": "not-evidenced"}),
    "mlps-2.0-l2": ({"身份鉴别 a)": "pass", "剩余信息保护 a)": "outside"},
                    {"身份鉴别 a)": "pass", "剩余信息保护 a)": "outside"}),
    "gbt-39786-2021-l3": ({"8.4 e)": "not-evidenced", "5 a)": "outside"}, {"8.4 e)": "fail", "5 a)": "outside"}),
    "gbt-39786-2021-l2": ({"7.4 d)": "not-evidenced"}, {"7.4 d)": "fail"}),
}


@pytest.mark.parametrize("standard", sorted(EXPECTED))
def test_each_standard_judges_compliant_and_mixed_projects(tmp_path: Path, standard: str) -> None:
    compliant, mixed = EXPECTED[standard]
    got = verdicts(report(tmp_path / "compliant", COMPLIANT, standard))
    assert {k: got[k] for k in compliant} == compliant
    got = verdicts(report(tmp_path / "mixed", MIXED, standard))
    assert {k: got[k] for k in mixed} == mixed


def test_pbkdf2_sm3_is_evidence_for_gbt_39786(tmp_path: Path) -> None:
    code = textwrap.dedent('''\
        import hashlib, os

        def hash_password(password: str) -> bytes:
            salt = os.urandom(16)
            return salt + hashlib.pbkdf2_hmac("sm3", password.encode(), salt, 600_000)
        ''')
    document = report(tmp_path, {"auth.py": code, "pyproject.toml": ""}, "gbt-39786-2021-l3")
    evidence = control(document, "8.4 e)")
    assert evidence["verdict"] == "pass"
    assert [(e["path"], e["line"]) for e in evidence["observations"]] == [("auth.py", 5)]
    assert evidence["title_zh"] and evidence["gloss"]


def test_a_legacy_hasher_kept_for_verification_is_a_note_not_a_failure(tmp_path: Path) -> None:
    settings = SETTINGS.replace('"django.contrib.auth.hashers.PBKDF2PasswordHasher"',
                                '"django.contrib.auth.hashers.MD5PasswordHasher"')
    document = report(tmp_path, {**COMPLIANT, "shop/settings.py": settings}, "asvs-5.0.0")
    checked = control(document, "V11.4.1")
    assert checked["verdict"] == "not-evidenced"
    assert [(e["rule_id"], e["severity"]) for e in checked["notes"]] == [("PW401", "note")]


# -- scope, determinism, formats -----------------------------------------------------------------

def test_scope_states_files_profile_thresholds_versions_date_and_commit(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", {**MIXED, "tests/test_accounts.py": "import hashlib\n",
                                             "shop/broken.py": "def password(:\n"})
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "--allow-empty",
                    "-m", "init"], cwd=root, check=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True).stdout.strip()
    done = run_pwlint("report", ".", "--standard", "nist-800-63b-4", "--format", "json", "--profile", "asvs-5.0.0",
                      "--no-gitignore", cwd=root)
    scope = json.loads(done.stdout)["scope"]
    assert scope["git_commit"] == head and scope["git_dirty"] is False
    assert scope["skipped_tests"] == 1 and scope["files_scanned"] == 4
    assert [p["path"] for p in scope["unparsable"]] == ["shop/broken.py"]
    assert scope["profile"] == "asvs-5.0.0" and scope["thresholds"]["pbkdf2-sha512-iterations"] == 210000
    assert scope["thresholds"]["scrypt-n"] == {"1": 131072, "2": 65536, "3": 32768}
    assert "Appendix C" in scope["profile_source"]
    assert {r["id"] for r in scope["rules"]} >= {"PW101", "PW401"} and all(len(r["digest"]) == 12 for r in scope["rules"])


def test_reports_are_reproducible_with_source_date_epoch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    root = write_tree(tmp_path / "project", MIXED)
    for fmt in ("json", "md", "html"):
        first = run_pwlint("report", ".", "--standard", "mlps-2.0-l3", "--format", fmt, cwd=root)
        second = run_pwlint("report", ".", "--standard", "mlps-2.0-l3", "--format", fmt, cwd=root)
        assert first.returncode == 0 and first.stdout == second.stdout
        assert "2026-01-01T00:00:00Z" in first.stdout
    assert json.loads(first.stdout if fmt == "json" else run_pwlint(
        "report", ".", "--standard", "mlps-2.0-l3", "--format", "json", cwd=root).stdout)["scope"]["git_commit"] is None


def test_markdown_fits_a_job_summary_and_names_the_evidence(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", MIXED)
    done = run_pwlint("report", ".", "--standard", "pci-dss-4.0.1", "--format", "md", cwd=root)
    text = done.stdout
    assert text.startswith("# Compliance report: Payment Card Industry Data Security Standard 4.0.1")
    assert "| 8.3.2 | Authentication factors unreadable in transmission and storage | ❌ Fail |" in text
    assert f"`shop/legacy.py:{LEGACY_MD5_LINE}:24` PW101 [error]" in text
    assert "legacy import, removed in 3.0" in text
    assert len(text) < 65536


def test_html_is_self_contained(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", MIXED)
    html = run_pwlint("report", ".", "--standard", "mlps-2.0-l3", "--format", "html", cwd=root).stdout
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html
    assert "<script" not in html and "http://" not in html and "<link" not in html
    assert '<span lang="zh-CN">应采用密码技术保证重要数据在存储过程中的保密性' in html


# -- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "args, message",
    [
        (["--standard", "iso-27001"], "pwlint: error: --standard: unknown standard 'iso-27001' (known: asvs-4.0.3,"),
        (["--standard", "asvs-5.0.0", "--level", "4"], "pwlint: error: --level: '4' is not a level of asvs-5.0.0 (levels: 1, 2, 3)"),
        (["--standard", "asvs-5.0.0", "--level", "two"], "pwlint: error: --level: 'two' is not a level of asvs-5.0.0"),
        (["--standard", "pci-dss-4.0.1", "--level", "1"], "pwlint: error: --level: pci-dss-4.0.1 has no levels"),
        (["--standard", "asvs-5.0.0", "--profile", "fast"], "pwlint: error: --profile: unknown profile 'fast'"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_no_file(tmp_path: Path, args: list[str], message: str) -> None:
    root = write_tree(tmp_path / "project", MIXED)
    done = run_pwlint("report", ".", *args, "--output", "report.html", "--format", "html", cwd=root)
    assert done.returncode == 2
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1
    assert not (root / "report.html").exists() and not list(root.glob(".report.html.*"))


def test_standards_lists_every_catalogue_with_its_version(tmp_path: Path) -> None:
    done = run_pwlint("standards", cwd=tmp_path)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines] == sorted(CATALOGUES)
    assert any(line.startswith("asvs-5.0.0") and "5.0.0; levels 1, 2, 3;" in line for line in lines)
    rows = json.loads(run_pwlint("standards", "--format", "json", cwd=tmp_path).stdout)
    assert {row["id"]: row["version"] for row in rows}["mlps-2.0-l3"] == "2019, level 3 (第三级)"


def test_compliance_formats_do_not_import_libcst(tmp_path: Path) -> None:
    code = ("import sys\nimport pwlint.reporters.compliance_html, pwlint.reporters.compliance_md, "
            "pwlint.reporters.compliance_json\nprint('libcst' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "False"
