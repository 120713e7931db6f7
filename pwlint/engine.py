"""Evaluate rules over one module of the project and produce findings.

The walk happens once per file (`names.build_model`); here every collected site is offered to the
patterns of its kind, across all rules, so no work is repeated per rule. The `Program` answers
questions that cross files (where a parameter's value comes from, what a helper returns).
Positions are the costly part of libcst metadata, so they are computed only for files that have a
match or that a reported flow passes through, and a file's sites meet only the patterns whose
tokens the file holds (`prefilter.may_match_here`): two thirds of the tries on Django.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Sequence

import libcst as cst

from pwlint.findings import Finding, FlowStep, Observation, Region
from pwlint.matching import Context, Pattern, receiver_call
from pwlint.names import ModuleModel, Site, terminal_name
from pwlint.passwords import Flow, PasswordOracle
from pwlint.prefilter import Vocabulary, may_match_here
from pwlint.program import Program
from pwlint.ruleset import Observer, Rule


@dataclass(frozen=True)
class Match:
    """A pattern that held at a node, before positions are known."""

    rule: Rule
    pattern: Pattern
    node: cst.CSTNode
    statement: Optional[cst.CSTNode]
    captures: Mapping[str, Any]
    site: Site
    observer: Optional[Observer] = None


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
        self._findings = _PatternIndex((rule, pattern, None) for rule in self.rules for pattern in rule.patterns)
        self._observers = _PatternIndex((rule, observer.pattern, observer)
                                        for rule in self.rules for observer in rule.observers)

    @property
    def patterns(self) -> list[Pattern]:
        return [pattern for rule in self.rules for pattern in rule.patterns]

    @property
    def observer_patterns(self) -> list[Pattern]:
        return [observer.pattern for rule in self.rules for observer in rule.observers]

    def evaluate(self, model: ModuleModel, program: Program,
                 observations: Optional[list[Observation]] = None) -> list[Located]:
        """Findings whose rule site is in this module (a finding may be placed in a caller's module).
        Evidence of compliant sites is appended to `observations` only when a list is given, so
        `pwlint check` never pays for observer patterns."""
        lowered = "\n".join(model.lines).lower().encode("utf-8", "replace")
        if observations is not None:
            observed = self._collect(model, program, self._observers.narrowed(lowered))
            observations.extend(self._observation(model, program, match) for match in observed)
        found = self._collect(model, program, self._findings.narrowed(lowered))
        return [located for match in found for located in self._locate_each(model, program, match)]

    def _locate_each(self, model: ModuleModel, program: Program, match: Match) -> list[Located]:
        """A match reached through a helper is reported at every call that hands the helper a
        password (`PasswordOracle.handed_over`), each under the name it has there."""
        flow: Optional[Flow] = match.captures.get("_flow")
        if flow is None:
            return [self._locate(model, program, match, None)]
        return [self._locate(model, program, match, each) for each in program.oracle(model).handed_over(flow)
                if each is flow or not self._exempt(model, program, match, each)]

    def _exempt(self, model: ModuleModel, program: Program, match: Match, flow: Flow) -> bool:
        """Whether the match is no fault for another call that hands its helper a password."""
        ctx = self._context(model, program.oracle(model), program, match.site)
        ctx.captures = {**match.captures, "_flow": flow}
        return match.pattern.exempts_handed(match.site, ctx)

    def _context(self, model: ModuleModel, oracle: PasswordOracle, program: Program, site: Site) -> Context:
        return Context(model, oracle, site.scope, self.thresholds, statement=site.statement, site=site, program=program)

    def _collect(self, model: ModuleModel, program: Program, index: "_PatternIndex") -> list[Match]:
        """One match per rule and node; an observer's evidence is kept apart from its rule's others."""
        matches: list[Match] = []
        seen: set[tuple[str, int, int]] = set()
        oracle = program.oracle(model)
        for site in model.sites:
            ctx = self._context(model, oracle, program, site)
            for rule, pattern, observer in index.candidates(site, model):
                match = self._try(rule, pattern, observer, site, ctx)
                if match is None:
                    continue
                key = (rule.id, id(match.node), id(observer))
                if key not in seen:
                    seen.add(key)
                    matches.append(match)
        return matches

    def _try(self, rule: Rule, pattern: Pattern, observer: Optional[Observer], site: Site,
             ctx: Context) -> Optional[Match]:
        ctx.call, ctx.captures = None, {}  # one context per site, fresh for each pattern
        if not pattern.matches(site, ctx):
            return None
        node, statement = _report_node(pattern, site, ctx), site.statement
        setting = _own_setting(site, ctx) if pattern.report_at == "node" else None
        if setting is not None:
            node, statement = setting.value, setting.statement
        return Match(rule, pattern, node, statement, ctx.captures, site, observer)

    def _observation(self, model: ModuleModel, program: Program, match: Match) -> Observation:
        assert match.observer is not None and match.pattern.message is not None
        region = _region(program.positions(model)[match.node])
        message = _format(match.pattern.message, match.captures, self)
        snippet = "\n".join(model.lines[region.start_line - 1:region.end_line])
        return Observation(model.path, region, match.rule.id, message, match.observer.standards, snippet,
                           _secrets(match, program.positions(model)))

    def _locate(self, model: ModuleModel, program: Program, match: Match, flow: Optional[Flow]) -> Located:
        """Place a match. A password handed into a helper is reported where it was handed over: the
        helper may be right for other data (a hash for ETags), the caller's use of it is the fault."""
        sink = FlowStep(model.path, _region(program.positions(model)[match.node]),
                        f"reaches `{match.captures['callee']}`" if "callee" in match.captures else "reaches the finding")
        at, node, statement = model, match.node, match.statement
        entry = flow.steps[flow.entry] if flow is not None and flow.entry is not None else None
        if entry is not None:
            at, node, statement = entry.model, entry.node, program.statement_of(entry.model, entry.node)
        positions = program.positions(at)
        region = _region(positions[node])
        statement_line = positions.start_line(statement) if statement in positions else region.start_line
        severity = match.pattern.severity or match.rule.meta.severity
        own = flow is match.captures.get("_flow")  # another call into the same helper goes by its own name
        captures = match.captures if own or flow is None else {**match.captures, "password": flow.name}
        message = _format(match.pattern.message or match.rule.meta.message, _named(captures, model), self)
        snippet = "\n".join(at.lines[region.start_line - 1:region.end_line])
        steps = _flow_steps(flow, program) + (sink,) if flow is not None and len(flow.steps) > 1 else ()
        secrets = _secrets(match, positions) if at is model else ()  # they lie in the match's own file
        finding = Finding(at.path, region, match.rule.id, severity, message, snippet, flow=steps, secrets=secrets)
        return Located(finding, statement_line)


_Entry = tuple[Rule, Pattern, Optional[Observer]]  # an observer's pattern carries its Observer; a rule's, None


class _PatternIndex:
    """Patterns by site kind, and call patterns also by the callee's last name, plus those whose
    globs leave it open, so a call is offered only to the patterns that can name it."""

    def __init__(self, entries: Iterable[_Entry], vocabulary: Optional[Vocabulary] = None) -> None:
        self._entries = list(entries)
        self._vocabulary = vocabulary or Vocabulary.of(entry[1] for entry in self._entries)
        self._by_kind: dict[str, list[_Entry]] = {}
        self._calls_named: dict[str, list[_Entry]] = {}
        self._calls_open: list[_Entry] = []
        for entry in self._entries:
            pattern = entry[1]
            self._by_kind.setdefault(pattern.kind, []).append(entry)
            if pattern.kind == "call" and pattern.callee_names is not None:
                for name in pattern.callee_names:
                    self._calls_named.setdefault(name, []).append(entry)
            elif pattern.kind == "call":
                self._calls_open.append(entry)

    def narrowed(self, lowered: bytes) -> "_PatternIndex":
        """The index of the patterns that can match in a file of this (lower-cased) source."""
        holdings = self._vocabulary.holdings(lowered)
        return _PatternIndex((entry for entry in self._entries if may_match_here(entry[1], holdings)),
                             self._vocabulary)

    def candidates(self, site: Site, model: ModuleModel) -> list[_Entry]:
        """The patterns a site may match: for a call, those whose callee names include its last name
        as written or as resolved (`from pickle import dumps as serialise`)."""
        if site.kind != "call":
            return self._by_kind.get(site.kind, [])
        assert isinstance(site.node, cst.Call)
        qualified = model.qualified_name(site.node.func, site.scope) or ""
        names = {terminal_name(site.node.func), qualified.rsplit(".", 1)[-1].replace("()", "")}
        named = [entry for name in names if name for entry in self._calls_named.get(name, [])]
        return named + self._calls_open


def _region(span: Any) -> Region:
    return Region(span.start.line, span.start.column + 1, span.end.line, span.end.column + 1)


def _secrets(match: Match, positions: Any) -> tuple[Region, ...]:
    """Where the contents of the literals a pattern redacts lie: inside the quotes and prefix, so a
    masked snippet still reads as a string."""
    regions = set()
    for literal in match.captures.get("_secrets", ()):
        opening, closing = _quotes(literal)
        span = positions[literal]
        regions.add(Region(span.start.line, span.start.column + 1 + len(opening),
                           span.end.line, span.end.column + 1 - len(closing)))
    return tuple(sorted(regions))


def _quotes(literal: cst.CSTNode) -> tuple[str, str]:
    """A literal's prefix and opening quote, and its closing quote: `rb'''` and `'''`."""
    if isinstance(literal, cst.FormattedString):
        return literal.start, literal.end
    assert isinstance(literal, cst.SimpleString)
    return literal.prefix + literal.quote, literal.quote


def _flow_steps(flow: Flow, program: Program) -> tuple[FlowStep, ...]:
    return tuple(FlowStep(step.model.path, _region(program.positions(step.model)[step.node]), step.note)
                 for step in flow.steps)


def _report_node(pattern: Pattern, site: Site, ctx: Context) -> cst.CSTNode:
    """Where a finding points: the site, the value bound there, or where a receiver was created."""
    if pattern.report_at == "value" and site.value is not None:
        return site.value
    origin = receiver_call(site.node, ctx) if pattern.report_at == "receiver" else None
    return origin or site.node


def _own_setting(site: Site, ctx: Context) -> Optional[Site]:
    """The assignment in a class body of the number a match compared, when a method reads it from
    its own class (`memory_cost=self.memory_cost` in Django's `Argon2PasswordHasher`): `memory_cost
    = 512` is the setting to change, and where a reader looks for it."""
    compared = ctx.captures.get("_compared")
    if not isinstance(compared, cst.Attribute) or not isinstance(compared.value, cst.Name):
        return None
    owner = site.scope.instance_class(compared.value.value)
    values = owner.assignments.get(compared.attr.value, []) if owner is not None else []
    if len(values) != 1:
        return None
    return next((bind for bind in ctx.model.sites if bind.kind == "bind" and bind.value is values[0]), None)


class _Template(string.Formatter):
    """Fills `{name}` from captures; unknown fields stay as written rather than failing a scan."""

    def get_value(self, key: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key in kwargs:
            return kwargs[key]
        return "{" + str(key) + "}"


def _named(captures: Mapping[str, Any], model: ModuleModel) -> Mapping[str, Any]:
    """A store under a key known only at run time has no name: its code names it in the message
    (`connections[conn.conn_id]`), computed here, for matches only."""
    target = captures.get("_target")
    if captures.get("name") != "" or target is None:
        return captures
    return {**captures, "name": model.module.code_for_node(target).strip()}


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
