"""Where reported nodes are: libcst positions, computed for one statement at a time.

libcst's `PositionProvider` regenerates the code of a whole module while recording the position
of every node: 0.13 s for Django's `contrib/auth/hashers.py`, more than its parse, and a finding
needs a handful of nodes. So positions are resolved within the statement that holds the node,
rendered on its own at the indentation of the blocks around it, and only as far as the node
asked for (a later node of the same statement renders it further). The result is shifted to
the line `ast` found the statement on (`slicing.Layout`). Without a layout (a file
`ast` cannot parse), the statement is a top-level one, and the top-level statements before it are
rendered without positions (an eighth of the cost) to count their lines.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator, Mapping, Optional

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from pwlint.names import descendants
from pwlint.parsing import LINE_BREAK
from pwlint.slicing import Layout

_Path = tuple[int, ...]  # indices through the bodies of the functions and classes around a statement


class Positions:
    """A mapping from the nodes of one module to their `CodeRange`, filled on demand."""

    def __init__(self, module: cst.Module, layout: Optional[Layout] = None) -> None:
        self._module = module
        self._layout = layout
        self._owners: dict[int, _Path] = {}  # id(node) -> the statement that holds it, filled as far as asked
        self._unowned: Optional[Iterator[tuple[_Path, cst.CSTNode, Optional[cst.IndentedBlock]]]] = None
        self._counted = [len(module.header)]  # without a layout: lines before each top-level statement
        self._resolved: dict[_Path, _Rendered] = {}  # each statement rendered as far as asked

    def __getitem__(self, node: cst.CSTNode) -> CodeRange:
        path = self._owner(node)
        if path is None:
            raise KeyError(node)
        rendered = self._resolved.get(path)
        if rendered is None or node not in rendered.ranges:
            chain = self._chain(path)
            indents = [_indent(_block(outer), self._module) for outer in chain[:-1]]
            rendered = self._resolved[path] = _render(chain[-1], indents, node, self._module)
        within = rendered.ranges[node]
        shift = self._shift(path, rendered.start)
        return CodeRange(CodePosition(within.start.line + shift, within.start.column),
                         CodePosition(within.end.line + shift, within.end.column))

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
            for member in descendants(statement, block):
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

    def _shift(self, path: _Path, start: CodePosition) -> int:
        """Lines to add to a position within the statement rendered alone, which starts at `start`."""
        if self._layout is not None:
            return self._layout.lines[path] - start.line
        counted, body = self._counted, self._module.body
        while len(counted) <= path[0]:
            done = len(counted) - 1
            counted.append(counted[done] + len(LINE_BREAK.findall(self._module.code_for_node(body[done]))))
        return counted[path[0]]


def _block(statement: cst.CSTNode) -> Optional[cst.IndentedBlock]:
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)) and isinstance(statement.body, cst.IndentedBlock):
        return statement.body
    return None


@dataclass(frozen=True)
class _Rendered:
    """A statement rendered as far as some node: the ranges of the nodes rendered whole."""

    start: CodePosition  # where the statement itself starts (after its comments and decorators)
    ranges: Mapping[cst.CSTNode, CodeRange]


class _Reached(Exception):
    """The node asked for is rendered, and where its statement starts is known."""


@dataclass(frozen=False)
class _Stopping(PositionProvidingCodegenState):
    """libcst's position-recording code generation of one statement, stopped as soon as `target`
    is rendered and `standing` (the statement) has started: a node in a function's signature
    does not pay for its body, nor one near the top of a long `with` for the rest of the block.
    A node left half-rendered gets no range: `record_syntactic_position` records only on
    leaving normally, and `after_codegen` is not reached."""

    target: Optional[cst.CSTNode] = None
    standing: Optional[cst.CSTNode] = None
    start: Optional[CodePosition] = None
    reached: bool = False

    def after_codegen(self, node: cst.CSTNode) -> None:
        super().after_codegen(node)
        if node is self.target:
            self.reached = True
            if self.start is not None:
                raise _Reached

    @contextmanager
    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: Optional[cst.CSTNode] = None,
                                  end_node: Optional[cst.CSTNode] = None) -> Iterator[None]:
        start = CodePosition(self.line, self.column)
        if node is self.standing:
            self.start = start  # a statement has no `start_node`; only indented blocks do
            if self.reached:  # a decorator or a leading comment was asked for
                raise _Reached
        yield
        computed = self.provider._computed
        computed[node] = CodeRange(computed[start_node].start if start_node is not None else start,
                                   computed[end_node].end if end_node is not None else
                                   CodePosition(self.line, self.column))


def _render(statement: cst.CSTNode, indents: list[str], target: cst.CSTNode, module: cst.Module) -> _Rendered:
    """Positions in `statement`, rendered at the indentation of the blocks around it, as far as
    `target`. libcst's `PositionProvider` through `MetadataWrapper.resolve` renders the whole
    module, and also walks the tree for batchable providers, though none is asked for."""
    provider = PositionProvider()
    state = _Stopping(default_indent=module.default_indent, default_newline=module.default_newline,
                      provider=provider, target=target, standing=statement)
    for indent in indents:
        state.increase_indent(indent)
    try:
        statement._codegen(state)
    except _Reached:
        pass
    assert state.start is not None
    return _Rendered(state.start, provider._computed)


def _indent(block: Optional[cst.IndentedBlock], module: cst.Module) -> str:
    assert block is not None  # a statement's path runs through the bodies of functions and classes
    return module.default_indent if block.indent is None else block.indent
