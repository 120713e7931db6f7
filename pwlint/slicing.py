"""Blank out the definitions no rule can fire in, so that libcst parses only the rest.

The prefilter keeps whole files, and a file that names a password is mostly code that does not:
on Django 5.1.4, 71 % of the kept text is functions and methods no rule looks at, and libcst's
parse is the largest cost of a scan. `ast` (the interpreter's own parser, in C, about nine times
faster) finds the top-level functions and classes and the methods of top-level classes; the ones
that cannot take part in a finding are replaced by a statement as many lines long (`pass`, or a
string of line breaks), so every body stays a body and every kept node keeps its line and column.
A method of a class with bases becomes an empty method of the same name, so that `self.url()`
still runs the subclass's own `url`, not a base's that handles a password.
`ast` also gives the `Layout`, where each statement starts, which `positions` shifts by.

A definition is kept when its own text (decorators included)
- names a password: a flow may start, pass or end in it (the prefilter's test of a file);
- holds a token of a pattern that needs no password (work factors, framework settings);
- is a function or class the project calls with a password among the arguments (`Focus.called`,
  the prefilter's helper names): the password is handed to it;
- reads a *carrier*: a module global or `self` attribute that an assignment naming a password
  sets elsewhere in the file (`self._secret = password`, then `execute(q, self._secret)`), or
  one set from a local that such an assignment sets (`uri = f"{user}:{password}@{host}"`, then
  `self.proxy = {"https": uri}`);
- takes a password from a kept one in this file under another name: it is called by one with
  arguments (`self._execute(cursor, params)`), or it calls one whose `return` names a password
  (`params = self._get_params()`);
- is the `__init__` of a class with a kept method: it sets the attributes they read, which
  constant folding follows (`self._salt = b"..."`, then `PBKDF2HMAC(salt=self._salt, ...)`);
- is a property's setter for an attribute a chosen file assigns (`Focus.setters`): the rules ask
  whether the class converts what is assigned (`@payload.setter` encrypts it) before they report.
A class the project calls with a password is kept whole: its `__init__` takes the password. A
base of a chosen file's class (`Focus.bases`) keeps its statement, so the subclass's attributes set
by an inherited `__init__` resolve, and its methods are sliced like any other class's. A
class of attributes alone (`class PageViewRestriction(BaseViewRestriction): pass`) is kept, like the
module's constants: constants are read through it.
Everything else at the top of the module or of a class (imports, constants, class attributes,
nested classes) is always kept: names, constant folding and rules read it.

A function kept for its own text alone is sliced again, statement by statement (a test method
names a password in one call of twenty). A statement of its body is kept when it passes the same
test, holds a call some `calls` condition looks for, reads a parameter, or is linked to a kept one
by a local name or `self` attribute, either way: it binds or changes what a kept one reads (the
value is folded or followed back), or it reads what a kept one binds or changes (the password
flows on; the object holding it is saved). The conditions that read a whole scope (`flows-into`,
`saved-by`, `calls`) thus see every statement that can answer them. Compound statements are kept
or blanked whole.

The bounds are the prefilter's, one level down: a password returned under another name twice
over (`return self._get_params()`, with no password word in it) reaches a caller that is blanked
unless it has tokens of its own, and likewise a statement (`key = vault.secret()`, from another
module) that nothing links to a kept one; `--no-prefilter` parses everything. On the labelled
corpus, Django 5.1.4 with its tests and a site-packages folder, the findings are the same either
way.
A file `ast` cannot parse (a syntax error, a newer grammar than the running interpreter's) is
parsed whole, so libcst reports its problem.
"""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, replace
from typing import Iterable, Iterator, Optional, Sequence, Union

from pwlint.parsing import LINE_BREAK
from pwlint.prefilter import Focus, setters_in

_Definition = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef]
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPOUND = tuple(getattr(ast, name) for name in ("FunctionDef", "AsyncFunctionDef", "ClassDef", "If", "For", "AsyncFor",
                                                  "While", "With", "AsyncWith", "Try", "TryStar", "Match")
                  if hasattr(ast, name))
_LINE_BREAK = re.compile(f"({LINE_BREAK.pattern})")  # splits keeping the breaks
_BYTE_LINE_BREAK = re.compile(LINE_BREAK.pattern.encode())
_SELF = frozenset({"self", "cls"})  # a method's own object: `self.x` is a name of its own, `self` alone none
_DEFINED = re.compile(rb"(?<![A-Za-z0-9_])(?:def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class _Span:
    first: int  # 1-based, the first decorator's line
    last: int
    defines: str = ""  # a method's name, which its blank keeps defined (see `_blank`)


@dataclass(frozen=True)
class Layout:
    """Where statements start, from `ast`, so positions need not render the code before a node
    (`positions.py`). A statement is named by its path of indices through the bodies of the
    functions and classes around it, counting statements as libcst does (`a = 1; b = 2` is one)."""

    lines: dict[tuple[int, ...], int]  # path -> the line the statement starts on (`def`, not a decorator)
    sizes: dict[tuple[int, ...], int]  # path of a function or class (() the module) -> statements in its body


@dataclass(frozen=True)
class Slice:
    text: str  # what libcst parses: the file's text, or it with definitions blanked
    layout: Optional[Layout]  # None where `ast` cannot parse the file


def slice_source(text: str, data: bytes, focus: Optional[Focus]) -> Slice:
    """`text` (the decoded `data`) with the definitions `focus` rules out blanked (none without a
    focus), and its layout; `text` itself when `ast` cannot parse it."""
    tree = _parse(data)
    if tree is None:
        return Slice(text, None)
    layout = _layout(tree)
    if focus is None:
        return Slice(text, layout)
    whole = data.lower()
    narrowed = Focus(focus.password.within(whole), focus.standalone.within(whole), focus.called,
                     focus.scoped.within(whole), focus.bases, focus.setters)
    spans = list(_ruled_out(tree, _BYTE_LINE_BREAK.split(whole), narrowed))
    return Slice(_blank(text, spans) if spans else text, layout)


def dependence(data: bytes, focus: Optional[Focus]) -> bytes:
    """All that the slice of `data` depends on besides the bytes: the focus's token groups, and of
    the names the project calls with a password, those this file may define (a superset of its
    functions, classes and methods). What a result cache keys a model on."""
    if focus is None:
        return b"whole"
    defined = {name.decode("ascii") for name in _DEFINED.findall(data)}
    groups = [focus.password.described, focus.scoped.described,
              [[group.described for group in entry] for entry in focus.standalone.entries]]
    setters = {name.decode("ascii") for name in setters_in(data)}
    return repr((groups, sorted(focus.called & defined), sorted(focus.bases & defined),
                 sorted(focus.setters & setters))).encode("utf-8")


def _layout(tree: ast.Module) -> Layout:
    layout = Layout({}, {})
    pending: list[tuple[tuple[int, ...], Sequence[ast.stmt]]] = [((), tree.body)]
    while pending:
        path, body = pending.pop()
        groups = _statement_lines(body)
        layout.sizes[path] = len(groups)
        for index, group in enumerate(groups):
            layout.lines[(*path, index)] = group[0].lineno
            if isinstance(group[0], (*_FUNCTIONS, ast.ClassDef)):
                pending.append(((*path, index), group[0].body))
    return layout


def _statement_lines(body: Sequence[ast.stmt]) -> list[list[ast.stmt]]:
    """Statements grouped as libcst groups them: simple statements that share a line (`a = 1; b = 2`)."""
    groups: list[list[ast.stmt]] = []
    for statement in body:
        previous = groups[-1][-1] if groups else None
        if (previous is not None and _simple(previous) and _simple(statement)
                and statement.lineno == (previous.end_lineno or previous.lineno)):
            groups[-1].append(statement)
        else:
            groups.append([statement])
    return groups


def _simple(statement: ast.stmt) -> bool:
    return not isinstance(statement, _COMPOUND)


def _parse(data: bytes) -> Optional[ast.Module]:
    try:
        with warnings.catch_warnings():  # invalid escapes and the like are libcst's and the user's business
            warnings.simplefilter("ignore")
            return ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return None


def _ruled_out(tree: ast.Module, lowered: Sequence[bytes], focus: Focus) -> Iterator[_Span]:
    """The spans of the definitions no rule can fire in."""
    definitions = [node for node in tree.body if isinstance(node, (*_FUNCTIONS, ast.ClassDef))]
    texts = {id(node): _text(node, lowered) for node in _units(definitions)}
    carriers = _carrier_pattern(tree, definitions, texts, lowered, focus)

    def wanted_alone(node: _Definition) -> bool:
        text = texts[id(node)]
        return (node.name in focus.called or _sets(node, focus.setters) or focus.password.found_in(text)
                or focus.standalone.found_in(text)
                or bool(carriers and carriers.search(text)))

    alone = {id(node) for node in _units(definitions) if wanted_alone(node)}
    wanted, returning = _handed_on(definitions, texts, lowered, focus, set(alone))
    seeds = _Seeds(focus, carriers, returning)
    for node in definitions:
        if not isinstance(node, ast.ClassDef):
            if id(node) not in wanted:
                yield _span(node)
            elif id(node) in alone and node.name not in focus.called:
                yield from _unneeded_statements(node, lowered, seeds)
        elif node.name not in focus.called:
            methods = [method for method in node.body if isinstance(method, _FUNCTIONS)]
            unwanted = [method for method in methods if id(method) not in wanted]
            if len(unwanted) < len(methods):  # `__init__` sets what the kept ones read (`self._salt = b"..."`)
                unwanted = [method for method in unwanted if method.name != "__init__"]
            # a class of attributes alone is constants, kept like the module's (`Restriction(Base): pass`
            # names the constants it inherits)
            if methods and len(unwanted) == len(methods) and id(node) not in wanted and node.name not in focus.bases:
                yield _span(node)
                continue
            # a method blanked in a subclass still overrides its base's: `self.url()` must not reach the base's
            yield from (replace(_span(method), defines=method.name if node.bases else "") for method in unwanted)
            for method in methods:
                if id(method) in alone and id(method) in wanted:
                    yield from _unneeded_statements(method, lowered, seeds)


def _sets(node: _Definition, attributes: frozenset[str]) -> bool:
    """A property's setter for one of the attributes (`@payload.setter`): what it makes of a
    value is what is stored."""
    return any(isinstance(decorator, ast.Attribute) and decorator.attr == "setter"
               and isinstance(decorator.value, ast.Name) and decorator.value.id in attributes
               for decorator in getattr(node, "decorator_list", ()))


def _handed_on(definitions: Sequence[_Definition], texts: dict[int, bytes], lowered: Sequence[bytes],
               focus: Focus, wanted: set[int]) -> tuple[set[int], Optional[re.Pattern[bytes]]]:
    """`wanted` grown by the functions and methods of this file that take a password from wanted
    ones under any name: those that wanted ones call with arguments (`self._execute(cursor,
    params)`), and those that call a wanted one whose `return` names a password
    (`params = self._get_params()`, which returns `{"password": ...}`); and a search for those
    calls."""
    by_name: dict[bytes, list[_Definition]] = {}
    for node in _units(definitions):
        if not isinstance(node, ast.ClassDef):
            by_name.setdefault(node.name.lower().encode(), []).append(node)
    units = [node for node in _units(definitions) if not isinstance(node, ast.ClassDef)]  # methods speak for themselves
    pending = [node for node in units if id(node) in wanted]
    returning: set[bytes] = set()
    calls = None
    while pending:
        while pending:
            node = pending.pop()
            called, returns = _hands_on(node, lowered, focus)
            if returns:
                returning.add(node.name.lower().encode())
            for callee in (callee for name in called & by_name.keys() for callee in by_name[name]):
                if id(callee) not in wanted:
                    wanted.add(id(callee))
                    pending.append(callee)
        if returning:
            calls = re.compile(rb"(?<![a-z0-9_])(?:" + b"|".join(map(re.escape, sorted(returning))) + rb")[ \t]*\(")
            pending = [node for node in units if id(node) not in wanted and calls.search(texts[id(node)])]
            wanted.update(id(node) for node in pending)
    return wanted, calls


def _hands_on(node: _Definition, lowered: Sequence[bytes], focus: Focus) -> tuple[set[bytes], bool]:
    """The names (lower-cased) of what `node` calls with something other than literals (`f(x)`,
    `self.g(key=value)`, not `self.h()` or `log("done")`), and whether a `return` names a password."""
    called: set[bytes] = set()
    returns = False
    for child in _walk(node):
        if isinstance(child, ast.Call) and any(not isinstance(argument, ast.Constant) for argument in
                                               [*child.args, *(keyword.value for keyword in child.keywords)]):
            if isinstance(child.func, ast.Name):
                called.add(child.func.id.lower().encode())
            elif isinstance(child.func, ast.Attribute):
                called.add(child.func.attr.lower().encode())
        elif isinstance(child, ast.Return) and child.value is not None and not returns:
            returns = focus.password.found_in(_text(child, lowered))
    return called, returns


@dataclass(frozen=True)
class _Seeds:
    """What makes a statement of a kept function worth parsing on its own."""

    focus: Focus
    carriers: Optional[re.Pattern[bytes]]
    returning: Optional[re.Pattern[bytes]]  # calls of this file's functions whose `return` names a password

    def found_in(self, text: bytes) -> bool:
        return (self.focus.password.found_in(text) or self.focus.standalone.found_in(text)
                or self.focus.scoped.found_in(text) or any(search is not None and search.search(text) for search in (self.carriers, self.returning)))


@dataclass
class _Unit:
    """A statement of a function's body (or statements sharing a line), with the names it binds
    or changes and the names it reads; `self.x` counts as a name of its own."""

    span: _Span
    stores: set[str]
    loads: set[str]
    needed: bool


def _unneeded_statements(function: Union[ast.FunctionDef, ast.AsyncFunctionDef], lowered: Sequence[bytes],
                         seeds: _Seeds) -> Iterator[_Span]:
    """The statements of a kept function that no finding or flow can involve (the module
    docstring says which are needed), blanked like unwanted definitions. A statement that shares
    its first line with what comes before it (`def f(): return x`) is needed: a blank cannot
    replace part of a line. So are `global` and `nonlocal`, which decide what names mean."""
    parameters = {argument.arg for argument in _arguments(function.args)} - _SELF
    units: list[_Unit] = []
    for group in _statement_lines(function.body):
        first, last = group[0], group[-1]
        span = _Span(_span(first).first, last.end_lineno or last.lineno)
        stores, loads = _names(group)
        needed = (any(isinstance(statement, (ast.Global, ast.Nonlocal)) for statement in group) or bool(loads & parameters)
                  or not _starts_line(first, span, lowered) or seeds.found_in(_span_text(span, lowered)))
        units.append(_Unit(span, stores, loads, needed))
    stored: set[str] = set().union(*(unit.stores for unit in units if unit.needed))
    loaded: set[str] = set().union(*(unit.loads for unit in units if unit.needed))
    grown = True
    while grown:
        grown = False
        for unit in units:
            if not unit.needed and (unit.loads & stored or unit.stores & loaded):
                unit.needed = grown = True
                stored |= unit.stores
                loaded |= unit.loads
    yield from (unit.span for unit in units if not unit.needed)


def _arguments(arguments: ast.arguments) -> Iterator[ast.arg]:
    yield from (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
    yield from (argument for argument in (arguments.vararg, arguments.kwarg) if argument is not None)


def _names(statements: Sequence[ast.stmt]) -> tuple[set[str], set[str]]:
    """The names `statements` bind or change (targets, the objects under an attribute or item
    assigned, the receivers of method calls given anything but literals) and the names they read."""
    stores: set[str] = set()
    loads: set[str] = set()
    for statement in statements:
        for node in _walk(statement):
            if isinstance(node, ast.Name):
                if node.id not in _SELF:
                    (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
            elif isinstance(node, ast.Attribute):
                if isinstance(node.value, ast.Name) and node.value.id in _SELF:
                    (loads if isinstance(node.ctx, ast.Load) else stores).add(f"self.{node.attr}")
                elif not isinstance(node.ctx, ast.Load):
                    stores.update(_owner(node.value))
            elif isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
                stores.update(_owner(node.value))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and any(
                    not isinstance(argument, ast.Constant) for argument in
                    [*node.args, *(keyword.value for keyword in node.keywords)]):
                stores.update(_owner(node.func.value))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                stores.add(node.name)
            elif isinstance(node, ast.alias):
                stores.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, ast.ExceptHandler) and node.name:
                stores.add(node.name)
            elif getattr(node, "name", None) and isinstance(node, ast.pattern):  # match captures
                stores.add(node.name)
    return stores, loads


def _owner(expression: ast.expr) -> tuple[str, ...]:
    """The name a store into `expression` changes: `user` for `user.profile`, `self.config` for
    `self.config["hosts"]`; none for `self` alone or a value that has no name (`f().x`)."""
    while isinstance(expression, (ast.Attribute, ast.Subscript, ast.Call)):
        inner = expression.func if isinstance(expression, ast.Call) else expression.value
        if isinstance(expression, ast.Attribute) and isinstance(inner, ast.Name) and inner.id in _SELF:
            return (f"self.{expression.attr}",)
        expression = inner
    return (expression.id,) if isinstance(expression, ast.Name) and expression.id not in _SELF else ()


def _starts_line(statement: ast.stmt, span: _Span, lowered: Sequence[bytes]) -> bool:
    """Whether the statement (or its first decorator) is the first thing on its line."""
    line = lowered[span.first - 1]
    if span.first < statement.lineno:
        return line.lstrip(b" \t\f").startswith(b"@")
    return len(line) - len(line.lstrip(b" \t\f")) == statement.col_offset


def _span_text(span: _Span, lowered: Sequence[bytes]) -> bytes:
    return b"\n".join(lowered[span.first - 1:span.last])


def _walk(root: ast.AST) -> Iterator[ast.AST]:
    """`root` and every node under it but the `Load`/`Store` markers, in no particular order:
    twice as fast as `ast.walk`, which slicing spent a third of its time in."""
    pending = [root]
    while pending:
        node = pending.pop()
        yield node
        for name in node._fields:
            value = getattr(node, name)
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):  # not the names of `global`, nor a `None` key of `{**d}`
                        pending.append(item)
            elif isinstance(value, ast.AST) and not isinstance(value, ast.expr_context):
                pending.append(value)


def _units(definitions: Iterable[_Definition]) -> Iterator[_Definition]:
    for node in definitions:
        yield node
        if isinstance(node, ast.ClassDef):
            yield from (method for method in node.body if isinstance(method, _FUNCTIONS))


def _span(node: ast.stmt) -> _Span:
    """A statement's lines, a definition's decorators included."""
    return _Span(min([node.lineno, *(decorator.lineno for decorator in getattr(node, "decorator_list", ()))]),
                 node.end_lineno or node.lineno)


def _text(node: ast.stmt, lowered: Sequence[bytes]) -> bytes:
    return _span_text(_span(node), lowered)


def _carrier_pattern(tree: ast.Module, definitions: Sequence[_Definition], texts: dict[int, bytes],
                     lowered: Sequence[bytes], focus: Focus) -> Optional[re.Pattern[bytes]]:
    """A search for the carriers: the module globals and `self` attributes that an assignment
    naming a password sets (at the module's top level, or in a method that names a password: on a
    line that names one, or from a local set on such a line, `proxy_uri = f"{user}:{password}@{host}"`
    then `self.proxy = {"http": proxy_uri}`). Carriers that name a password themselves need no search."""
    names = {target.id.lower().encode() for statement in tree.body for target in _assigned(statement)
             if isinstance(target, ast.Name) and focus.password.found_in(_text(statement, lowered))}
    for node in definitions:
        if isinstance(node, ast.ClassDef):
            for method in node.body:
                if isinstance(method, _FUNCTIONS) and focus.password.found_in(texts[id(method)]):
                    names.update(_self_carriers(method, lowered, focus))
    plain = sorted(name for name in names if not focus.password.found_in(name))
    if not plain:
        return None
    return re.compile(rb"(?<![a-z0-9_.])(?:self\.)?(?:" + b"|".join(map(re.escape, plain)) + rb")(?![a-z0-9_])")


def _self_carriers(method: _Definition, lowered: Sequence[bytes], focus: Focus) -> Iterator[bytes]:
    """The `self` attributes a method's assignments set from a password, directly or through one
    local. A call is read on its first line alone: spread over lines, it names its arguments
    (`self.superuser = User.objects.create_superuser(\n username=..., password=...)` makes a user,
    which a Django test suite reads in most of its methods), and it was a password only if it says
    so where it starts."""
    assignments = [(node, lowered[node.lineno - 1] if isinstance(node.value, ast.Call) else _text(node, lowered))
                   for node in _statements(method.body)
                   if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value is not None]
    locals_ = {target.id.lower().encode() for node, text in assignments if focus.password.found_in(text)
               for target in _assigned(node) if isinstance(target, ast.Name)}
    mention = re.compile(rb"(?<![a-z0-9_.])(?:" + b"|".join(map(re.escape, sorted(locals_))) + rb")(?![a-z0-9_])") \
        if locals_ else None
    for node, text in assignments:
        if focus.password.found_in(text) or mention is not None and mention.search(text):
            yield from (target.attr.lower().encode() for target in _assigned(node) if isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name) and target.value.id == "self")


def _statements(body: Sequence[ast.AST]) -> Iterator[ast.AST]:
    """The statements of a body and of the blocks in them, without walking their expressions."""
    for statement in body:
        yield statement
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            inner = getattr(statement, name, None)
            if isinstance(inner, list):
                yield from _statements(inner)


def _assigned(statement: ast.AST) -> Iterator[ast.expr]:
    """What an assignment statement sets (`a`, `self.b` of `a, self.b = ...`); nothing for any other."""
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)) and statement.value is not None:
        targets = [statement.target]
    else:
        return
    for target in targets:
        yield from target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]


def _blank(text: str, spans: Iterable[_Span]) -> str:
    """Each span replaced by a statement as long: `pass` on one line, a string of line breaks
    over several. libcst makes a node of every blank line, so emptied lines would cost about half
    of what the code they replace did; one string token costs nothing. A method's blank keeps its
    name defined, as an empty method (`def url(): pass`)."""
    parts = _LINE_BREAK.split(text)  # line, break, line, break, ..., line
    for span in spans:
        first = parts[2 * (span.first - 1)]
        indentation = first[:len(first) - len(first.lstrip(" \t\f"))]
        header = f"def {span.defines}(): " if span.defines else ""
        parts[2 * (span.first - 1)] = indentation + header + ("pass" if span.first == span.last else '"""')
        for line in range(span.first + 1, span.last + 1):
            parts[2 * (line - 1)] = ""
            parts[2 * (line - 1) - 1] = "\n"  # else an emptied line between "\r" and "\n" joins them into one break
        if span.last > span.first:
            parts[2 * (span.last - 1)] = '"""'
    return "".join(parts)
