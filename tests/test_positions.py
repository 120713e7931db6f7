"""Positions computed one statement at a time (`positions.py`) are libcst's own, for every node."""

from __future__ import annotations

import textwrap

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from pwlint.names import child_fields
from pwlint.positions import Positions
from pwlint.slicing import slice_source

SOURCE = textwrap.dedent('''\
    """Accounts."""
    # -*- coding: utf-8 -*-
    import hashlib; import os

    SALT = os.environ.get("SALT",
                          "fallback")  # a comment after


    @dataclass
    class Store:
        """Kept users."""

        rounds = 1000; name = "store"

        class Meta:
            table = "accounts"

        # a comment before a decorated method
        @property
        @cached
        def hasher(self):
            return hashlib.sha256

        def one_line(self): return 1

        async def save(self, user, password):
            digest = self.hasher(
                (SALT + password).encode()
            ).hexdigest()
            if digest:
                await self.db.put(user, digest)
            return f"""{user}
    stored"""


    def helper(value="secret", *, rounds=10):
        def inner(x):
            return x * 2
        return inner(value)
    ''')


def every_node(module: cst.Module) -> list[cst.CSTNode]:
    """Every node a rule can report: all but whitespace and layout."""
    found, pending = [], list(module.body)
    while pending:
        node = pending.pop()
        found.append(node)
        for name in child_fields(type(node)):
            value = getattr(node, name)
            pending.extend(item for item in (value if isinstance(value, (list, tuple)) else [value])
                           if isinstance(item, cst.CSTNode))
    return found


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("with_layout", [True, False])
def test_every_node_has_libcst_s_own_position(newline: str, with_layout: bool) -> None:
    text = SOURCE.replace("\n", newline)
    sliced = slice_source(text, text.encode(), None)
    module = cst.parse_module(sliced.text)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = Positions(module, sliced.layout if with_layout else None)
    nodes = every_node(module)
    assert len(nodes) > 150
    for node in nodes:
        assert node in positions
        assert positions.start_line(node) == expected[node].start.line, cst.Module([]).code_for_node(node)
    for node in nodes:
        assert positions[node] == expected[node], cst.Module([]).code_for_node(node)
