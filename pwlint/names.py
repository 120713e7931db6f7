"""Resolve names: one walk over a parsed module builds its scopes, imports and the sites rules look at.

libcst's QualifiedNameProvider and ScopeProvider cost several times the parse itself, so pwlint
resolves names with its own single pass instead: an import table per module, a table of
assignments per scope, and the list of *sites* (calls, bindings, comparisons) that rules match.
Rules then ask `qualified_name(expr, scope)`, which follows import aliases
(`import hashlib as h; h.md5`), attribute chains and names assigned from calls
(`s = hashlib.sha1(); s.update(...)` resolves `s.update` to `hashlib.sha1().update`).

The scope tables are what the data-flow work builds on: every function keeps its parameters
and its assignments, so a summary per function can be computed once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Optional, Union

import libcst as cst

ScopeNode = Union[cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda]


@dataclass(eq=False)
class Scope:
    """A module, class or function body: the names it binds and the values bound to them."""

    node: ScopeNode
    parent: Optional["Scope"]
    kind: str  # "module", "class" or "function"
    name: str = ""
    assignments: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    params: dict[str, cst.Param] = field(default_factory=dict)
    # names bound by other means (for targets, with, except, imports, del): not foldable
    opaque: set[str] = field(default_factory=set)

    def bind(self, name: str, value: Optional[cst.BaseExpression]) -> None:
        if value is None:
            self.opaque.add(name)
        else:
            self.assignments.setdefault(name, []).append(value)

    def lookup(self, name: str) -> Optional["Scope"]:
        """The scope whose binding of `name` is visible here (class bodies are skipped, as in Python)."""
        scope: Optional[Scope] = self
        while scope is not None:
            if scope is self or scope.kind != "class":
                if name in scope.assignments or name in scope.params or name in scope.opaque:
                    return scope
            scope = scope.parent
        return None

    def function_names(self) -> Iterator[str]:
        """Names of the enclosing functions and classes, innermost first."""
        scope: Optional[Scope] = self
        while scope is not None:
            if scope.name:
                yield scope.name
            scope = scope.parent


@dataclass(frozen=True)
class Site:
    """A node a rule may match, with the scope it sits in."""

    kind: str  # "call", "bind", "compare"
    node: cst.CSTNode
    scope: Scope
    # for "bind": the name being bound (variable, attribute, key, keyword or parameter) and its value
    name: str = ""
    value: Optional[cst.BaseExpression] = None
    statement: Optional[cst.CSTNode] = None


@dataclass
class ModuleModel:
    """What the rule engine needs of one file, built in a single walk."""

    module: cst.Module
    imports: dict[str, str]  # local alias -> qualified name
    module_scope: Scope
    sites: list[Site]

    _cache: dict[tuple[int, int], Optional[str]] = field(default_factory=dict)

    def qualified_name(self, expr: cst.BaseExpression, scope: Scope, _depth: int = 0) -> Optional[str]:
        """The dotted name an expression refers to, through imports, attributes and call results.

        Memoised per (node, scope): every call pattern of every rule asks for the same names."""
        key = (id(expr), id(scope))
        if key not in self._cache:
            self._cache[key] = self._qualify(expr, scope, _depth)
        return self._cache[key]

    def _qualify(self, expr: cst.BaseExpression, scope: Scope, _depth: int) -> Optional[str]:
        if _depth > 20:
            return None
        if isinstance(expr, cst.Name):
            return self._qualify_name(expr.value, scope, _depth)
        if isinstance(expr, cst.Attribute):
            base = self.qualified_name(expr.value, scope, _depth + 1)
            return f"{base}.{expr.attr.value}" if base else None
        if isinstance(expr, cst.Call):
            base = self.qualified_name(expr.func, scope, _depth + 1)
            return f"{base}()" if base else None
        return None

    def _qualify_name(self, name: str, scope: Scope, depth: int) -> str:
        owner = scope.lookup(name)
        if owner is None or (owner.kind == "module" and name in self.imports):
            # `try: import crypt / except ImportError: crypt = None` still means the module
            return self.imports.get(name, name)
        values = owner.assignments.get(name, [])
        if name in owner.opaque or len(values) != 1:
            return self.imports.get(name, name) if owner.kind == "module" else name
        value = values[0]
        if isinstance(value, (cst.Call, cst.Attribute)) or (
            isinstance(value, cst.Name) and value.value != name
        ):
            resolved = self.qualified_name(value, owner, depth + 1)
            if resolved:
                return resolved
        return name


def build_model(module: cst.Module) -> ModuleModel:
    """Walk the module once, collecting scopes, imports and rule sites."""
    builder = _ModelBuilder(module)
    module.visit(builder)
    return ModuleModel(module, builder.imports, builder.module_scope, builder.sites)


def dotted(expr: cst.BaseExpression) -> Optional[str]:
    """`a.b.c` for a Name/Attribute chain, else None."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        base = dotted(expr.value)
        return f"{base}.{expr.attr.value}" if base else None
    return None


def terminal_name(expr: cst.BaseExpression) -> Optional[str]:
    """The name an expression is known by: `x`, `obj.attr`'s attr, `d["key"]`'s key, `f()`'s f."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return expr.attr.value
    if isinstance(expr, cst.Subscript):
        return subscript_key(expr)
    if isinstance(expr, cst.Call):
        return terminal_name(expr.func)
    return None


def subscript_key(expr: cst.Subscript) -> Optional[str]:
    if len(expr.slice) != 1:
        return None
    element = expr.slice[0].slice
    if isinstance(element, cst.Index) and isinstance(element.value, cst.SimpleString):
        value = element.value.evaluated_value
        return value if isinstance(value, str) else None
    return None


class _ModelBuilder(cst.CSTVisitor):
    """Collects scopes and sites. Statements are tracked so suppressions can find a site's first line."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__()
        self.module_scope = Scope(module, None, "module")
        self.scope = self.module_scope
        self.imports: dict[str, str] = {}
        self.sites: list[Site] = []
        self.statements: list[cst.CSTNode] = []

    # -- scopes -------------------------------------------------------------------------------
    def _enter(self, node: ScopeNode, kind: str, name: str) -> None:
        self.scope = Scope(node, self.scope, kind, name)

    def _leave(self) -> None:
        assert self.scope.parent is not None
        self.scope = self.scope.parent

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scope.bind(node.name.value, None)
        self._enter(node, "function", node.name.value)
        self._collect_params(node.params)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._leave()

    def visit_Lambda(self, node: cst.Lambda) -> None:
        self._enter(node, "function", "")
        self._collect_params(node.params)

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        self._leave()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scope.bind(node.name.value, None)
        self._enter(node, "class", node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._leave()

    def _collect_params(self, params: cst.Parameters) -> None:
        every = [*params.posonly_params, *params.params, *params.kwonly_params]
        for param in every:
            self.scope.params[param.name.value] = param
            if param.default is not None:
                self._site("bind", param, name=param.name.value, value=param.default)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.scope.params[star.name.value] = star

    # -- statements ---------------------------------------------------------------------------
    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self.statements.append(node)
        return super().on_visit(node)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        super().on_leave(original_node)
        if isinstance(original_node, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            self.statements.pop()

    # No per-attribute visitors are used; skipping libcst's dispatch for them saves a fifth of the walk.
    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None

    def _site(self, kind: str, node: cst.CSTNode, name: str = "",
              value: Optional[cst.BaseExpression] = None) -> None:
        statement = self.statements[-1] if self.statements else None
        self.sites.append(Site(kind, node, self.scope, name, value, statement))

    # -- imports ------------------------------------------------------------------------------
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted(alias.name) or ""
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.imports[alias.asname.name.value] = full
            else:
                head = full.split(".")[0]
                self.imports[head] = head

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        base = "." * len(node.relative) + ((dotted(node.module) or "") if node.module else "")
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = dotted(alias.name) or ""
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            joiner = "" if base.endswith(".") or not base else "."
            self.imports[local] = f"{base}{joiner}{name}"

    # -- bindings -----------------------------------------------------------------------------
    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target, node.value, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind_target(node.target, node.value, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.target, cst.Name):
            self.scope.bind(node.target.value, node.value)
            self.scope.opaque.add(node.target.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        if isinstance(node.target, cst.Name):
            self.scope.bind(node.target.value, node.value)

    def visit_For(self, node: cst.For) -> None:
        self._bind_loose(node.target, node.iter)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind_loose(node.target, node.iter)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_loose(node.asname.name, None)

    def _bind_target(self, target: cst.BaseExpression, value: cst.BaseExpression, node: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            self.scope.bind(target.value, value)
            self._site("bind", node, name=target.value, value=value)
        elif isinstance(target, cst.Attribute):
            self._site("bind", node, name=target.attr.value, value=value)
        elif isinstance(target, cst.Subscript):
            key = subscript_key(target)
            if key is not None:
                self._site("bind", node, name=key, value=value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            values = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
            if values is not None and len(values) == len(target.elements):
                for element, element_value in zip(target.elements, values):
                    self._bind_target(element.value, element_value.value, node)
            else:
                self._bind_loose(target, value)

    def _bind_loose(self, target: cst.BaseExpression, value: Optional[cst.BaseExpression]) -> None:
        """Names bound from part of a value (unpacking, loops): the value taints them but never folds."""
        if isinstance(target, cst.Name):
            if value is not None:
                self.scope.bind(target.value, value)
            self.scope.opaque.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            # `user, pw = creds`: which element holds the password is unknown, so none is tainted
            # by the value; a password-named element is still recognised by its name.
            for element in target.elements:
                self._bind_loose(element.value, None)
        elif isinstance(target, cst.StarredElement):
            self._bind_loose(target.value, None)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if isinstance(node.key, cst.SimpleString):
            key = node.key.evaluated_value
            if isinstance(key, str):
                self._site("bind", node, name=key, value=node.value)

    # -- calls and comparisons ----------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        self._site("call", node)
        for arg in node.args:
            if arg.keyword is not None:
                self._site("bind", arg, name=arg.keyword.value, value=arg.value)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self._site("compare", node)
