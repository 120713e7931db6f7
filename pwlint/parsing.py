"""Read and parse one file with libcst, turning every failure into a `FileProblem`.

The source is decoded once here (PEP 263 declarations and a UTF-8 BOM are honoured by
`tokenize.detect_encoding`), and the text is kept for snippets, so later stages never re-read
the file or regenerate code from the tree.
"""

from __future__ import annotations

import io
import re
import tokenize
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Optional, Union

from pwlint.findings import FileProblem

# Where Python and libcst end a line: str.splitlines() would also break at form feeds and Unicode
# separators, so every snippet after one would show the wrong line.
LINE_BREAK = re.compile(r"\r\n|\r|\n")

if TYPE_CHECKING:
    from pwlint.prefilter import Focus
    from pwlint.slicing import Layout, Slice


@dataclass
class SourceFile:
    path: str  # root-relative POSIX path, as reported
    text: str
    module: "object"  # libcst.Module; typed loosely so this record needs no libcst import
    layout: Optional["Layout"] = None  # where statements start, when `ast` could parse the file

    @property
    def lines(self) -> list[str]:
        """Lines as Python and libcst number them (`LINE_BREAK`)."""
        return LINE_BREAK.split(self.text)


def decode(path: str, data: bytes) -> Union[str, FileProblem]:
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return data.decode(encoding)
    except (SyntaxError, LookupError, UnicodeDecodeError) as error:
        return FileProblem(path, 1, 1, f"cannot decode: {error}")


def _syntax_error_position(message: str, line: int, column: int) -> tuple[int, int]:
    """libcst's native parser puts the real position in its message ("error at 4:0"), not its fields."""
    found = re.search(r"error at (\d+):(\d+)", message)
    if found:
        return int(found.group(1)), int(found.group(2)) + 1
    return line, column + 1


def parse(path: str, data: bytes, focus: Optional["Focus"] = None,
          sliced: Optional["Slice"] = None) -> Union[SourceFile, FileProblem]:
    """The parsed module, or a problem naming the line and column where parsing failed. With a
    `focus`, the definitions it rules out are blanked before parsing (`slicing.py`); the text kept
    for snippets is the file's own. `ast` reads the file first, for the slicing and the layout,
    unless another process did (`sliced`, what `slice_file` made of the same bytes and focus)."""
    import libcst as cst  # imported here: runs that parse nothing never pay for libcst

    from pwlint.slicing import slice_source

    text = _parsable_text(path, data)
    if isinstance(text, FileProblem):
        return text
    try:
        sliced = sliced or slice_source(text, data, focus)
        with _unchecked(cst.CSTNode):
            module = cst.parse_module(sliced.text)
    except cst.ParserSyntaxError as error:
        line, column = _syntax_error_position(error.message, error.raw_line, error.raw_column)
        return FileProblem(path, line, column, f"syntax error: {error.message.splitlines()[0]}")
    except (RecursionError, MemoryError) as error:
        return FileProblem(path, 1, 1, f"cannot parse: {type(error).__name__}")
    except Exception as error:  # noqa: BLE001 - libcst's native parser raises assorted errors
        return FileProblem(path, 1, 1, f"cannot parse: {type(error).__name__}: {error}")
    return SourceFile(path, text, module, sliced.layout)


@contextmanager
def _unchecked(node: type) -> Iterator[None]:
    """libcst checks each node as it is made (`CSTNode.__post_init__` runs `_validate`), a guard
    for trees that code assembles by hand. What its parser makes of source needs none: the check
    was a sixth of the parse on Django with its tests, and it rejects some valid code (LibCST issue
    1061, `() if 0 else(lambda:())`). Nodes made outside the parse (`positions`) are still checked."""
    checked = node.__dict__.get("__post_init__")
    if checked is None:  # a libcst that checks elsewhere: leave it be
        yield
        return
    node.__post_init__ = _unchecked_node  # type: ignore[attr-defined]
    try:
        yield
    finally:
        node.__post_init__ = checked  # type: ignore[attr-defined]


def _unchecked_node(self: object) -> None:
    pass


def slice_file(data: bytes, focus: Optional["Focus"]) -> Optional["Slice"]:
    """What `parse` would slice, made ahead of it in another process (`isolation.Feed`); None where
    `parse` reports a problem before slicing."""
    from pwlint.slicing import slice_source

    text = _parsable_text("", data)
    return None if isinstance(text, FileProblem) else slice_source(text, data, focus)


def _parsable_text(path: str, data: bytes) -> Union[str, FileProblem]:
    """The decoded text, or why there is nothing to parse."""
    text = decode(path, data)
    if isinstance(text, str) and "\x00" in text:
        return FileProblem(path, 1, 1, "cannot parse: file contains null bytes")
    return text
