"""Where reported nodes are: libcst positions, computed one top-level statement at a time.

libcst's `PositionProvider` regenerates the code of a whole module while recording the position
of every node: 0.13 s for Django's `contrib/auth/hashers.py`, more than its parse. A finding needs
a handful of nodes. So a node's top-level statement is found, the statements before it are
rendered without positions (an eighth of the cost) only to count their lines, and positions are
resolved within that one statement, rendered as a module of its own with the same indentation and
line-break defaults, then shifted down by the lines before it.
"""

from __future__ import annotations

import re
from typing import Mapping, Optional

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider

from pwlint.names import child_fields

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Positions:
    """A mapping from the nodes of one module to their `CodeRange`, filled on demand."""

    def __init__(self, module: cst.Module) -> None:
        self._module = module
        self._owners: Optional[dict[int, int]] = None  # id(node) -> index of its top-level statement
        self._starts = [len(module.header)]  # lines before each top-level statement, as far as counted
        self._resolved: dict[int, Mapping[cst.CSTNode, CodeRange]] = {}  # statement index -> positions within it

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        index = self._owner(node)
        if index is None:
            raise KeyError(node)
        within = self._within(index)[node]
        shift = self._start(index)
        return CodeRange(CodePosition(within.start.line + shift, within.start.column),
                         CodePosition(within.end.line + shift, within.end.column))

    def __contains__(self, node: object) -> bool:
        return isinstance(node, cst.CSTNode) and self._owner(node) is not None

    def _owner(self, node: cst.CSTNode) -> Optional[int]:
        if self._owners is None:
            self._owners = {}
            for index, statement in enumerate(self._module.body):
                for member in _subtree(statement):
                    self._owners[id(member)] = index
        return self._owners.get(id(node))

    def _start(self, index: int) -> int:
        while len(self._starts) <= index:
            done = len(self._starts) - 1
            code = self._module.code_for_node(self._module.body[done])
            self._starts.append(self._starts[done] + len(_LINE_BREAK.findall(code)))
        return self._starts[index]

    def _within(self, index: int) -> Mapping[cst.CSTNode, CodeRange]:
        if index not in self._resolved:
            alone = self._module.with_changes(header=(), body=(self._module.body[index],), footer=())
            self._resolved[index] = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
        return self._resolved[index]


def _subtree(root: cst.CSTNode) -> list[cst.CSTNode]:
    found, pending = [], [root]
    while pending:
        node = pending.pop()
        found.append(node)
        for name in child_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                pending.append(value)
            elif isinstance(value, (tuple, list)):
                pending.extend(item for item in value if isinstance(item, cst.CSTNode))
    return found
