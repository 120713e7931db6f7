"""Where reported nodes are: libcst positions, computed for one statement at a time.

libcst's `PositionProvider` regenerates the code of a whole module while recording the position
of every node: 0.13 s for Django's `contrib/auth/hashers.py`, more than its parse, and a finding
needs a handful of nodes. So positions are resolved within the statement that holds the node,
rendered as a module of its own: the functions and classes around it kept, with only that
statement in each body, and the module's indentation and line-break defaults. The result is
shifted to the line `ast` found the statement on (`slicing.Layout`). Without a layout (a file
`ast` cannot parse), the statement is a top-level one, and the top-level statements before it are
rendered without positions (an eighth of the cost) to count their lines.
"""

from __future__ import annotations

from typing import Iterator, Mapping, Optional

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, PositionProvider

from pwlint.names import child_fields
from pwlint.parsing import LINE_BREAK
from pwlint.slicing import Layout

_Path = tuple[int, ...]  # indices through the bodies of the functions and classes around a statement
_PASS = cst.SimpleStatementLine((cst.Pass(),))


class Positions:
    """A mapping from the nodes of one module to their `CodeRange`, filled on demand."""

    def __init__(self, module: cst.Module, layout: Optional[Layout] = None) -> None:
        self._module = module
        self._layout = layout
        self._owners: dict[int, _Path] = {}  # id(node) -> the statement that holds it, filled as far as asked
        self._unowned: Optional[Iterator[tuple[_Path, cst.CSTNode, Optional[cst.IndentedBlock]]]] = None
        self._opened: set[_Path] = set()  # functions and classes whose body statements own their own nodes
        self._counted = [len(module.header)]  # without a layout: lines before each top-level statement
        self._resolved: dict[tuple[_Path, bool], tuple[cst.CSTNode, Mapping[cst.CSTNode, CodeRange]]] = {}

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        path = self._owner(node)
        if path is None:
            raise KeyError(node)
        statement = self._chain(path)[-1]
        header = path in self._opened and node is not statement and node is not _block(statement)
        if (path, header) not in self._resolved:
            standing, alone = self._alone(path, header)
            self._resolved[(path, header)] = standing, _resolve(alone)
        standing, within = self._resolved[(path, header)]
        shift = self._shift(path, within[standing])
        return CodeRange(CodePosition(within[node].start.line + shift, within[node].start.column),
                         CodePosition(within[node].end.line + shift, within[node].end.column))

    def start_line(self, node: cst.CSTNode) -> int:
        """The line `node` starts on. A statement's is where `ast` found it, so a function or class
        (whose statement holds a decorator's finding) is not rendered whole for it."""
        path = self._owner(node)
        if path is not None and self._layout is not None and node is self._chain(path)[-1]:
            return self._layout.lines[path]
        return self[node].start.line

    def __contains__(self, node: object) -> bool:
        return isinstance(node, cst.CSTNode) and self._owner(node) is not None

    def _owner(self, node: cst.CSTNode) -> Optional[_Path]:
        """The statement holding `node`, walking statements only as far as needed: most modules
        report one or two nodes, and a walk of every node cost as much as the positions."""
        if self._unowned is None:
            self._unowned = self._statements()
        while id(node) not in self._owners:
            path, statement, block = next(self._unowned, ((), None, None))
            if statement is None:
                return None
            if block is not None:
                self._opened.add(path)
            for member in _subtree(statement, block):
                self._owners[id(member)] = path
        return self._owners[id(node)]

    def _statements(self) -> Iterator[tuple[_Path, cst.CSTNode, Optional[cst.IndentedBlock]]]:
        """Every statement positions are resolved for, with the body it opens if the layout
        describes it (a function or class whose body has as many statements as `ast` saw)."""
        layout = self._layout
        if layout is not None and layout.sizes.get(()) != len(self._module.body):
            layout = self._layout = None  # not the tree `ast` read: count lines instead
        pending: list[tuple[_Path, cst.CSTNode]] = [((index,), statement)
                                                     for index, statement in enumerate(self._module.body)]
        while pending:
            path, statement = pending.pop()
            block = _block(statement)
            if block is None or layout is None or layout.sizes.get(path) != len(block.body):
                yield path, statement, None
            else:
                yield path, statement, block
                pending.extend(((*path, index), child) for index, child in enumerate(block.body))

    def _chain(self, path: _Path) -> list[cst.CSTNode]:
        """The statement at `path`, after the functions and classes around it."""
        chain = [self._module.body[path[0]]]
        for index in path[1:]:
            chain.append(_block(chain[-1]).body[index])
        return chain

    def _alone(self, path: _Path, header: bool) -> tuple[cst.CSTNode, cst.Module]:
        """A module holding the statement at `path` alone inside the definitions around it, and the
        statement as it stands there. For a node in a function's or class's `header` (decorators,
        signature), its body is left out: its statements own their nodes, and a decorated test
        class rendered whole cost 40 ms."""
        chain = self._chain(path)
        standing = chain[-1]
        if header:
            standing = standing.with_changes(body=_block(standing).with_changes(body=(_PASS,)))
        nested = standing
        for outer in reversed(chain[:-1]):
            block = _block(outer)
            nested = outer.with_changes(body=block.with_changes(body=(nested,)))
        return standing, self._module.with_changes(header=(), body=(nested,), footer=())

    def _shift(self, path: _Path, statement: CodeRange) -> int:
        """Lines to add to a position within the statement rendered alone."""
        if self._layout is not None:
            return self._layout.lines[path] - statement.start.line
        counted, body = self._counted, self._module.body
        while len(counted) <= path[0]:
            done = len(counted) - 1
            counted.append(counted[done] + len(LINE_BREAK.findall(self._module.code_for_node(body[done]))))
        return counted[path[0]]


def _block(statement: cst.CSTNode) -> Optional[cst.IndentedBlock]:
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and isinstance(statement.body, cst.IndentedBlock):
        return statement.body
    return None


def _resolve(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """libcst's `PositionProvider` run as its own `_gen_impl` (the method providers implement):
    through `MetadataWrapper.resolve`, libcst also walks the whole tree for batchable providers,
    though none is asked for, which took as long again as the positions."""
    provider = PositionProvider()
    provider._gen_impl(module)
    return provider._computed


def _subtree(root: cst.CSTNode, stop: Optional[cst.CSTNode] = None) -> list[cst.CSTNode]:
    """`root` and the nodes under it, except those under `stop`."""
    found, pending = [], [root]
    while pending:
        node = pending.pop()
        found.append(node)
        if node is stop:
            continue
        for name in child_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                pending.append(value)
            elif isinstance(value, (tuple, list)):
                pending.extend(item for item in value if isinstance(item, cst.CSTNode))
    return found
