"""The project: every module parsed in one scan, what each defines, and which call runs what.

Data flow crosses functions and modules here. Each `ModuleModel` already knows its scopes; the
program adds:
- an index of modules by dotted name, so `from .utils import hash_value` and
  `pkg.utils.hash_value` both find the function, also when the scan root is above the import root
  (`src/pkg/utils.py` answers to `pkg.utils`), and re-exports through `__init__` are followed;
- call resolution: functions, classes (their `__init__`), `self.method()` through the class and
  its bases, and `Class().method()`; a `self.method()` call also counts among the callers of the
  method's overrides in the project's subclasses;
- the reverse call graph, built once on first use, for "who passes what to this parameter";
- one summary per function (does it return a password of its own, which parameters pass through),
  computed once however many call sites ask, with a guard that ends recursion;
- one `PasswordOracle` per module, shared by every question, and positions per module, computed
  only for modules that a finding or a flow step points into.
"""

from __future__ import annotations

import re
from itertools import chain
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional, Sequence

import libcst as cst

from pwlint.constants import UNKNOWN, assigned_value
from pwlint.names import ModuleModel, Scope, descendants, dotted
from pwlint.passwords import (Assumption, Cycles, Flow, PasswordOracle, binds_pwd_to_path, computes_digest,
                              lookup_parameters)
from pwlint.positions import Positions


@dataclass(frozen=True)
class Callee:
    """The function a call runs; `offset` is 1 when the call binds `self` or `cls` implicitly."""

    model: ModuleModel
    scope: Scope
    offset: int


@dataclass(frozen=True)
class CallSite:
    model: ModuleModel
    scope: Scope
    call: cst.Call
    offset: int


@dataclass(frozen=True)
class Summary:
    """What calling a function gives back, independent of any one caller."""

    intrinsic: Optional[Flow]  # a password the function returns whatever its arguments
    passthrough: tuple[tuple[str, str], ...]  # (parameter, encoding) pairs that reach a return value
    # the parameters it looks a value up by (`info.get(key)`, `self.settings[name]`), if it returns
    # a password of its own: a getter that returns the field it is asked for by name
    keys: tuple[str, ...] = ()


_NO_SUMMARY = Summary(None, ())
_MAX_DEPTH = 8


class Program:
    def __init__(self, models: Iterable[ModuleModel]) -> None:
        self.modules: dict[str, ModuleModel] = {}
        self._suffixes: dict[str, list[str]] = {}
        for model in models:
            self.modules[model.name] = model
            parts = model.name.split(".")
            for start in range(len(parts)):
                self._suffixes.setdefault(".".join(parts[start:]), []).append(model.name)
        self.cycles = Cycles()
        self._oracles: dict[int, PasswordOracle] = {}
        self._callers: Optional[dict[int, list[CallSite]]] = None
        self._derived: Optional[dict[int, list[tuple[ModuleModel, Scope]]]] = None  # class id -> direct subclasses
        self._summaries: dict[int, Summary] = {}
        self._positions: dict[int, Positions] = {}
        self._searched: dict[tuple[int, int, int], bool] = {}  # (pattern, model, line) -> whether it matched
        self._pwd_is_directory: Optional[bool] = None
        self._binding: Optional[dict[str, list[tuple[ModuleModel, Scope]]]] = None  # attribute -> classes
        self._hashed_in_place: Optional[dict[str, set[str]]] = None  # attribute -> top-level packages

    # -- per-module services --------------------------------------------------------------------
    def oracle(self, model: ModuleModel) -> PasswordOracle:
        key = id(model)
        if key not in self._oracles:
            self._oracles[key] = PasswordOracle(model, self)
        return self._oracles[key]

    def positions(self, model: ModuleModel) -> Positions:
        """Positions in one module, computed on first need (they cost more than the parse)."""
        key = id(model)
        if key not in self._positions:
            self._positions[key] = Positions(model.module, model.layout)
        return self._positions[key]

    def definition_matches(self, model: ModuleModel, definition: cst.CSTNode, pattern: re.Pattern[str]) -> bool:
        """Whether a line of a top-level definition matches. The lines are the file's own, so a method
        that slicing left out still counts; searched once per definition and pattern."""
        start = self.positions(model).start_line(definition)
        key = (id(pattern), id(model), start)
        if key not in self._searched:
            self._searched[key] = any(pattern.search(line) for line in _definition_lines(model.lines, start))
        return self._searched[key]

    @property
    def pwd_is_directory(self) -> bool:
        """Whether some module binds a `pwd` to a path (`passwords.binds_pwd_to_path`)."""
        if self._pwd_is_directory is None:
            self._pwd_is_directory = any(binds_pwd_to_path(model) for model in self.modules.values())
        return self._pwd_is_directory

    def classes_binding(self, name: str) -> list[tuple[ModuleModel, Scope]]:
        """The project's top-level classes whose bodies bind `name` (a column, a property), for an
        attribute stored on an object of unknown class (`current_user.password = pw`)."""
        if self._binding is None:
            self._binding = {}
            for model, scope in self._classes():
                for bound in {*scope.assignments, *scope.children}:
                    self._binding.setdefault(bound, []).append((model, scope))
        return self._binding.get(name, [])

    def hashes_in_place(self, name: str, package: str) -> bool:
        """Whether the top-level package rewrites an attribute `name` as a hash of itself where it is
        saved: in a method of its own object (lemur's `self.password =
        generate_password_hash(self.password)`, which a listener runs before insert) or in a save
        hook (fastapi-admin's pre_save receiver, `instance.password = hash_password(instance.password)`).
        What its code assigns to such an attribute, or hands a constructor for it, is stored hashed."""
        if self._hashed_in_place is None:
            self._hashed_in_place = {}
            for model in self.modules.values():
                for site in model.sites:
                    if site.kind == "bind" and _rewritten_as_hash(site.target, site.value, site.scope):
                        assert isinstance(site.target, cst.Attribute)
                        self._hashed_in_place.setdefault(site.target.attr.value, set()).add(model.package)
        return package in self._hashed_in_place.get(name, ())

    def _classes(self) -> Iterator[tuple[ModuleModel, Scope]]:
        for model in self.modules.values():
            for scope in model.module_scope.children.values():
                if scope.kind == "class" and isinstance(scope.node, cst.ClassDef):
                    yield model, scope

    def statement_of(self, model: ModuleModel, call: cst.CSTNode) -> Optional[cst.CSTNode]:
        """The statement a call sits in (suppression comments may be on its first line)."""
        return next((site.statement for site in model.sites if site.node is call), None)

    # -- names ----------------------------------------------------------------------------------
    def module(self, name: str) -> Optional[ModuleModel]:
        """A module by dotted name, or by a unique suffix of one (`pkg.utils` for `src.pkg.utils`)."""
        if name in self.modules:
            return self.modules[name]
        found = self._suffixes.get(name, [])
        return self.modules[found[0]] if len(found) == 1 else None

    def lookup(self, qualified: str, depth: int = 0) -> Optional[tuple[ModuleModel, Scope]]:
        """The function or class a dotted name refers to, following re-exports."""
        parts = qualified.split(".")
        for end in range(len(parts) - 1, 0, -1):
            model = self.module(".".join(parts[:end]))
            if model is not None:
                return self._walk(model, model.module_scope, parts[end:], depth)
        return None

    def constant(self, qualified: str, depth: int = 0) -> Any:
        """The value of a module's or class's constant by dotted name (`pkg.crypto.FAILED`,
        `pkg.models.Restriction.PASSWORD`), following re-exports; UNKNOWN for anything else.
        `depth` is the folding's (`constants.Imported`), so constants defined by each other end."""
        owner_name, _, name = qualified.rpartition(".")
        model = self.module(owner_name) if owner_name else None
        found = (model, model.module_scope) if model is not None else self.lookup(owner_name) if owner_name else None
        if found is None or depth > 30:
            return UNKNOWN
        model, owner = found
        if owner is model.module_scope and name in model.imports:
            return self.constant(model.imports[name], depth + 1)
        return self._class_constant(model, owner, name, depth + 1)

    def _class_constant(self, model: ModuleModel, owner: Scope, name: str, depth: int) -> Any:
        """A constant of a scope, or one a class inherits (`PageViewRestriction.PASSWORD`, set on its base)."""
        if name in owner.assignments or owner.kind != "class" or not isinstance(owner.node, cst.ClassDef) \
                or owner.parent is None or depth > 30:
            return assigned_value(owner, name, model, self.constant, depth)
        for base in owner.node.bases:
            resolved = self._resolve_expr(base.value, model, owner.parent)
            if resolved is not None and resolved[1].kind == "class":
                value = self._class_constant(resolved[0], resolved[1], name, depth + 1)
                if value is not UNKNOWN:
                    return value
        return UNKNOWN

    def _walk(self, model: ModuleModel, scope: Scope, parts: list[str], depth: int) -> Optional[tuple[ModuleModel, Scope]]:
        head, rest = parts[0], parts[1:]
        child = scope.children.get(head)
        if child is None:
            if scope is model.module_scope and head in model.imports and depth < _MAX_DEPTH:
                return self.lookup(".".join([model.imports[head], *rest]), depth + 1)
            return None
        return (model, child) if not rest else self._walk(model, child, rest, depth)

    def _resolve_dotted(self, parts: list[str], model: ModuleModel, scope: Scope) -> Optional[tuple[ModuleModel, Scope]]:
        """`helper`, `Class.method`, `utils.helper` as written in `scope`."""
        owner = scope.lookup(parts[0])
        if owner is not None and parts[0] in owner.children:
            return self._walk(model, owner, parts, 0)
        if (owner is None or owner.kind == "module") and parts[0] in model.imports:
            return self.lookup(".".join([model.imports[parts[0]], *parts[1:]]))
        return None

    # -- calls ----------------------------------------------------------------------------------
    def resolve_call(self, call: cst.Call, model: ModuleModel, scope: Scope) -> Optional[Callee]:
        """The project function a call runs, or None for library calls and unknown receivers."""
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            method = self._self_method(func.value.value, func.attr.value, model, scope)
            if method is not None:
                return method
            made = self._instance_of(func.value, model, scope)
            if made is not None:
                return self._method(made[0], made[1], func.attr.value, bound=True)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Call):
            # `Service().save(password)`: a method of a project class on a fresh instance
            made = self._resolve_expr(func.value.func, model, scope)
            if made is not None and made[1].kind == "class":
                return self._method(made[0], made[1], func.attr.value, bound=True)
            return None
        target = self._resolve_expr(func, model, scope)
        if target is None:
            return None
        target_model, target_scope = target
        if target_scope.kind == "class":
            return self._method(target_model, target_scope, "__init__", bound=True)
        bound = target_scope.enclosing_class() is not None and isinstance(func, cst.Attribute) and \
            _decorated(target_scope, "classmethod")
        return Callee(target_model, target_scope, 1 if bound else 0)

    def _instance_of(self, name: cst.Name, model: ModuleModel, scope: Scope) -> Optional[tuple[ModuleModel, Scope]]:
        """The project class a function's local name holds an instance of where it is read:
        `conf = Config()` ... `conf.warning(message)` runs `Config.warning`."""
        owner = scope.lookup(name.value)
        if owner is None or owner.kind != "function" or name.value in owner.opaque or name.value in owner.params:
            return None
        values = model.reaching(name.value, owner, name)
        made = [self.resolve_class(value, model, owner) if isinstance(value, cst.Call) else None for value in values]
        if not made or any(found is None for found in made) or len({id(found[1]) for found in made}) != 1:  # type: ignore[index]
            return None
        return made[0]

    def resolve_class(self, call: cst.Call, model: ModuleModel, scope: Scope) -> Optional[tuple[ModuleModel, Scope]]:
        """The project class a call constructs (`User(...)`, or through a Django manager:
        `models.Migration.objects.create(...)`), if it constructs one."""
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _MANAGER_MAKERS and isinstance(func.value, cst.Attribute) \
                and func.value.attr.value == "objects":
            func = func.value.value
        made = self._resolve_expr(func, model, scope)
        return made if made is not None and made[1].kind == "class" else None

    def class_bases(self, model: ModuleModel, owner: Scope, depth: int = 0) -> list[str]:
        """Qualified names of a class's bases, through project classes to the library ones
        (`app.models.Base`, then `sqlalchemy.orm.DeclarativeBase`)."""
        if not isinstance(owner.node, cst.ClassDef) or owner.parent is None or depth >= _MAX_DEPTH:
            return []
        names = []
        for base in owner.node.bases:
            qualified = model.qualified_name(base.value, owner.parent) or dotted(base.value) or ""
            names += [qualified, *self._assigned_from(qualified)]
            resolved = self._resolve_expr(base.value, model, owner.parent)
            if resolved is not None and resolved[1].kind == "class":
                names += self.class_bases(resolved[0], resolved[1], depth + 1)
        return names

    def _assigned_from(self, qualified: str) -> list[str]:
        """`app.db.Base` where app/db.py says `Base = declarative_base()`: `sqlalchemy.orm.declarative_base()`."""
        module_name, _, name = qualified.rpartition(".")
        model = self.module(module_name) if module_name else None
        values = model.module_scope.assignments.get(name, []) if model is not None else []
        if model is None or len(values) != 1:
            return []
        return [model.qualified_name(values[0], model.module_scope) or ""]

    def _resolve_expr(self, func: cst.BaseExpression, model: ModuleModel, scope: Scope) -> Optional[tuple[ModuleModel, Scope]]:
        name = dotted(func)
        return self._resolve_dotted(name.split("."), model, scope) if name else None

    def _self_method(self, receiver: str, name: str, model: ModuleModel, scope: Scope) -> Optional[Callee]:
        """`self.helper(x)` and `cls.build(x)` inside a method (or a closure in one) run the class's
        own (or inherited) method."""
        owner = scope.instance_class(receiver)
        return self._method(model, owner, name, bound=True) if owner is not None else None

    def _method(self, model: ModuleModel, owner: Scope, name: str, bound: bool) -> Optional[Callee]:
        """The method a class runs by this name: its own, else the first of its project bases'."""
        for defined_in, cls in chain([(model, owner)], self.ancestors(model, owner)):
            found = cls.children.get(name)
            if found is not None and found.kind == "function":
                offset = 0 if _decorated(found, "staticmethod") else (1 if bound or _decorated(found, "classmethod") else 0)
                return Callee(defined_in, found, offset)
        return None

    def ancestors(self, model: ModuleModel, owner: Scope, depth: int = 0) -> Iterator[tuple[ModuleModel, Scope]]:
        """The project's classes `owner` derives from, depth first in the order of its bases (as
        Python looks methods up in simple hierarchies), found as they are asked for."""
        if depth >= _MAX_DEPTH or not isinstance(owner.node, cst.ClassDef) or owner.parent is None:
            return
        for base in owner.node.bases:
            resolved = self._resolve_expr(base.value, model, owner.parent)
            if resolved is not None and resolved[1].kind == "class":
                yield resolved
                yield from self.ancestors(resolved[0], resolved[1], depth + 1)

    def callers(self, function: Scope) -> list[CallSite]:
        """Every call site in the project that runs `function`."""
        if self._callers is None:
            self._callers = {}
            for model in self.modules.values():
                for site in model.sites:
                    if site.kind == "call":
                        assert isinstance(site.node, cst.Call)
                        callee = self.resolve_call(site.node, model, site.scope)
                        for runs in ([callee] if callee is not None else []) + self._overrides(site.node, site.scope):
                            entry = CallSite(model, site.scope, site.node, runs.offset)
                            self._callers.setdefault(id(runs.scope), []).append(entry)
        return self._callers.get(id(function), [])

    def _overrides(self, call: cst.Call, scope: Scope) -> list[Callee]:
        """What `self.write(x)` may run besides its own class's `write`: the overrides in the
        project's subclasses (a terminal's base class answers the password prompt with
        `self.write(self.passwd)`; its telnet subclass's `write` logs what it is given)."""
        func = call.func
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return []
        owner = scope.instance_class(func.value.value)
        if owner is None:
            return []
        found = []
        for model, subclass in self._subclasses(owner):
            override = subclass.children.get(func.attr.value)
            if override is not None and override.kind == "function" and not _decorated(override, "staticmethod"):
                found.append(Callee(model, override, 1))
        return found

    def _subclasses(self, owner: Scope) -> list[tuple[ModuleModel, Scope]]:
        """The project's classes derived from `owner`, directly or not."""
        if self._derived is None:
            self._derived = {}
            for model, scope in self._classes():
                for base in scope.node.bases:
                    resolved = self._resolve_expr(base.value, model, model.module_scope)
                    if resolved is not None and resolved[1].kind == "class":
                        self._derived.setdefault(id(resolved[1]), []).append((model, scope))
        found, pending, seen = [], [owner], {id(owner)}
        while pending:
            for model, subclass in self._derived.get(id(pending.pop()), []):
                if id(subclass) not in seen:
                    seen.add(id(subclass))
                    found.append((model, subclass))
                    pending.append(subclass)
        return found

    @staticmethod
    def argument(call: cst.Call, function: Scope, param: str, offset: int) -> Optional[cst.BaseExpression]:
        """The expression a call binds to a parameter: by keyword, else by position after `self`."""
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value == param:
                return arg.value
        node = function.node
        if not isinstance(node, (cst.FunctionDef, cst.Lambda)):
            return None
        positional = [p.name.value for p in (*node.params.posonly_params, *node.params.params)]
        if param not in positional:
            return None
        index = positional.index(param) - offset
        values = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
        return values[index] if 0 <= index < len(values) else None

    # -- summaries ------------------------------------------------------------------------------
    def summary(self, callee: Callee) -> Summary:
        key = id(callee.scope)
        if key not in self._summaries:
            self._summaries[key] = _NO_SUMMARY  # recursion guard: a cycle adds nothing new
            self._summaries[key] = self._summarise(callee.model, callee.scope)
        return self._summaries[key]

    def _summarise(self, model: ModuleModel, function: Scope) -> Summary:
        if not function.returns:
            return _NO_SUMMARY
        intrinsic = self._returned(model, function, None)
        passthrough = []
        for param in function.params:
            flow = self._returned(model, function, param)
            if flow is not None and flow.param == param:
                passthrough.append((param, flow.encoded))
        if intrinsic is None or intrinsic.param:
            return Summary(None, tuple(passthrough))
        return Summary(intrinsic, tuple(passthrough), lookup_parameters(function))

    def _returned(self, model: ModuleModel, function: Scope, param: Optional[str]) -> Optional[Flow]:
        oracle = PasswordOracle(model, self, Assumption(function, param))
        for value in function.returns:
            found = oracle.carries(value, function)
            if found is not None:
                return found
        return None


_MANAGER_MAKERS = frozenset({"create", "get_or_create", "update_or_create"})


# The hooks an ORM runs as an object is saved, as a function's name or its decorator names them:
# Django's and Tortoise's `pre_save`, SQLAlchemy's `before_insert` and `before_update` events.
_SAVE_HOOK = re.compile(r"(?i)pre_?save|before_?(insert|update|save|flush|commit)|on_?save")


def _rewritten_as_hash(target: Optional[cst.BaseExpression], value: Optional[cst.BaseExpression], scope: Scope) -> bool:
    """`X.attr = hash(X.attr)`, where X is the method's own object or the object a save hook is given."""
    if not isinstance(target, cst.Attribute) or value is None or not computes_digest(value):
        return False
    whole = dotted(target)
    if whole is None or not any(isinstance(node, cst.Attribute) and dotted(node) == whole for node in descendants(value)):
        return False
    return whole.startswith("self.") or _is_save_hook(scope)


def _is_save_hook(scope: Scope) -> bool:
    node = scope.node
    return scope.kind == "function" and isinstance(node, cst.FunctionDef) and (
        bool(_SAVE_HOOK.search(scope.name))
        or any(_SAVE_HOOK.search(_spelt(inner)) for d in node.decorators for inner in descendants(d.decorator)))


def _spelt(node: cst.CSTNode) -> str:
    """A name, or a string's text: `@receiver(pre_save)`, `@event.listens_for(User, "before_insert")`."""
    if isinstance(node, cst.SimpleString):
        return str(node.evaluated_value)
    return (dotted(node) or "") if isinstance(node, (cst.Name, cst.Attribute)) else ""


def _decorated(function: Scope, name: str) -> bool:
    node = function.node
    return isinstance(node, cst.FunctionDef) and any(
        (dotted(d.decorator) or "").rsplit(".", 1)[-1] == name for d in node.decorators
    )


def _definition_lines(lines: Sequence[str], start: int) -> Iterator[str]:
    """The lines of the definition on line `start` (1-based): up to the next that starts a top-level
    statement. A string's line that starts at the margin ends it early, which only searches less."""
    yield from lines[start - 1:start]
    for line in lines[start:]:
        if line[:1] not in ("", " ", "\t", "#", "\n", "\r", ")", "]", "}"):
            return
        yield line
