"""Every built-in rule's own examples, one test case each: bad examples must produce the rule's
finding, good ones none.

The checking itself is `pwlint.selftest.check_rules` (what `pwlint test-rules` runs), handed a copy
of the rule that carries just the one example, so a failure names the rule, the kind and the
example number. The examples are what `pwlint explain` shows, so this proves the documentation.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from conftest import PICKLE_RULE, REPO, run_pwlint, write_tree
from pwlint.ruleset import Rule, builtin_rules_dir, load_profiles, load_rules
from pwlint.scan import DEFAULT_PROFILE
from pwlint.selftest import check_rules

RULES = load_rules([builtin_rules_dir()])
THRESHOLDS = load_profiles()[DEFAULT_PROFILE]

CASES = [
    pytest.param(rule, kind, index, id=f"{rule.id}-{kind}-{index + 1}")
    for rule in RULES
    for kind, examples in (("bad", rule.meta.bad_examples), ("good", rule.meta.good_examples))
    for index in range(len(examples))
]


def only_example(rule: Rule, kind: str, index: int) -> Rule:
    """The rule with its patterns intact and a single example of one kind."""
    examples = rule.meta.bad_examples if kind == "bad" else rule.meta.good_examples
    chosen = (examples[index],)
    meta = dataclasses.replace(rule.meta, bad_examples=chosen if kind == "bad" else (),
                               good_examples=chosen if kind == "good" else ())
    return dataclasses.replace(rule, meta=meta)


def test_builtin_rules_are_found() -> None:
    assert "PW101" in {rule.id for rule in RULES}
    assert all(rule.meta.bad_examples and rule.meta.good_examples for rule in RULES)


@pytest.mark.parametrize(("rule", "kind", "index"), CASES)
def test_example(rule: Rule, kind: str, index: int) -> None:
    failures = check_rules([only_example(rule, kind, index)], THRESHOLDS, DEFAULT_PROFILE)

    assert [str(failure) for failure in failures] == []


def test_check_rules_reports_a_failing_example() -> None:
    """The wrapper above must not make check_rules vacuous: a good example used as bad fails."""
    rule = next(rule for rule in RULES if rule.id == "PW101")
    swapped = dataclasses.replace(rule, meta=dataclasses.replace(
        rule.meta, bad_examples=rule.meta.good_examples[:1], good_examples=rule.meta.bad_examples[:1]))

    failures = check_rules([swapped], THRESHOLDS, DEFAULT_PROFILE)

    assert [(f.rule_id, f.kind, f.index) for f in failures] == [("PW101", "bad", 0), ("PW101", "good", 0)]
    assert failures[0].reason == "no finding"
    assert failures[1].reason.startswith("unexpected finding at line ")


# -- `pwlint test-rules` on a user's rule folder ------------------------------------------------

def test_test_rules_passes_on_a_valid_user_rule(tmp_path: Path) -> None:
    write_tree(tmp_path, {"rules/XX901-pickled-password.yaml": PICKLE_RULE})

    proc = run_pwlint("test-rules", "rules", cwd=tmp_path)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "1 rules, 4 examples, 0 failures"
    assert "FAIL" not in proc.stdout


def test_test_rules_fails_on_a_rule_that_misses_its_bad_example(tmp_path: Path) -> None:
    # The pattern names json.dumps, but the bad examples pickle: the rule is wrong, not the code.
    wrong = PICKLE_RULE.replace("call: [pickle.dumps, pickle.dump, marshal.dumps, marshal.dump]", "call: json.dumps")
    assert wrong != PICKLE_RULE
    write_tree(tmp_path, {"rules/XX901-pickled-password.yaml": wrong})

    proc = run_pwlint("test-rules", "rules", cwd=tmp_path)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL XX901: bad example 1: no finding" in proc.stdout.splitlines()
    assert "FAIL XX901: bad example 2: no finding" in proc.stdout.splitlines()
    assert proc.stdout.splitlines()[-1] == "1 rules, 4 examples, 2 failures"


def test_test_rules_fails_on_a_rule_that_flags_its_good_example(tmp_path: Path) -> None:
    # Without its `where`, the rule flags every pickle.dumps, including the good examples.
    wrong = PICKLE_RULE.replace("    where:\n      - arg: {pos: 0, kw: obj}\n        is: password\n", "")
    assert wrong != PICKLE_RULE
    write_tree(tmp_path, {"rules/XX901-pickled-password.yaml": wrong})

    proc = run_pwlint("test-rules", "rules", cwd=tmp_path)

    assert proc.returncode == 1, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(":")[1].strip() for line in lines if line.startswith("FAIL")] == [
        "good example 1", "good example 2"]
    assert lines[0].startswith("FAIL XX901: good example 1: unexpected finding at line 4: ")


def test_test_rules_on_a_broken_rule_exits_2(tmp_path: Path) -> None:
    write_tree(tmp_path, {"rules/XX901-pickled-password.yaml": PICKLE_RULE.replace("severity: warning", "severity: high")})

    proc = run_pwlint("test-rules", "rules", cwd=tmp_path)

    assert proc.returncode == 2
    assert "XX901-pickled-password.yaml:4: severity: must be one of error, warning, note" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_test_rules_defaults_to_the_builtin_rules(tmp_path: Path) -> None:
    proc = run_pwlint("test-rules", cwd=tmp_path)

    assert proc.returncode == 0, proc.stdout
    assert proc.stdout.splitlines()[-1].startswith(f"{len(RULES)} rules, ")


def test_the_readme_rule_example_passes_test_rules(tmp_path: Path) -> None:
    """The user-rule example in README.md is a working rule."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```yaml\n(.*?)^```", readme, re.M | re.S)
    [example] = [block for block in blocks if block.startswith("id: ")]
    write_tree(tmp_path, {"rules/example.yaml": example})

    proc = run_pwlint("test-rules", "rules", cwd=tmp_path)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "1 rules, 2 examples, 0 failures"
