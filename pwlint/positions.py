"""Where reported nodes are: libcst positions, computed one top-level statement at a time.

libcst's `PositionProvider` regenerates the code of a whole module while recording the position
of every node: 0.13 s for Django's `contrib/auth/hashers.py`, more than its parse. A finding needs
a handful of nodes. So a node's top-level statement is found, the statements before it are
rendered without positions (an eighth of the cost) only to count their lines, and positions are
resolved within that one statement, rendered as a module of its own with the same indentation and
line-break defaults, then shifted down by the lines before it. In a class, the same is done
again for the statements of its body.
"""

from __future__ import annotations

import re
from typing import Callable, Mapping, Optional

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider

from pwlint.names import child_fields

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Positions:
    """A mapping from the nodes of one module to their `CodeRange`, filled on demand. The unit
    positions are resolved for is a top-level statement or, in a class, one statement of its body
    (a test module is often one class of a hundred methods)."""

    def __init__(self, module: cst.Module) -> None:
        self._module = module
        self._owners: Optional[dict[int, _Unit]] = None  # id(node) -> the unit that holds it
        self._starts = [len(module.header)]  # lines before each top-level statement, as far as counted
        self._inner: dict[int, list[int]] = {}  # per class: lines before each body statement, from the class
        self._resolved: dict[_Unit, Mapping[cst.CSTNode, CodeRange]] = {}

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        unit = self._owner(node)
        if unit is None:
            raise KeyError(node)
        within = self._within(unit)[node]
        shift = self._shift(unit)
        return CodeRange(CodePosition(within.start.line + shift, within.start.column),
                         CodePosition(within.end.line + shift, within.end.column))

    def __contains__(self, node: object) -> bool:
        return isinstance(node, cst.CSTNode) and self._owner(node) is not None

    def _owner(self, node: cst.CSTNode) -> Optional[_Unit]:
        if self._owners is None:
            self._owners = {}
            for index, statement in enumerate(self._module.body):
                block = _class_block(statement)
                for member in _subtree(statement, block):
                    self._owners[id(member)] = (index, None)
                for inner, child in enumerate(block.body if block is not None else ()):
                    for member in _subtree(child):
                        self._owners[id(member)] = (index, inner)
        return self._owners.get(id(node))

    def _shift(self, unit: _Unit) -> int:
        index, inner = unit
        body = self._module.body
        shift = _count(self._starts, index, lambda done: self._module.code_for_node(body[done]))
        if inner is not None:
            block = _class_block(body[index])
            counted = self._inner.setdefault(index, [0])
            shift += _count(counted, inner, lambda done: self._module.code_for_node(block.body[done]))
        return shift

    def _within(self, unit: _Unit) -> Mapping[cst.CSTNode, CodeRange]:
        if unit not in self._resolved:
            index, inner = unit
            statement = self._module.body[index]
            if inner is not None:  # the class with this one statement in its body
                block = _class_block(statement)
                statement = statement.with_changes(body=block.with_changes(body=(block.body[inner],)))
            alone = self._module.with_changes(header=(), body=(statement,), footer=())
            self._resolved[unit] = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
        return self._resolved[unit]


_Unit = tuple[int, Optional[int]]  # a top-level statement, and a statement of its body if it is a class


def _class_block(statement: cst.CSTNode) -> Optional[cst.IndentedBlock]:
    if isinstance(statement, cst.ClassDef) and isinstance(statement.body, cst.IndentedBlock):
        return statement.body
    return None


def _count(starts: list[int], index: int, code: Callable[[int], str]) -> int:
    """`starts[index]`, the lines before statement `index`, counting on from what is known."""
    while len(starts) <= index:
        done = len(starts) - 1
        starts.append(starts[done] + len(_LINE_BREAK.findall(code(done))))
    return starts[index]


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
