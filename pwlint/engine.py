"""Evaluate rules over one parsed file and produce findings.

The walk happens once (`names.build_model`); here every collected site is offered to the
patterns of its kind, across all rules, so no work is repeated per rule. Positions are the costly
part of libcst metadata, so they are computed only for files that have a match, and only the
reported nodes and their statements are looked up.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from pwlint.findings import Finding, Region
from pwlint.matching import Context, Pattern
from pwlint.names import Site, build_model
from pwlint.parsing import SourceFile
from pwlint.passwords import PasswordOracle
from pwlint.ruleset import Rule


@dataclass(frozen=True)
class Match:
    """A pattern that held at a node, before positions are known."""

    rule: Rule
    pattern: Pattern
    node: cst.CSTNode
    statement: Optional[cst.CSTNode]
    captures: Mapping[str, Any]


@dataclass(frozen=True)
class Located:
    """A finding plus the first line of its statement (where suppression comments may also sit)."""

    finding: Finding
    statement_line: int


class Engine:
    """The loaded rules, indexed by site kind, with the active profile's thresholds."""

    def __init__(self, rules: Sequence[Rule], thresholds: Mapping[str, Any], profile: str) -> None:
        self.rules = list(rules)
        self.thresholds = thresholds
        self.profile = profile
        self._by_kind: dict[str, list[tuple[Rule, Pattern]]] = {}
        for rule in self.rules:
            for pattern in rule.patterns:
                self._by_kind.setdefault(pattern.kind, []).append((rule, pattern))

    @property
    def patterns(self) -> list[Pattern]:
        return [pattern for rule in self.rules for pattern in rule.patterns]

    def evaluate(self, source: SourceFile) -> list[Located]:
        module = source.module
        assert isinstance(module, cst.Module)
        model = build_model(module)
        oracle = PasswordOracle(model)
        matches: list[Match] = []
        seen: set[tuple[str, int]] = set()
        for site in model.sites:
            for rule, pattern in self._by_kind.get(site.kind, ()):
                match = self._try(rule, pattern, site, model, oracle)
                if match is not None and (rule.id, id(match.node)) not in seen:
                    seen.add((rule.id, id(match.node)))
                    matches.append(match)
        return self._locate(source, module, matches) if matches else []

    def _try(self, rule: Rule, pattern: Pattern, site: Site, model: Any, oracle: PasswordOracle) -> Optional[Match]:
        ctx = Context(model, oracle, site.scope, self.thresholds, statement=site.statement)
        if not pattern.matches(site, ctx):
            return None
        node = _report_node(pattern, site, ctx)
        return Match(rule, pattern, node, site.statement, ctx.captures)

    def _locate(self, source: SourceFile, module: cst.Module, matches: list[Match]) -> list[Located]:
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        lines = source.lines
        located = []
        for match in matches:
            span = positions[match.node]
            region = Region(span.start.line, span.start.column + 1, span.end.line, span.end.column + 1)
            statement_line = positions[match.statement].start.line if match.statement in positions else region.start_line
            severity = match.pattern.severity or match.rule.meta.severity
            message = _format(match.pattern.message or match.rule.meta.message, match.captures, self)
            snippet = "\n".join(lines[region.start_line - 1:region.end_line])
            finding = Finding(source.path, region, match.rule.id, severity, message, snippet)
            located.append(Located(finding, statement_line))
        return sorted(located, key=lambda item: item.finding)


def _report_node(pattern: Pattern, site: Site, ctx: Context) -> cst.CSTNode:
    """Where a finding points: the site, the value bound there, or where a receiver was created."""
    if pattern.report_at == "value" and site.value is not None:
        return site.value
    node = site.node
    if pattern.report_at == "receiver" and isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        origin = ctx.resolve(node.func.value)
        if isinstance(origin, cst.Call):
            return origin
    return node


class _Template(string.Formatter):
    """Fills `{name}` from captures; unknown fields stay as written rather than failing a scan."""

    def get_value(self, key: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key in kwargs:
            return kwargs[key]
        return "{" + str(key) + "}"


def _format(template: str, captures: Mapping[str, Any], engine: Engine) -> str:
    values = {key: _show(value) for key, value in captures.items() if not key.startswith("_")}
    values["profile"] = engine.profile
    try:
        return _Template().format(template, **values)
    except (ValueError, IndexError):
        return template


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, int) and not isinstance(value, bool) and value >= 10000:
        return f"{value:,}"
    return str(value)
