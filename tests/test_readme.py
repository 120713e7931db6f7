"""The README's promises about workflows stay true: every `check` option and configuration key is
documented, and the snippets a user pastes (configuration, pre-commit, GitHub workflow) work."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml

from conftest import REPO
from pwlint import cli, config

README = (REPO / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def _check_parser() -> argparse.ArgumentParser:
    commands = next(a for a in cli._parser()._actions if isinstance(a, argparse._SubParsersAction))
    return commands.choices["check"]


def test_every_check_option_is_documented() -> None:
    flags = {flag for action in _check_parser()._actions for flag in action.option_strings
             if flag.startswith("--") and flag != "--help"}
    undocumented = {flag for flag in flags if f"`{flag}" not in README and f"--[no-]{flag[5:]}" not in README}
    assert undocumented == set()


def test_every_configuration_key_is_documented() -> None:
    rows = set(re.findall(r"^\| `([a-z-]+)` \|", README, re.M))
    assert set(config._KEYS) <= rows


def test_every_exit_code_is_documented() -> None:
    table = README[README.index("### Exit codes"):README.index("## Configuration")]
    assert re.findall(r"^\| (\d+) \|", table, re.M) == ["0", "1", "2", "130"]


def test_configuration_example_is_valid(tmp_path: Path) -> None:
    [example] = [block for block in _blocks("toml") if "[tool.pwlint]" in block]
    (tmp_path / "lint" / "pwlint-rules").mkdir(parents=True)
    (tmp_path / "pyproject.toml").write_text(example, encoding="utf-8")

    found = config.read_config(tmp_path / "pyproject.toml")

    assert found is not None and set(found.values) <= set(config._KEYS)


def test_pre_commit_snippet_names_the_hook() -> None:
    [snippet] = [block for block in _blocks("yaml") if "repos:" in block]
    hooks = {hook["id"] for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}

    [repo] = yaml.safe_load(snippet)["repos"]
    assert repo["repo"] == "https://github.com/pwlint/pwlint"
    assert [hook["id"] for hook in repo["hooks"]] == ["pwlint"]
    assert {"pwlint"} <= hooks


def test_github_workflow_uses_the_actions_inputs_with_the_permissions_upload_needs() -> None:
    [workflow] = [yaml.safe_load(block) for block in _blocks("yaml") if "jobs:" in block]
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))

    job = workflow["jobs"]["pwlint"]
    assert job["permissions"]["security-events"] == "write"
    [step] = [step for step in job["steps"] if step.get("uses", "").startswith("pwlint/pwlint@")]
    assert set(step["with"]) <= set(action["inputs"])
    table = README[README.index("| Input | Default | Meaning |"):].split("\n\n")[0]
    assert re.findall(r"^\| `([a-z-]+)` \|", table, re.M) == list(action["inputs"])


def test_rule_documentation_is_current_and_every_help_uri_lands_on_it(capsys) -> None:
    """SARIF `helpUri`s point into docs/rules.md; a rule edited without regenerating it would
    send reviewers to stale text."""
    assert cli.main(["rules", "--format", "md", "--isolated"]) == 0
    generated = capsys.readouterr().out
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == generated, \
        "docs/rules.md is stale: run `pwlint rules --format md > docs/rules.md`"
    from pwlint.ruleset import builtin_rules_dir, load_rules

    for rule in load_rules([builtin_rules_dir()]):
        assert rule.meta.help_uri.endswith(f"docs/rules.md#{rule.id.lower()}")
        assert f"\n## {rule.id}\n" in generated
