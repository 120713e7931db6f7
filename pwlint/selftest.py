"""Run every rule's own examples: each bad example must produce the rule's finding, each good one none,
and each observed example evidence from one of the rule's `observe` patterns and no finding.

The examples are what `pwlint explain` shows, so a user reading one knows it was proven. The
prefilter is applied too, with its slicing: a bad example it would skip, or whose finding it would
blank out, means the rule's tokens are wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Mapping

from pwlint.findings import FileProblem, Observation
from pwlint.prefilter import Prefilter
from pwlint.ruleset import Rule

if TYPE_CHECKING:
    from pwlint.engine import Engine


@dataclass(frozen=True)
class ExampleFailure:
    rule_id: str
    kind: str  # "bad", "good" or "observed"
    index: int
    reason: str

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.kind} example {self.index + 1}: {self.reason}"


def check_rules(rules: Iterable[Rule], thresholds: Mapping[str, object], profile: str) -> list[ExampleFailure]:
    from pwlint.engine import Engine  # libcst comes with it: imported only when examples run

    failures = []
    for rule in rules:
        engine = Engine([rule], thresholds, profile)
        prefilter = Prefilter(engine.patterns)
        kinds = (("bad", rule.meta.bad_examples), ("good", rule.meta.good_examples),
                 ("observed", rule.meta.observed_examples))
        for kind, examples in kinds:
            for index, code in enumerate(examples):
                reason = _check(kind, code, rule, engine, prefilter)
                if reason:
                    failures.append(ExampleFailure(rule.id, kind, index, reason))
    return failures


def _check(kind: str, code: str, rule: Rule, engine: "Engine", prefilter: Prefilter) -> str:
    from pwlint.scan import analyse

    data = code.encode("utf-8")
    path = f"<{rule.id} {kind} example>"
    observations: list[Observation] = []
    # analysed without the prefilter, which is checked on its own below for a clearer failure
    outcome = analyse(path, data, engine, Prefilter([], enabled=False), observations)
    if isinstance(outcome, FileProblem):
        return f"does not parse: {outcome.message} (line {outcome.line})"
    hits = [f for f in outcome or [] if f.rule_id == rule.id and not f.suppressed]
    if kind != "bad":
        unexpected = "; ".join(f"unexpected finding at line {f.region.start_line}: {f.message}" for f in hits)
        if kind == "observed" and not unexpected:
            if not observations:
                return "no observation"
            if not Prefilter(engine.observer_patterns).may_match(data):
                return "the prefilter skips this example: the observe patterns' tokens do not cover it"
        return unexpected
    if not hits:
        return "no finding"
    if not prefilter.may_match(data):
        return "the prefilter skips this example: the rule's tokens do not cover it"
    sliced = analyse(path, data, engine, prefilter)
    if not isinstance(sliced, list) or [f for f in sliced if f.rule_id == rule.id and not f.suppressed] != hits:
        return "slicing loses this example's finding: the rule's tokens do not cover the definition it is in"
    return ""
