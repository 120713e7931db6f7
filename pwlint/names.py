"""Resolve names: one walk over a parsed module builds its scopes, imports and the sites rules look at.

libcst's QualifiedNameProvider and ScopeProvider cost several times the parse itself, so pwlint
resolves names with its own single pass instead: an import table per module, a table of
assignments per scope, and the list of *sites* (calls, bindings, comparisons) that rules match.
Rules then ask `qualified_name(expr, scope)`, which follows import aliases
(`import hashlib as h; h.md5`), attribute chains and names assigned from calls
(`s = hashlib.sha1(); s.update(...)` resolves `s.update` to `hashlib.sha1().update`).

The scope tables are what data flow (`passwords`, `program`) builds on: every function keeps its
parameters, assignments and return values, every class the values its methods assign to
`self.X`, and every scope the functions and classes defined in it, so a summary per function can
be computed once and calls resolved without another walk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Sequence, Union

if TYPE_CHECKING:
    import libcst as cst

    from pwlint.slicing import Layout
else:
    from pwlint._lazy import cst  # libcst loads on first use, not when rules load

ScopeNode = Union["cst.Module", "cst.FunctionDef", "cst.ClassDef", "cst.Lambda"]


# Methods that put a value into a container: `insert`'s value is its second argument.
_NO_WRITES: dict[str, list[Any]] = {}  # a scope with no assignments yet (read only)
_FILLING_METHODS = frozenset({"append", "appendleft", "extend", "insert", "add"})
_MAPPING_METHODS = frozenset({"update", "setdefault"})
# A key of a table of codes (`{"PT": "Portugal", "PW": "Palau"}`: countries, languages, currencies);
# a table of codes or of texts is at least this long (`_table_entries`)
_CODE = re.compile(r"^[A-Z]{2,3}$")
_CODE_TABLE_SIZE = 4
_WORD = re.compile(r"^[A-Z][a-z]+$")  # a capitalised word, as labels are written


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
    # names bound by `except ... as`: an exception, whatever its name says (`except Warning as pw`)
    caught: set[str] = field(default_factory=set)
    # what is put into a local container after it is made (`lines.append(f"password = {pw}")`): it
    # holds those too, although they are no value assigned to its name
    filled: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    # of those containers, the mappings, with what each key was given: `auth["pw"] = pw`
    filled_keys: dict[str, dict[str, list[cst.BaseExpression]]] = field(default_factory=dict)
    # functions and classes defined directly in this scope, by name (the last definition wins)
    children: dict[str, "Scope"] = field(default_factory=dict)
    returns: list[cst.BaseExpression] = field(default_factory=list)
    # classes only: values the methods assign to `self.NAME`, with the method scope they sit in
    attributes: dict[str, list[tuple[cst.BaseExpression, "Scope"]]] = field(default_factory=dict)
    statement_depth: int = 0  # how many statements enclose the definition (to find a site's own guards)

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

    def parameter_names(self) -> Iterator[str]:
        """Parameters of the enclosing functions, innermost first."""
        scope: Optional[Scope] = self
        while scope is not None:
            yield from scope.params
            scope = scope.parent

    def enclosing_class(self) -> Optional["Scope"]:
        """The class a method belongs to, when this is a method body."""
        parent = self.parent
        return parent if self.kind == "function" and parent is not None and parent.kind == "class" else None

    def instance_class(self, receiver: str) -> Optional["Scope"]:
        """The class whose instance `receiver` is here: `self` in a method, or in a closure inside one."""
        scope = self
        while scope.kind == "function" and scope.enclosing_class() is None and scope.parent is not None:
            scope = scope.parent
        return scope.enclosing_class() if scope.self_name() == receiver else None

    def self_name(self) -> Optional[str]:
        """The name of a method's first parameter (`self`, `cls`), which refers to its class."""
        if self.enclosing_class() is None or not isinstance(self.node, cst.FunctionDef):
            return None
        params = [*self.node.params.posonly_params, *self.node.params.params]
        return params[0].name.value if params else None


@dataclass(frozen=True)
class Site:
    """A node a rule may match, with the scope it sits in."""

    kind: str  # "call", "bind", "compare"
    node: cst.CSTNode
    scope: Scope
    # for "bind": the name being bound (variable, attribute, key, keyword or parameter) and its value;
    # for "return": the value returned
    name: str = ""
    value: Optional[cst.BaseExpression] = None
    statement: Optional[cst.CSTNode] = None
    target: Optional[cst.BaseExpression] = None  # for "bind": what is assigned to (`user.password`)
    guards: tuple[cst.If, ...] = ()  # for "return": the `if` statements around it in its function


@dataclass
class ModuleModel:
    """What the rule engine needs of one file, built in a single walk."""

    module: cst.Module
    imports: dict[str, str]  # local alias -> qualified name
    module_scope: Scope
    sites: list[Site]
    name: str = ""  # dotted module name from the scan root (`pkg.utils`), set for project analysis
    is_package: bool = False  # an `__init__.py`: relative imports start from the module itself
    path: str = ""  # the file, relative to the scan root, as reported
    lines: Sequence[str] = ()  # its source lines, for snippets and suppression comments
    layout: Optional["Layout"] = None  # where its statements start (`slicing.Layout`), for positions
    # a local name as read -> the values assigned to it that a later assignment overwrote on every
    # path to the read (`msg = f"bad {password}"` ... `msg = "bad mode"; log(msg)`): keyed by the
    # nodes themselves, so the map survives pickling with the tree
    shadowed: dict[cst.Name, tuple[cst.BaseExpression, ...]] = field(default_factory=dict)
    # a local name as read -> how many of its function's assignments to it can reach the read: those
    # before it, or before the end of the outermost loop around it (only reads a later one follows)
    before: dict[cst.Name, int] = field(default_factory=dict)
    # the same for what was put into a local container (`filled`): `payload["password"] = pw` after
    # `log.debug(payload)` is not in what was logged
    filled_before: dict[cst.Name, int] = field(default_factory=dict)
    # a local name as read -> the keys taken out of it before the read on every path
    # (`connargs.pop("bindpw", None)`, `del data["password"]`, then `log.error(connargs)`)
    scrubbed: dict[cst.Name, tuple[str, ...]] = field(default_factory=dict)
    # the iterables of `for` loops and comprehensions, bound to their targets: a mapping iterated
    # hands out its keys, not the values that may hold a password (kept here, not per scope: most have none)
    iterated: set[cst.BaseExpression] = field(default_factory=set)
    # a local name as read -> the assignment made from the name itself that runs before the read on
    # every path with no other after it (`password = ctx.hash(password)`): what the name held before
    # reaches the read only through this value, which `passwords` judges (a hash ends the flow)
    rewritten: dict[cst.Name, cst.BaseExpression] = field(default_factory=dict)
    # the reads of a local name that an assignment not made from the name runs before on every path
    # (`value = hexlify(iv) + ":" + hexlify(v)`): a parameter's given value does not reach them
    replaced: set[cst.Name] = field(default_factory=set)

    _cache: dict[tuple[int, int], Optional[str]] = field(default_factory=dict)

    @property
    def package(self) -> str:
        """The top-level package: the project a module belongs to when a folder holds several."""
        return self.name.partition(".")[0]

    def __getstate__(self) -> dict[str, Any]:
        # the memo is keyed by object ids, which mean nothing in another process or run
        return {**self.__dict__, "_cache": {}}

    def reaching(self, name: str, owner: Scope, read: Optional[cst.CSTNode] = None) -> list[cst.BaseExpression]:
        """The values assigned to `name` in `owner` that may reach the `read` of it: all of them,
        less those assigned after it and after any loop around it (`before`), and those a later assignment
        overwrote on every path to it (`shadowed`)."""
        values = owner.assignments.get(name, [])
        if read is None:
            return values
        gone = {id(value) for value in self.shadowed.get(read, ())}
        return [value for value in values[:self.before.get(read, len(values))] if id(value) not in gone]

    def filled(self, name: str, owner: Scope, read: Optional[cst.CSTNode] = None) -> list[cst.BaseExpression]:
        """What was put into the local container `name` (`Scope.filled`) that the `read` of it may see:
        not what was put in after it and after any loop around it."""
        values = owner.filled.get(name, [])
        return values if read is None else values[:self.filled_before.get(read, len(values))]

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
            return self._qualify_name(expr, scope, _depth)
        if isinstance(expr, cst.Attribute):
            base = self.qualified_name(expr.value, scope, _depth + 1)
            return f"{base}.{expr.attr.value}" if base else None
        if isinstance(expr, cst.Call):
            if _is_getattr(expr, scope):
                return self._qualify_getattr(expr, scope, _depth)
            base = self.qualified_name(expr.func, scope, _depth + 1)
            return f"{base}()" if base else None
        return None

    def _qualify_getattr(self, call: cst.Call, scope: Scope, depth: int) -> Optional[str]:
        """`getattr(hashlib, "sha1")` is `hashlib.sha1`; `getattr(hashlib, algorithm)` is
        `hashlib.<attribute>`, one of the module's, chosen at run time (webapp2's hasher)."""
        base = self.qualified_name(call.args[0].value, scope, depth + 1)
        attribute = call.args[1].value
        name = attribute.evaluated_value if isinstance(attribute, cst.SimpleString) else None
        if not base:
            return None
        return f"{base}.{name}" if isinstance(name, str) and name.isidentifier() else f"{base}.<attribute>"

    def _qualify_name(self, read: cst.Name, scope: Scope, depth: int) -> str:
        """What a name refers to where it is read (`reaching`)."""
        name = read.value
        owner = scope.lookup(name)
        if owner is None or (owner.kind == "module" and name in self.imports):
            # `try: import crypt / except ImportError: crypt = None` still means the module
            return self.imports.get(name, name)
        values = self.reaching(name, owner, read)
        if name in owner.opaque or not values or (len(values) > 1 and owner.kind == "module"):
            return self.imports.get(name, name) if owner.kind == "module" else name
        # a name bound more than once resolves when every value does, alike: a file opened to read,
        # then to write (`with open(path) as f` ... `with open(path, "w") as f`)
        resolved = {self._qualify_value(value, name, owner, depth) for value in values}
        return resolved.pop() if len(resolved) == 1 and None not in resolved else name

    def _qualify_value(self, value: cst.BaseExpression, name: str, owner: Scope, depth: int) -> Optional[str]:
        if isinstance(value, (cst.Call, cst.Attribute)) or (isinstance(value, cst.Name) and value.value != name):
            return self.qualified_name(value, owner, depth + 1) or None
        return None


def _is_getattr(call: cst.Call, scope: Scope) -> bool:
    """A call of the built-in `getattr` with an object and a name, by position."""
    return (isinstance(call.func, cst.Name) and call.func.value == "getattr" and scope.lookup("getattr") is None
            and len(call.args) >= 2 and all(arg.keyword is None and not arg.star for arg in call.args[:2]))


def build_model(module: cst.Module, path: str = "", lines: Sequence[str] = (),
                layout: Optional["Layout"] = None) -> ModuleModel:
    """Walk the module once, collecting scopes, imports and rule sites."""
    builder = _ModelBuilder(module)
    builder.walk(module)
    name, is_package = module_name(path)
    imports = {local: _absolute(target, name, is_package) for local, target in builder.imports.items()}
    return ModuleModel(module, imports, builder.module_scope, builder.sites, name, is_package, path, lines, layout,
                       builder.shadowed, builder.before, builder.filled_before, builder.scrubbed, builder.iterated,
                       builder.rewritten, builder.replaced)


def module_name(path: str) -> tuple[str, bool]:
    """`pkg/utils.py` -> ("pkg.utils", False); `pkg/__init__.py` -> ("pkg", True)."""
    parts = [part for part in path.split("/") if part and part != "."]
    if not parts:
        return "", False
    stem = parts[-1].rsplit(".", 1)[0]
    if stem == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join([*parts[:-1], stem]), False


def _absolute(target: str, module: str, is_package: bool) -> str:
    """`.utils.f` imported in `pkg.views` is `pkg.utils.f`; unknown anchors stay relative."""
    if not target.startswith(".") or not module:
        return target
    dots = len(target) - len(target.lstrip("."))
    parts = module.split(".") if is_package else module.split(".")[:-1]
    if dots - 1 > len(parts):
        return target
    anchor = parts[:len(parts) - (dots - 1)]
    rest = target[dots:]
    return ".".join([*anchor, rest] if rest else anchor)


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


def descendants(root: cst.CSTNode, stop: Optional[cst.CSTNode] = None) -> Iterator[cst.CSTNode]:
    """`root` and every node under it (but those under `stop`) that a rule can read, depth first:
    no whitespace, comments or punctuation (`child_fields`)."""
    pending = [root]
    while pending:
        node = pending.pop()
        yield node
        if node is not stop:
            pending.extend(children(node))


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The nodes right under `node` that a rule can read, in the order of its fields. Read from the
    dataclass fields, as the model's walk does: libcst's `children` property rebuilds the node to
    collect them, which cost a sixth of the rules' time on Django with its tests."""
    found: list[cst.CSTNode] = []
    for name in child_fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            found.extend(item for item in value if is_node_type(type(item)))
        elif is_node_type(kind):
            found.append(value)
    return found


def is_node_type(kind: type) -> bool:
    """Whether values of this type are libcst nodes. `isinstance(value, cst.CSTNode)` asks an
    abstract base class, several times slower, and the walks ask it of every field."""
    known = _NODE_TYPES.get(kind)
    if known is None:
        known = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return known


_NODE_TYPES: dict[type, bool] = {}


def _makes_dict(value: cst.BaseExpression) -> bool:
    return isinstance(value, (cst.Dict, cst.DictComp)) or (
        isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value in ("dict", "OrderedDict"))


def _table_entries(entries: Sequence[cst.BaseDictElement]) -> list[cst.BaseDictElement]:
    """The entries of a table whose keys name no variable or field: one keyed by codes (`{"PT":
    "Portugal", "PW": "Palau"}`: countries, languages, currencies), all of them; one keyed by texts
    for people (a translation's `{"About": "Am", "Current password": "Cyfrinair cyfredol", ...}`:
    most keys are phrases or capitalised words, and some are phrases), those keyed so. A field's
    name among them still binds (`{"Username (Email.id): ": pk, "password": "nopasswd"}` answers
    prompts), and `{"Username": ..., "Password": ...}` has no phrase: a record."""
    if len(entries) < _CODE_TABLE_SIZE or not all(
            isinstance(entry, cst.DictElement) and isinstance(entry.key, cst.SimpleString) for entry in entries):
        return []
    keys = [entry.key.value.strip("\"'") for entry in entries]  # type: ignore[attr-defined]
    if all(_CODE.match(key) for key in keys):
        return list(entries)
    texts = [" " in key.strip() or bool(_WORD.match(key)) for key in keys]
    if sum(" " in key.strip() for key in keys) < 2 or 2 * sum(texts) <= len(keys):
        return []
    return [entry for entry, text in zip(entries, texts) if text]


def _target_names(target: cst.BaseExpression) -> Iterator[str]:
    """The names a `for` binds: `value`, or `key` and `value` of `for key, value in ...`."""
    if isinstance(target, cst.Name):
        yield target.value
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from _target_names(element.value)


def subscript_key(expr: cst.Subscript) -> Optional[str]:
    if len(expr.slice) != 1:
        return None
    element = expr.slice[0].slice
    if isinstance(element, cst.Index) and isinstance(element.value, cst.SimpleString):
        value = element.value.evaluated_value
        return value if isinstance(value, str) else None
    return None


@dataclass(frozen=True)
class _Handlers:
    visit: Optional[Callable[[Any], None]]
    leave: Optional[Callable[[Any], None]]
    statement: bool
    fields: tuple[str, ...]


# Fields that hold only whitespace, comments and punctuation: nothing a rule looks at.
_LAYOUT_FIELDS = frozenset({"lpar", "rpar", "leading_lines", "lines_after_decorators", "header", "footer",
                            "trailing_whitespace", "semicolon", "comma", "equal", "colon", "dot", "star_tok",
                            "lbracket", "rbracket", "lbrace", "rbrace", "newline", "asynchronous"})


@lru_cache(maxsize=None)
def child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type that hold child nodes, in source order (layout fields left out)."""
    return tuple(f.name for f in fields(kind) if f.name not in _LAYOUT_FIELDS and not f.name.startswith("whitespace"))


class _ModelBuilder:
    """Collects scopes and sites. Statements are tracked so suppressions can find a site's first line."""

    def __init__(self, module: cst.Module) -> None:
        self._handlers: dict[type, _Handlers] = {}
        self.module_scope = Scope(module, None, "module")
        self.scope = self.module_scope
        self.imports: dict[str, str] = {}
        self.sites: list[Site] = []
        self.statements: list[cst.CSTNode] = []
        self.blocks: list[int] = []  # the ids of the blocks around the node visited, outermost first
        # per scope (by id) and name: each plain assignment so far, with the blocks and statement it sits in
        # and its place among the scope's assignments
        self.writes: dict[int, dict[str, list[tuple[cst.BaseExpression, tuple[int, ...], cst.CSTNode, int]]]] = {}
        self.shadowed: dict[cst.Name, tuple[cst.BaseExpression, ...]] = {}
        self.rewritten: dict[cst.Name, cst.BaseExpression] = {}
        self.replaced: set[cst.Name] = set()
        self.loops = [0]  # per scope entered: how many `for` and `while` loops the walk is inside
        # per scope entered: its reads, with how many assignments and fills can reach each
        self.reads: list[list[tuple[cst.Name, int, int]]] = [[]]
        self.looped: list[list[cst.Name]] = [[]]  # per scope entered: reads in the loop being walked
        self.written = [0]  # per scope entered: its plain assignments to names so far
        self.looped_from = [0]  # per scope entered: how many had been made when its outermost loop began
        self.before: dict[cst.Name, int] = {}  # of those, the reads a later assignment follows
        self.filled_before: dict[cst.Name, int] = {}  # and those a later fill follows
        self.reading: dict[tuple[int, str], bool] = {}  # (value id, name): whether the value reads the name
        # per scope (by id) and name: each key taken out of it so far, with the blocks and statement it sits in
        self.scrubs: dict[int, dict[str, list[tuple[str, tuple[int, ...], cst.CSTNode]]]] = {}
        self.scrubbed: dict[cst.Name, tuple[str, ...]] = {}
        self.iterated: set[cst.BaseExpression] = set()
        self.coded: set[int] = set()  # the ids of the entries of tables of codes, which bind no names

    # -- scopes -------------------------------------------------------------------------------
    def _enter(self, node: ScopeNode, kind: str, name: str) -> None:
        scope = Scope(node, self.scope, kind, name, statement_depth=len(self.statements))
        if name:
            self.scope.children[name] = scope
        self.scope = scope
        self.loops.append(0)
        self.reads.append([])
        self.looped.append([])
        self.written.append(0)
        self.looped_from.append(0)

    def _leave(self) -> None:
        """Keep the reads of the scope left that a later assignment follows (few), once all its
        assignments are known."""
        assert self.scope.parent is not None
        assignments, filled = self.scope.assignments, self.scope.filled
        for node, count, fills in self.reads.pop():
            if count < len(assignments.get(node.value, ())):
                self.before[node] = count
            if fills < len(filled.get(node.value, ())):
                self.filled_before[node] = fills
        self.scope = self.scope.parent
        self.loops.pop()
        self.looped.pop()
        self.written.pop()
        self.looped_from.pop()

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

    # -- the walk -----------------------------------------------------------------------------
    def walk(self, node: cst.CSTNode) -> None:
        """Visit `node` and its descendants in source order, calling `visit_<Type>` and `leave_<Type>`.

        libcst's own `visit` rebuilds and re-validates every node on the way back up, which costs
        most of the walk; reading the dataclass fields directly visits the same nodes in the same
        order without building anything. Statements are tracked so sites know their statement."""
        kind = type(node)
        handlers = self._handlers.get(kind)
        if handlers is None:
            handlers = self._handlers[kind] = _Handlers(
                getattr(self, f"visit_{kind.__name__}", None), getattr(self, f"leave_{kind.__name__}", None),
                issubclass(kind, (cst.SimpleStatementLine, cst.BaseCompoundStatement)), child_fields(kind))
        if handlers.statement:
            self.statements.append(node)
        if handlers.visit is not None:
            handlers.visit(node)
        for name in handlers.fields:
            value = getattr(node, name)
            kind = type(value)
            if kind is tuple or kind is list:
                for item in value:
                    if is_node_type(type(item)):
                        self.walk(item)
            elif is_node_type(kind):
                self.walk(value)
        if handlers.leave is not None:
            handlers.leave(node)
        if handlers.statement:
            self.statements.pop()

    def _site(self, kind: str, node: cst.CSTNode, name: str = "",
              value: Optional[cst.BaseExpression] = None, target: Optional[cst.BaseExpression] = None) -> None:
        statement = self.statements[-1] if self.statements else None
        self.sites.append(Site(kind, node, self.scope, name, value, statement, target))

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
        self.iterated.add(node.iter)
        self._enter_loop(node)
        # rebound at the start of every round: what the body assigns to them later reaches no read
        # before that assignment in the next round (`for key, value in ...: print(value); value = pw`)
        for name in _target_names(node.target):
            self._written(name, node.iter)

    # Loops, where a value assigned later in the code reaches a read in the next round; and
    # comprehensions, whose element the walk reads before the `for` that binds it.
    def _enter_loop(self, node: cst.CSTNode) -> None:
        if not self.loops[-1]:
            self.looped_from[-1] = self.written[-1] + 1
        self.loops[-1] += 1

    def _leave_loop(self, node: cst.CSTNode) -> None:
        """At the end of the outermost loop, its reads are reached by what was assigned so far: a
        later round sees the loop's own later assignments, never those after the loop."""
        self.loops[-1] -= 1
        if not self.loops[-1] and self.looped[-1]:
            for read in self.looped[-1]:
                self._read(read)
            self.looped[-1].clear()

    visit_While = visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _enter_loop
    leave_For = leave_While = leave_ListComp = leave_SetComp = leave_DictComp = leave_GeneratorExp = _leave_loop

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._bind_loose(node.target, node.iter)
        self.iterated.add(node.iter)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        # `with open(p, "w") as f`: f is what open() returned, so `f.write` resolves to `open().write`
        if node.asname is not None and isinstance(node.asname.name, cst.Name):
            self.scope.bind(node.asname.name.value, node.item)
        elif node.asname is not None:
            self._bind_loose(node.asname.name, None)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None and isinstance(node.name.name, cst.Name):
            self.scope.opaque.add(node.name.name.value)
            self.scope.caught.add(node.name.name.value)

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is None:
            return
        self.scope.returns.append(node.value)
        guards = tuple(s for s in self.statements[self.scope.statement_depth:] if isinstance(s, cst.If))
        statement = self.statements[-1] if self.statements else None
        self.sites.append(Site("return", node, self.scope, value=node.value, statement=statement, guards=guards))

    def _written(self, name: str, value: cst.BaseExpression) -> None:
        """Where and in what order an assignment is made, for the reads after it (`_shadow`)."""
        self.written[-1] += 1
        self.writes.setdefault(id(self.scope), {}).setdefault(name, []).append(
            (value, tuple(self.blocks), self.statements[-1], self.written[-1]))

    def _bind_target(self, target: cst.BaseExpression, value: cst.BaseExpression, node: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            self.scope.bind(target.value, value)
            self._written(target.value, value)
            self._site("bind", node, name=target.value, value=value, target=target)
        elif isinstance(target, cst.Attribute):
            self._bind_attribute(target, value)
            self._site("bind", node, name=target.attr.value, value=value, target=target)
        elif isinstance(target, cst.Subscript):
            # `config["hosts"][i] = entry` has no key name, but is still a place a value is stored
            key = subscript_key(target)
            self._site("bind", node, name=key or "", value=value, target=target)
            # a record built entry by entry (`auth["auth"] = (user, pw)`), or one it was given, also a
            # nested one (`data["smtp"]["password"] = pw` fills `data`)
            holder = target.value
            while isinstance(holder, cst.Subscript):
                holder = holder.value
            if isinstance(holder, cst.Name) and key is not None and (
                    holder.value in self.scope.assignments or holder.value in self.scope.params):
                self.scope.filled.setdefault(holder.value, []).append(value)
                self.scope.filled_keys.setdefault(holder.value, {}).setdefault(key, []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            values = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
            if values is not None and len(values) == len(target.elements):
                for element, element_value in zip(target.elements, values):
                    self._bind_target(element.value, element_value.value, node)
            else:
                self._bind_loose(target, value)

    def _bind_attribute(self, target: cst.Attribute, value: cst.BaseExpression) -> None:
        """Record `self.X = v` in a method on its class, so other methods reading `self.X` see v."""
        owner = self.scope.enclosing_class()
        if owner is not None and isinstance(target.value, cst.Name) and target.value.value == self.scope.self_name():
            owner.attributes.setdefault(target.attr.value, []).append((value, self.scope))

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

    def visit_Dict(self, node: cst.Dict) -> None:
        self.coded.update(map(id, _table_entries(node.elements)))

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if isinstance(node.key, cst.SimpleString) and id(node) not in self.coded:
            key = node.key.evaluated_value
            if isinstance(key, str):
                self._site("bind", node, name=key, value=node.value, target=node.key)

    # -- reads ---------------------------------------------------------------------------------
    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self.blocks.append(id(node))

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self.blocks.pop()

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self.blocks.append(id(node))

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self.blocks.pop()

    def visit_Name(self, node: cst.Name) -> None:
        """Record the values of a name assigned more than once that cannot reach this read: those
        before an assignment in a block around the read, which runs before it on every path (a
        statement of the same block, or of one the read is nested in; never the read's own). An
        assignment made from the name itself (`key = wsgi_to_str(key)`) changes what it holds, so
        what it held before still reaches the read. The read's own assignment comes after it:
        `command = self._build(command)` hands on what `command` held, not what `_build` returns."""
        statement = self.statements[-1] if self.statements else None
        scrubs = self.scrubs.get(id(self.scope), _NO_WRITES).get(node.value)
        if scrubs is not None:
            self._scrubbed(node, scrubs, statement)
        # overwritten in this round of the loop: the loop's later assignments cannot reach the read either
        fresh = self._shadow(node, statement)
        if self.scope.kind == "function":
            if self.loops[-1] and not fresh:
                self.looped[-1].append(node)
            else:
                self._read(node)

    def _shadow(self, node: cst.Name, statement: Optional[cst.CSTNode]) -> bool:
        """Record the values an assignment before the read overwrote (`shadowed`; `replaced`: also
        what the name was given), and the latest assignment from the name itself after it
        (`rewritten`); whether the overwriting assignment was made inside the loops around the read."""
        writes = self.writes.get(id(self.scope), _NO_WRITES).get(node.value)
        if writes is None:
            return False
        own = (writes[-1][0],) if writes[-1][2] is statement else ()
        for index in range(len(writes) - 1, -1, -1):
            value, around, where, order = writes[index]
            if not self._runs_before(around, where, statement):
                continue
            if self._reads(value, node.value):
                self.rewritten.setdefault(node, value)  # the latest such one
                continue
            self.replaced.add(node)
            if not index and not self.loops[-1]:
                break  # the first assignment overwrites nothing before it; in a loop, it may make the read fresh
            if index or own:
                self.shadowed[node] = tuple(value for value, _, _, _ in writes[:index]) + own
            return bool(self.loops[-1]) and order >= self.looped_from[-1]
        if own:
            self.shadowed[node] = own
        return False

    def _runs_before(self, around: tuple[int, ...], where: cst.CSTNode, statement: Optional[cst.CSTNode]) -> bool:
        """Whether a statement met earlier, in the blocks `around`, runs before the one walked on every
        path to it: it sits in the same block or one this is nested in, and is not this one."""
        return where is not statement and tuple(self.blocks[:len(around)]) == around

    def _read(self, node: cst.Name) -> None:
        """Record how many assignments can reach a read in a function. A name neither given nor yet
        assigned is a global's or a builtin's (read before its first assignment, a local would be
        unbound), or one bound only by other means so far (a loop's `key, value`): no later
        assignment can reach it."""
        before = len(self.scope.assignments.get(node.value, ()))
        if before or node.value in self.scope.params or node.value in self.scope.opaque:
            self.reads[-1].append((node, before, len(self.scope.filled.get(node.value, ()))))

    def _scrubbed(self, node: cst.Name, scrubs: list[tuple[str, tuple[int, ...], cst.CSTNode]],
                  statement: Optional[cst.CSTNode]) -> None:
        """The keys taken out of a name before this read, in a block around it."""
        keys = tuple(key for key, around, where in scrubs if self._runs_before(around, where, statement))
        if keys:
            self.scrubbed[node] = keys

    def _scrub(self, container: cst.BaseExpression, key: Optional[str]) -> None:
        if isinstance(container, cst.Name) and key is not None and self.statements:
            self.scrubs.setdefault(id(self.scope), {}).setdefault(container.value, []).append(
                (key, tuple(self.blocks), self.statements[-1]))

    def visit_Del(self, node: cst.Del) -> None:
        targets = node.target.elements if isinstance(node.target, cst.Tuple) else [node.target]
        for target in targets:
            target = target.value if isinstance(target, cst.Element) else target
            if isinstance(target, cst.Subscript):
                self._scrub(target.value, subscript_key(target))

    def _reads(self, value: cst.CSTNode, name: str) -> bool:
        """Whether an assigned value reads the name it is assigned to; walked once per value, and
        only for a name assigned again."""
        key = (id(value), name)
        if key not in self.reading:
            self.reading[key] = any(isinstance(node, cst.Name) and node.value == name for node in descendants(value))
        return self.reading[key]

    # -- calls and comparisons ----------------------------------------------------------------
    def visit_Call(self, node: cst.Call) -> None:
        self._site("call", node)
        for arg in node.args:
            if arg.keyword is not None:
                self._site("bind", arg, name=arg.keyword.value, value=arg.value)
        self._fill(node)
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "pop" and node.args \
                and isinstance(node.args[0].value, cst.SimpleString):
            key = node.args[0].value.evaluated_value
            self._scrub(func.value, key if isinstance(key, str) else None)

    def _fill(self, node: cst.Call) -> None:
        """`lines.append(value)` on a list this function made, `config.update({...})` on a dict: the
        container holds the value. (Only a dict takes `update`: a hash object's holds no password.)"""
        func = node.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)
                and func.value.value in self.scope.assignments):
            return
        method, name = func.attr.value, func.value.value
        if method in _FILLING_METHODS:
            values = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
            index = 1 if method == "insert" else 0
            values = values[index:index + 1]
        elif method in _MAPPING_METHODS and all(_makes_dict(value) for value in self.scope.assignments[name]):
            values = [arg.value for arg in node.args]  # `update(other, KEY=value)`; `setdefault(key, value)`
            values = values[-1:] if method == "setdefault" else values
            self.scope.filled_keys.setdefault(name, {})
        else:
            return
        self.scope.filled.setdefault(name, []).extend(values)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        self._site("compare", node)
