"""Load rules and threshold profiles from YAML, validated before any file is scanned.

A rule file holds one rule: its identity and documentation (what reporters show) and its `match`
patterns (what `matching` compiles). Built-in rules live in the top-level `rules/` folder, which
the wheel carries as `pwlint/rules`; `--rules DIR` adds user folders in the same format.
Every error names the file, the line and the key, so a broken rule is fixed in one look.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional

import yaml

from pwlint.findings import SEVERITIES, RuleMeta
from pwlint.matching import COMPARISONS, Pattern, SpecError, compile_pattern, line_of, threshold_named

STANDARDS = ("asvs-4.0.3", "asvs-5.0.0", "nist-800-63b-3", "nist-800-63b-4", "pci-dss-4.0.1",
             "mlps-2.0-l2", "mlps-2.0-l3", "gbt-39786-2021-l2", "gbt-39786-2021-l3")
PRECISIONS = ("very-high", "high", "medium", "low")
_DEFAULT_SECURITY_SEVERITY = {"error": 8.0, "warning": 5.5, "note": 2.0}
_ID = re.compile(r"^[A-Z]{2,}\d{3}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

_REQUIRED = ("id", "name", "message", "severity", "category", "cwe", "summary", "why", "fix", "examples", "match")
_OPTIONAL = ("precision", "security-severity", "standards", "references", "observe", "aliases")
_ALIAS = re.compile(r"^[A-Z]+[0-9]+$")  # Ruff's and flake8's `S105`, Bandit's `B105`


class RuleError(Exception):
    """A rule or profile file that cannot be used; formatted as `file:line: key: message`."""

    def __init__(self, path: Path | str, line: int, key: str, message: str) -> None:
        self.path, self.line, self.key = str(path), line, key
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")


@dataclass(frozen=True)
class Observer:
    """A pattern for a compliant site; where it matches, the rule records evidence, never a finding.
    `standards` are the controls that evidence supports (the rule's own unless the pattern narrows them)."""

    pattern: Pattern
    standards: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Rule:
    """A rule as the engine runs it: reporter-facing metadata plus compiled patterns."""

    meta: RuleMeta
    patterns: tuple[Pattern, ...]
    observers: tuple[Observer, ...] = ()
    thresholds: tuple[tuple[str, int], ...] = ()  # the profile thresholds it compares with, and their lines

    @property
    def id(self) -> str:
        return self.meta.id

    def cited(self) -> dict[str, set[str]]:
        """Every control this rule can speak to, through findings or evidence, by standard."""
        cited: dict[str, set[str]] = {}
        for mapping in (self.meta.standards, *(o.standards for o in self.observers)):
            for standard, ids in mapping.items():
                cited.setdefault(standard, set()).update(ids)
        return cited


LISTS_FILE = "lists.yaml"


# -- YAML with line numbers --------------------------------------------------------------------

class _LineDict(dict):  # type: ignore[type-arg]
    """A mapping that remembers the line of itself and of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]


# A rule file may hold this many values once its aliases are expanded. The largest built-in rule
# holds about a thousand; nine nested aliases of nine items each ("billion laughs") hold a billion,
# which compiling would walk one by one.
MAX_EXPANDED_VALUES = 100_000


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (no object construction from tags), in C where PyYAML has libyaml (fifteen times
    faster: loading the rules was most of a small scan's start-up), that records line numbers and
    refuses a document whose aliases (`*name`, which rules use to share a list within a file)
    expand it beyond `MAX_EXPANDED_VALUES`. An alias costs nothing to load, since it points at the
    node it names; the cost comes later, from everything that walks the rule as a tree."""

    def get_single_node(self) -> Any:
        node = super().get_single_node()
        if node is not None:
            _expanded_size(node, {}, set())
        return node


def _expanded_size(node: yaml.Node, sizes: dict[int, int], composing: set[int]) -> int:
    """The values in `node` with aliases expanded, each shared node counted once per use."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in composing:
        raise yaml.composer.ComposerError(None, None, "an alias (*name) inside the value it names", node.start_mark)
    composing.add(id(node))
    size = 1 + sum(_expanded_size(child, sizes, composing) for child in _children(node))
    composing.discard(id(node))
    if size > MAX_EXPANDED_VALUES:
        raise yaml.composer.ComposerError(None, None, f"this value expands to more than {MAX_EXPANDED_VALUES:,} "
                                          "values through aliases (*name)", node.start_mark)
    sizes[id(node)] = size
    return size


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [item for pair in node.value for item in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> _LineDict:
    mapping = _LineDict()
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=True)
        if isinstance(key, str):
            mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RuleError(path, 0, "", f"cannot read: {error}") from None
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        raise RuleError(path, mark.line + 1 if mark else 0, "", f"invalid YAML: {problem}") from None
    except RecursionError:
        raise RuleError(path, 0, "", "invalid YAML: nested too deeply") from None


# -- rules -------------------------------------------------------------------------------------

def builtin_rules_dir() -> Path:
    """`pwlint/rules` in an installed wheel; the repository's top-level `rules/` in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "rules"
    return packaged if packaged.is_dir() else here.parent / "rules"


def rule_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.y*ml") if p.suffix in (".yaml", ".yml") and p.name != LISTS_FILE)


def load_rules(directories: Iterable[Path]) -> list[Rule]:
    """All rules from the given folders, sorted by id. Raises RuleError on the first bad file."""
    directories = list(directories)
    lists = load_lists(directories)
    rules: dict[str, Rule] = {}
    for directory in directories:
        for path in rule_files(directory):
            rule = load_rule(path, lists)
            if rule.id in rules:
                raise RuleError(path, line_of(load_yaml(path), "id"), "id",
                                f"duplicate rule id {rule.id} (also in {rules[rule.id].meta.source})")
            rules[rule.id] = rule
    return [rules[key] for key in sorted(rules)]


def load_lists(directories: Iterable[Path]) -> dict[str, list[str]]:
    """Named name lists (`@sql-execute`) from each folder's `lists.yaml`, shared by the rules that
    look at the same sinks, so a new database driver is added in one place."""
    lists: dict[str, list[str]] = {}
    for directory in directories:
        if not directory.is_dir():
            raise RuleError(directory, 0, "", "rule folder not found")
        path = directory / LISTS_FILE
        if not path.is_file():
            continue
        raw = load_yaml(path)
        if not isinstance(raw, Mapping):
            raise RuleError(path, line_of(raw), "", "a lists file maps names to lists of names")
        for name, items in raw.items():
            if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
                raise RuleError(path, line_of(raw, name), str(name), "a list holds names (strings)")
            if name in lists:
                raise RuleError(path, line_of(raw, name), str(name), "list defined twice")
            lists[str(name)] = items
    return lists


def load_rule(path: Path, lists: Optional[Mapping[str, list[str]]] = None) -> Rule:
    raw = load_yaml(path)
    if not isinstance(raw, Mapping):
        raise RuleError(path, line_of(raw), "", "a rule file holds one mapping")
    try:
        if "match" in raw:  # only name lists are expanded: examples may well start with a decorator
            raw["match"] = _expand(raw["match"], lists or {}, "match", line_of(raw, "match"))
        return _build_rule(raw, path)
    except SpecError as error:
        raise RuleError(path, error.line, error.key, str(error)) from None
    except RecursionError:
        raise RuleError(path, line_of(raw), "", "nested too deeply") from None


def _expand(raw: Any, lists: Mapping[str, list[str]], key: str = "", line: int = 0) -> Any:
    """Replace `@name` in a list (or as a whole value) by the named list's items."""
    if isinstance(raw, Mapping):
        for child in list(raw):
            raw[child] = _expand(raw[child], lists, str(child), line_of(raw, child))
        return raw
    if isinstance(raw, str) and raw.startswith("@"):
        return _list(raw, lists, key, line)
    if isinstance(raw, list):
        expanded: list[Any] = []
        for item in raw:
            if isinstance(item, str) and item.startswith("@"):
                expanded += _list(item, lists, key, line)
            else:
                expanded.append(_expand(item, lists, key, line))
        return expanded
    return raw


def _list(reference: str, lists: Mapping[str, list[str]], key: str, line: int) -> list[str]:
    if reference[1:] not in lists:
        raise SpecError(f"unknown list {reference!r} (defined in {LISTS_FILE}: {', '.join(sorted(lists)) or 'none'})",
                        key, line)
    return list(lists[reference[1:]])


def _build_rule(raw: Mapping[str, Any], path: Path) -> Rule:
    for key in _REQUIRED:
        if key not in raw:
            raise SpecError(f"required key missing (required: {', '.join(_REQUIRED)})", key, line_of(raw))
    unknown = set(raw) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        key = sorted(unknown)[0]
        raise SpecError("unknown key", key, line_of(raw, key))
    rule_id = _text(raw, "id")
    if not _ID.match(rule_id):
        raise SpecError("an id is capital letters and three digits, e.g. PW101", "id", line_of(raw, "id"))
    name = _text(raw, "name")
    if not _NAME.match(name):
        raise SpecError("a name is kebab-case, e.g. fast-hash-password", "name", line_of(raw, "name"))
    severity = _choice(raw, "severity", SEVERITIES)
    bad, good, observed = _examples(raw)
    patterns = raw["match"]
    if not isinstance(patterns, list) or not patterns:
        raise SpecError("`match` is a non-empty list of patterns", "match", line_of(raw, "match"))
    meta = RuleMeta(
        id=rule_id,
        name=name,
        message=_text(raw, "message"),
        severity=severity,
        precision=_choice(raw, "precision", PRECISIONS, default="high"),
        category=_text(raw, "category"),
        cwe=_cwes(raw),
        standards=_standards(raw),
        summary=_text(raw, "summary"),
        why=_text(raw, "why"),
        fix=_text(raw, "fix"),
        references=_strings(raw, "references"),
        bad_examples=bad,
        good_examples=good,
        observed_examples=observed,
        security_severity=_security_severity(raw, severity),
        source=str(path),
        aliases=_aliases(raw),
    )
    observers = _observers(raw, meta.standards)
    if bool(observers) != bool(observed):
        raise SpecError("a rule with `observe` patterns needs `examples: observed:`, and only such a rule has them",
                        "observe" if observers else "observed", line_of(raw, "observe") or line_of(raw, "examples"))
    return Rule(meta, tuple(compile_pattern(p) for p in patterns), observers,
                tuple(_thresholds_named([raw["match"], raw.get("observe", [])])))


def _aliases(raw: Mapping[str, Any]) -> tuple[str, ...]:
    aliases = _strings(raw, "aliases")
    wrong = [alias for alias in aliases if not _ALIAS.match(alias)]
    if wrong:
        raise SpecError(f"an alias is another linter's code, capital letters and digits (not {wrong[0]!r})", "aliases",
                        line_of(raw, "aliases"))
    return aliases


def _thresholds_named(spec: Any) -> Iterator[tuple[str, int]]:
    """`$name` and `{threshold: name}` in comparisons (`lt`, `le`, `gt`, `ge`), with their lines:
    what the active profile must define, else the comparison could never hold."""
    if isinstance(spec, Mapping):
        for key, value in spec.items():
            if key in COMPARISONS:
                name = threshold_named(value)
                if name is not None:
                    yield name, line_of(spec, key)
            else:
                yield from _thresholds_named(value)
    elif isinstance(spec, list):
        for item in spec:
            yield from _thresholds_named(item)


def _observers(raw: Mapping[str, Any], standards: Mapping[str, tuple[str, ...]]) -> tuple[Observer, ...]:
    """`observe:` patterns; each needs a `message` (the evidence, as an auditor reads it)."""
    specs = raw.get("observe", [])
    if not isinstance(specs, list) or ("observe" in raw and not specs):
        raise SpecError("`observe` is a non-empty list of patterns", "observe", line_of(raw, "observe"))
    observers = []
    for spec in specs:
        if not isinstance(spec, Mapping) or not isinstance(spec.get("message"), str):
            raise SpecError("an `observe` pattern needs a `message` stating the evidence", "message", line_of(spec))
        pattern = _LineDict({k: v for k, v in spec.items() if k != "standards"})
        pattern.line, pattern.key_lines = line_of(spec), getattr(spec, "key_lines", {})
        own = _standards(spec) if "standards" in spec else standards
        observers.append(Observer(compile_pattern(pattern), own))
    return tuple(observers)


def _text(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SpecError("must be a non-empty string", key, line_of(raw, key))
    return value.strip()


def _choice(raw: Mapping[str, Any], key: str, options: tuple[str, ...], default: Optional[str] = None) -> str:
    value = raw.get(key, default)
    if value not in options:
        raise SpecError(f"must be one of {', '.join(options)}", key, line_of(raw, key))
    return str(value)


def _strings(raw: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SpecError("must be a list of strings", key, line_of(raw, key))
    return tuple(value)


def _cwes(raw: Mapping[str, Any]) -> tuple[int, ...]:
    value = raw["cwe"]
    if not isinstance(value, list) or not value or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise SpecError("a non-empty list of CWE numbers, e.g. [916, 328]", "cwe", line_of(raw, "cwe"))
    return tuple(value)


def _standards(raw: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    value = raw.get("standards", {})
    if not isinstance(value, Mapping):
        raise SpecError("a mapping from standard to requirement ids", "standards", line_of(raw, "standards"))
    result = {}
    for standard, ids in value.items():
        if standard not in STANDARDS:
            raise SpecError(f"unknown standard (known: {', '.join(STANDARDS)})", str(standard), line_of(value, standard))
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise SpecError("a list of requirement ids as strings", str(standard), line_of(value, standard))
        result[standard] = tuple(ids)
    return result


def _examples(raw: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """`bad` and `good` code, plus `observed` code where an `observe` pattern must record evidence."""
    examples = raw["examples"]
    line = line_of(raw, "examples")
    if not isinstance(examples, Mapping) or set(examples) - {"bad", "good", "observed"}:
        raise SpecError("`examples` has `bad` and `good` (and optionally `observed`) lists of code", "examples", line)
    for key in ("bad", "good", "observed"):
        value = examples.get(key)
        if key == "observed" and value is None:
            continue
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise SpecError("a non-empty list of code strings", key, line_of(examples, key) or line)
    return tuple(examples["bad"]), tuple(examples["good"]), tuple(examples.get("observed", ()))


def _security_severity(raw: Mapping[str, Any], severity: str) -> float:
    value = raw.get("security-severity", _DEFAULT_SECURITY_SEVERITY[severity])
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value <= 10.0:
        raise SpecError("a number from 0.0 to 10.0", "security-severity", line_of(raw, "security-severity"))
    return float(value)


# -- profiles ----------------------------------------------------------------------------------

def profiles_path() -> Path:
    return Path(__file__).resolve().parent / "profiles.yaml"


def load_profiles(path: Optional[Path] = None) -> dict[str, dict[str, Any]]:
    """Threshold profiles by name; each maps threshold names to numbers or step tables."""
    path = path or profiles_path()
    raw = load_yaml(path)
    profiles = raw.get("profiles") if isinstance(raw, Mapping) else None
    if not isinstance(profiles, Mapping) or not profiles:
        raise RuleError(path, line_of(raw), "profiles", "a mapping of profile names to thresholds")
    for name, values in profiles.items():
        if not isinstance(values, Mapping):
            raise RuleError(path, line_of(profiles, name), str(name), "a mapping of threshold names to values")
        for key, value in values.items():
            if key == "source":
                continue
            if not _is_threshold(value):
                raise RuleError(path, line_of(values, key), str(key), "a number or a table of integer keys to numbers")
    return {str(name): dict(values) for name, values in profiles.items()}


def _is_threshold(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(isinstance(k, int) and isinstance(v, (int, float)) for k, v in value.items())
    return isinstance(value, (int, float)) and not isinstance(value, bool)
