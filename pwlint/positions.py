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


class Positions:
    """A mapping from the nodes of one module to their `CodeRange`, filled on demand."""

    def __init__(self, module: cst.Module, layout: Optional[Layout] = None) -> None:
        self._module = module
        self._layout = layout
        self._owners: Optional[dict[int, _Path]] = None  # id(node) -> the statement that holds it
        self._counted = [len(module.header)]  # without a layout: lines before each top-level statement
        self._resolved: dict[_Path, Mapping[cst.CSTNode, CodeRange]] = {}

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        path = self._owner(node)
        if path is None:
            raise KeyError(node)
        statement, alone = self._alone(path)
        if path not in self._resolved:
            self._resolved[path] = _resolve(alone)
        within = self._resolved[path]
        shift = self._shift(path, within[statement])
        return CodeRange(CodePosition(within[node].start.line + shift, within[node].start.column),
                         CodePosition(within[node].end.line + shift, within[node].end.column))

    def __contains__(self, node: object) -> bool:
        return isinstance(node, cst.CSTNode) and self._owner(node) is not None

    def _owner(self, node: cst.CSTNode) -> Optional[_Path]:
        if self._owners is None:
            self._owners = {}
            for path, statement, block in self._statements():
                for member in _subtree(statement, block):
                    self._owners[id(member)] = path
        return self._owners.get(id(node))

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

    def _alone(self, path: _Path) -> tuple[cst.CSTNode, cst.Module]:
        """The statement at `path`, and a module holding it alone inside the definitions around it."""
        chain = [self._module.body[path[0]]]
        for index in path[1:]:
            chain.append(_block(chain[-1]).body[index])
        statement = nested = chain[-1]
        for outer in reversed(chain[:-1]):
            block = _block(outer)
            nested = outer.with_changes(body=block.with_changes(body=(nested,)))
        return statement, self._module.with_changes(header=(), body=(nested,), footer=())

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
