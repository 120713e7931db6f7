"""Configuration files, end to end: where pwlint finds them, what every key does, how the command
line overrides them, and how a broken file is reported (exit 2, one line naming file, line and
key, no report written)."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest

from conftest import PICKLE_RULE, run_pwlint, write_tree

# PW101 (error) at line 5, PW501 hard-coded password (error) at line 8, PW601 timing-unsafe compare (warning) at line 12.
ACCOUNTS = '''\
import hashlib


def register(user, password):
    user.password_hash = hashlib.md5(password.encode()).hexdigest()


ADMIN_PASSWORD = "Tr0ub4dor&3-horse"


def check(user, password):
    return user.password == password
'''
FAST_HASH = "import hashlib\n\n\ndef store(user, password):\n    user.digest = hashlib.sha1(password.encode()).hexdigest()\n"


def findings(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, str, str]]:
    """(path, rule, severity) of each finding in a JSON report that is not suppressed."""
    document = json.loads(proc.stdout)
    return [(f["path"], f["rule_id"], f["severity"]) for f in document["findings"] if not f["suppressed"]]


def project(root: Path, config: str, files: dict[str, str] | None = None, *, name: str = "pyproject.toml") -> Path:
    body = config if name != "pyproject.toml" else '[project]\nname = "shop"\nversion = "1.0"\n\n' + config
    return write_tree(root, {name: textwrap.dedent(body), "shop/__init__.py": "", "shop/accounts.py": ACCOUNTS,
                             **(files or {})})


def check_json(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_pwlint("check", *args, "--format", "json", cwd=cwd)


def assert_config_error(proc: subprocess.CompletedProcess[str], where: str, *words: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.strip().splitlines()
    assert line.startswith(f"pwlint: error: {where}"), line
    for word in words:
        assert word in line, line


# -- finding the file ---------------------------------------------------------------------------

def test_pyproject_table_is_found_from_a_scanned_subdirectory(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.pwlint]\nselect = ["PW1"]\n')

    proc = check_json(root / "shop", "accounts.py")

    assert findings(proc) == [("shop/accounts.py", "PW101", "error")]  # paths relative to the config's directory


def test_pyproject_without_pwlint_table_is_passed_over(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.pwlint]\nselect = ["PW6"]\n')
    write_tree(root, {"services/api/pyproject.toml": '[project]\nname = "api"\n[tool.ruff]\nline-length = 100\n',
                      "services/api/auth.py": ACCOUNTS})

    proc = check_json(root, "services/api")

    assert findings(proc) == [("services/api/auth.py", "PW601", "warning")]


def test_pwlint_toml_wins_over_pyproject_in_the_same_directory(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.pwlint]\nselect = ["PW1"]\n')
    write_tree(root, {"pwlint.toml": 'select = ["PW5"]\n'})

    proc = check_json(root)

    assert [rule for _, rule, _ in findings(proc)] == ["PW501"]


def test_config_option_and_isolated(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.pwlint]\nselect = ["PW1"]\n', {"ci/pwlint-strict.toml": 'select = ["PW6"]\n'})

    named = check_json(root, "--config", "ci/pwlint-strict.toml")
    isolated = check_json(root, "--isolated")

    assert [rule for _, rule, _ in findings(named)] == ["PW601"]
    assert [rule for _, rule, _ in findings(isolated)] == ["PW101", "PW501", "PW601"]


# -- keys ---------------------------------------------------------------------------------------

def test_select_ignore_and_extend_select(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.pwlint]\nselect = ["PW1", "PW5"]\nextend-select = ["PW6"]\nignore = ["PW501"]\n')

    proc = check_json(root)

    assert [rule for _, rule, _ in findings(proc)] == ["PW101", "PW601"]


def test_command_line_select_replaces_the_files_select_and_ignore(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.pwlint]\nselect = ["PW1"]\nignore = ["PW5", "PW6"]\n')

    replaced = check_json(root, "--select", "PW5", "--select", "PW6")
    added = check_json(root, "--ignore", "PW101")

    assert [rule for _, rule, _ in findings(replaced)] == ["PW501", "PW601"]  # the file's ignore went too
    assert findings(added) == []  # --ignore adds to the file's list


def test_per_file_ignores_match_globs_and_file_names(tmp_path: Path) -> None:
    config = """\
        [tool.pwlint.per-file-ignores]
        "shop/accounts.py" = ["PW5"]
        "legacy/**/*.py" = ["PW1"]
        "fixtures.py" = ["PW"]
        """
    root = project(tmp_path, config, {"legacy/v1/hashing.py": FAST_HASH, "legacy/hashing.py": FAST_HASH,
                                      "shop/deep/fixtures.py": ACCOUNTS, "shop/hashing.py": FAST_HASH})

    proc = check_json(root)

    assert sorted(findings(proc)) == [
        ("shop/accounts.py", "PW101", "error"),
        ("shop/accounts.py", "PW601", "warning"),
        ("shop/hashing.py", "PW101", "error"),
    ]


def test_severity_overrides_take_the_longest_prefix_and_reach_sarif(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.pwlint.severity]\nPW = "note"\nPW6 = "warning"\nPW601 = "error"\nPW5 = "warning"\n')

    as_json = check_json(root)
    sarif = json.loads(run_pwlint("check", "--format", "sarif", cwd=root).stdout)

    assert sorted(findings(as_json)) == [("shop/accounts.py", "PW101", "note"), ("shop/accounts.py", "PW501", "warning"),
                                         ("shop/accounts.py", "PW601", "error")]
    levels = {rule["id"]: rule["defaultConfiguration"]["level"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert (levels["PW101"], levels["PW501"], levels["PW601"]) == ("note", "warning", "error")
    assert {r["ruleId"]: r["level"] for r in sarif["runs"][0]["results"]}["PW101"] == "note"


def test_fail_on_from_the_file_and_the_command_line(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.pwlint]\nfail-on = "error"\n[tool.pwlint.severity]\nPW = "warning"\n')

    from_file = run_pwlint("check", "-q", cwd=root)
    overridden = run_pwlint("check", "-q", "--fail-on", "warning", cwd=root)

    assert from_file.returncode == 0, from_file.stdout  # warnings are reported but do not fail
    assert from_file.stdout.count("[warning]") == 3
    assert overridden.returncode == 1


def test_exclude_replaces_the_defaults_and_extend_exclude_adds(tmp_path: Path) -> None:
    files = {"build/gen.py": FAST_HASH, "generated/gen.py": FAST_HASH, "vendor/lib.py": FAST_HASH}
    default = project(tmp_path / "default", '[tool.pwlint]\nextend-exclude = ["vendor/"]\nselect = ["PW1"]\n', files)
    replaced = project(tmp_path / "replaced", '[tool.pwlint]\nexclude = ["generated/"]\nselect = ["PW1"]\n', files)

    paths_default = {path for path, _, _ in findings(check_json(default))}
    paths_replaced = {path for path, _, _ in findings(check_json(replaced, "--exclude", "vendor/"))}

    assert paths_default == {"shop/accounts.py", "generated/gen.py"}  # build/ is a default exclude
    assert paths_replaced == {"shop/accounts.py", "build/gen.py"}  # exclude replaced the defaults


def test_respect_gitignore_include_tests_and_force_exclude(tmp_path: Path) -> None:
    config = '[tool.pwlint]\nrespect-gitignore = false\ninclude-tests = true\nforce-exclude = true\nextend-exclude = ["old/"]\nselect = ["PW1"]\n'
    root = project(tmp_path, config, {".gitignore": "scratch/\n", "scratch/try.py": FAST_HASH,
                                      "tests/test_login.py": FAST_HASH, "old/hashing.py": FAST_HASH})

    scanned = {path for path, _, _ in findings(check_json(root))}
    named = check_json(root, "old/hashing.py")
    overridden = {path for path, _, _ in findings(check_json(root, "--no-include-tests", "--respect-gitignore"))}

    assert scanned == {"shop/accounts.py", "scratch/try.py", "tests/test_login.py"}
    assert findings(named) == []  # force-exclude applies the exclude to a named file
    assert overridden == {"shop/accounts.py"}


def test_profile_and_rule_folders_relative_to_the_file(tmp_path: Path) -> None:
    pickled = "import pickle\n\n\ndef save(user, password):\n    user.blob = pickle.dumps(password)\n"
    root = project(tmp_path, '[tool.pwlint]\nrules = ["lint/rules"]\nprofile = "asvs-5.0.0"\n',
                   {"lint/rules/XX901-pickled-password.yaml": PICKLE_RULE, "shop/store.py": pickled})

    proc = check_json(root / "shop")
    listed = run_pwlint("rules", cwd=root / "shop")

    document = json.loads(proc.stdout)
    assert document["profile"] == "asvs-5.0.0"
    assert ("shop/store.py", "XX901", "warning") in findings(proc)
    assert "XX901" in listed.stdout  # `pwlint rules` reads the configuration too


def test_warn_unused_ignores_key(tmp_path: Path) -> None:
    code = "import bcrypt\n\n\ndef store(user, password):\n    user.hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())  # pwlint: ignore[PW101]\n"
    root = project(tmp_path, "[tool.pwlint]\nwarn-unused-ignores = true\n", {"shop/accounts.py": code})

    on = check_json(root)
    off = check_json(root, "--no-warn-unused-ignores")

    assert findings(on) == [("shop/accounts.py", "PW000", "warning")]
    assert findings(off) == []


# -- --show-settings ----------------------------------------------------------------------------

def test_show_settings_names_each_values_origin(tmp_path: Path) -> None:
    config = """\
        [tool.pwlint]
        select = ["PW1", "PW5"]
        fail-on = "error"

        [tool.pwlint.per-file-ignores]
        "scripts/*" = ["PW5"]
        """
    root = project(tmp_path, config)

    proc = run_pwlint("check", "--show-settings", "--ignore", "PW501", "--profile", "asvs-5.0.0", cwd=root)

    assert proc.returncode == 0, proc.stderr
    settings = {line.split(" = ")[0]: line for line in proc.stdout.splitlines()}
    assert settings["config-file"].startswith(f'config-file = "{root / "pyproject.toml"}"')
    assert settings["root"].startswith(f'root = "{root}"')
    assert settings["select"].startswith('select = ["PW1", "PW5"] ') and settings["select"].endswith("# pyproject.toml:6")
    assert settings["ignore"].endswith("# --ignore") and '["PW501"]' in settings["ignore"]
    assert settings["per-file-ignores"].endswith("# pyproject.toml:9")
    assert settings["fail-on"].endswith("# pyproject.toml:7")
    assert settings["profile"].startswith('profile = "asvs-5.0.0"') and settings["profile"].endswith("# --profile")
    assert settings["include-tests"].startswith("include-tests = false") and settings["include-tests"].endswith("# default")
    assert "shop/accounts.py" not in proc.stdout  # nothing was scanned


# -- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("config", "where", "words"),
    [
        ('[tool.pwlint]\nselct = ["PW1"]\n', "pyproject.toml:6: selct:", ["unknown key", "did you mean 'select'"]),
        ('[tool.pwlint]\nselect = "PW1"\n', "pyproject.toml:6: select:", ["expected a list", '["PW1"]']),
        ('[tool.pwlint]\nselect = ["PW 1"]\n', "pyproject.toml:6: select:", ["rule id or id prefix"]),
        ('[tool.pwlint]\nignore = ["PW9"]\n', "pyproject.toml:6: ignore:", ["'PW9' matches no rule"]),
        ('[tool.pwlint]\nfail-on = "fatal"\n', "pyproject.toml:6: fail-on:", ["error, warning, note", '"fatal"']),
        ('[tool.pwlint]\ninclude-tests = "yes"\n', "pyproject.toml:6: include-tests:", ["true or false"]),
        ('[tool.pwlint]\nprofile = "owasp-1999"\n', "pyproject.toml:6: profile:", ["unknown profile 'owasp-1999'"]),
        ('[tool.pwlint]\nrules = ["no/such/dir"]\n', "pyproject.toml:6: rules:", ["no such folder 'no/such/dir'"]),
        ('[tool.pwlint.severity]\nPW101 = "critical"\n', "pyproject.toml:6: severity.PW101:", ['"critical"']),
        ('[tool.pwlint.per-file-ignores]\n"legacy/*" = "PW1"\n', 'pyproject.toml:6: per-file-ignores."legacy/*":',
         ["expected a list"]),
        ('[tool.pwlint.per-file-ignores]\n"*.py" = ["PW1"]\n"legacy/*" = ["PW9"]\n',
         'pyproject.toml:7: per-file-ignores."legacy/*":', ["'PW9' matches no rule"]),
        ('[tool.pwlint]\nselect = ["PW1"\nignore = []\n', "pyproject.toml:7:", ["invalid TOML"]),
    ],
    ids=["unknown-key", "string-not-list", "bad-selector", "selector-matches-nothing", "bad-fail-on", "not-boolean",
         "unknown-profile", "missing-rule-folder", "bad-severity", "bad-per-file-ignores",
         "per-file-selector-matches-nothing", "invalid-toml"],
)
def test_broken_configuration_exits_2_naming_file_line_and_key(tmp_path: Path, config: str, where: str,
                                                               words: list[str]) -> None:
    root = project(tmp_path, config)

    proc = run_pwlint("check", "--format", "sarif", "--output", "out.sarif", cwd=root)

    assert_config_error(proc, where, *words)
    assert not (root / "out.sarif").exists()


def test_pwlint_toml_keys_are_top_level(tmp_path: Path) -> None:
    root = project(tmp_path, '[tool.pwlint]\nselect = ["PW1"]\n', name="pwlint.toml")

    proc = run_pwlint("check", cwd=root)

    assert_config_error(proc, "pwlint.toml:1: tool:", "top level")


@pytest.mark.parametrize(("args", "where", "words"), [
    (["--config", "missing.toml"], "missing.toml:", ["cannot read"]),
    (["--config", "pyproject.toml"], "pyproject.toml:", ["no [tool.pwlint] table"]),
    (["--select", "PWX"], "--select:", ["'PWX' matches no rule"]),
    (["--config", "pyproject.toml", "--isolated"], "", []),
], ids=["missing-file", "no-table", "unknown-selector-flag", "config-and-isolated"])
def test_bad_configuration_on_the_command_line_exits_2(tmp_path: Path, args: list[str], where: str,
                                                       words: list[str]) -> None:
    root = project(tmp_path, "")

    proc = run_pwlint("check", *args, cwd=root)

    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    if where:
        assert_config_error(proc, where, *words)
    else:
        assert "not allowed with argument" in proc.stderr


def test_workflow_modules_do_not_import_libcst_or_yaml() -> None:
    """pre-commit runs pwlint on every commit: configuration, policy, baselines, fingerprints and
    the GitHub format must not pay for the parser (or the rule loader's YAML) when imported."""
    import os
    import sys

    from conftest import REPO

    code = ("import pwlint.config, pwlint.policy, pwlint.baseline, pwlint.fingerprints, pwlint.reporters.github, "
            "pwlint.suppressions, sys; print(' '.join(sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    modules = set(proc.stdout.split())
    assert not {m for m in modules if m.split(".")[0] in ("libcst", "yaml", "pathspec", "tomllib", "tomli")}
