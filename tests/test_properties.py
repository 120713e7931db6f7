"""Properties over generated programs: whatever the source, a scan gives findings or a diagnostic.

pwlint runs in pre-commit and CI on code nobody has vetted: half-typed files, generated modules,
Python 2 leftovers, binary files with a `.py` name. A traceback there stops a commit or a build for
a reason that has nothing to do with passwords, so the one-file seam the pipeline is made of
(`scan.prepare`, then `scan.analyse_project`; `scan.analyse` joins them) must turn every input into
a list of findings or a `FileProblem`. Programs come from hypothesmith, from Python's grammar (which
libcst may still reject: that must be a `FileProblem`) and from libcst's node types; bytes and text
come from Hypothesis, behind a line that names a password so the prefilter lets them through.

Examples are derandomized and bounded, so the file runs the same cases in CI every time and stays
under a minute on two slow cores.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import textwrap
from typing import Union

import hypothesmith
import libcst
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from pwlint.findings import FileProblem, Finding, ScanResult
from pwlint.prefilter import Focus, Prefilter, Requirements, TokenGroup
from pwlint.reporters.redaction import redact
from pwlint.scan import Settings, analyse, build_engine, load
from pwlint.slicing import slice_source

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # generated code escapes strangely

LOADED = load(Settings())
ENGINE = build_engine(LOADED)
EVERY_FILE = Prefilter(ENGINE.patterns, enabled=False)  # generated programs rarely name a password
AS_SCANNED = Prefilter(ENGINE.patterns)
PASSWORD_LINE = b"password = input()\n"  # what makes the prefilter keep a file of arbitrary bytes
LATIN_1 = b"# -*- coding: latin-1 -*-\n"


def bounded(examples: int) -> settings:
    """The same examples on every run (no database, derandomized), and no deadline: two slow shared
    cores make timings noise. Generated programs are often too deep or too large to use, which
    Hypothesis reports as health checks; that is a property of the generator, not of pwlint."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


Outcome = Union[list[Finding], FileProblem]


def outcome_of(data: bytes, prefilter: Prefilter = EVERY_FILE) -> Outcome:
    """Analyse one file in process, and check the shape of what came back."""
    outcome = analyse("generated.py", data, ENGINE, prefilter)
    assert outcome is not None, "the prefilter dropped a file it was meant to keep"
    assert isinstance(outcome, (list, FileProblem))
    if isinstance(outcome, FileProblem):
        assert outcome.path == "generated.py" and outcome.message
        event(f"problem: {outcome.message.split(':')[0]}")  # --hypothesis-show-statistics tells what was met
    else:
        assert all(isinstance(finding, Finding) for finding in outcome)
        event("findings" if outcome else "no findings")
    return outcome


def everything(outcome: Outcome) -> object:
    """Every field, including those findings do not compare on (snippet, flow, secrets)."""
    if isinstance(outcome, FileProblem):
        return outcome
    return [dataclasses.astuple(finding) for finding in outcome]


@bounded(100)
@given(hypothesmith.from_grammar())
def test_programs_from_the_grammar_give_findings_or_a_problem(source: str) -> None:
    outcome_of(PASSWORD_LINE + source.encode("utf-8", "surrogatepass"))


@bounded(40)  # the slowest generator: about a quarter of a second an example
@given(hypothesmith.from_node())
def test_programs_from_libcst_nodes_give_findings_or_a_problem(source: str) -> None:
    outcome_of(PASSWORD_LINE + source.encode("utf-8", "surrogatepass"))


@bounded(150)
@given(st.sampled_from([b"", LATIN_1]), st.binary(max_size=2000))
def test_arbitrary_bytes_give_findings_or_a_problem(declaration: bytes, data: bytes) -> None:
    """Half the files declare Latin-1, in which every byte decodes, so they reach the parser."""
    outcome_of(declaration + PASSWORD_LINE + data, AS_SCANNED)


@bounded(150)
@given(st.text(max_size=2000))
def test_arbitrary_text_gives_findings_or_a_problem(text: str) -> None:
    outcome_of(PASSWORD_LINE + text.encode("utf-8", "surrogatepass"), AS_SCANNED)


@bounded(40)
@given(st.one_of(hypothesmith.from_node(), st.text(max_size=500)))
def test_the_same_source_gives_the_same_output(source: str) -> None:
    data = PASSWORD_LINE + source.encode("utf-8", "surrogatepass")
    assert everything(outcome_of(data)) == everything(outcome_of(data))


@bounded(100)
@given(st.text(st.characters(codec="utf-8"), min_size=3, max_size=40), st.booleans())
def test_a_hard_coded_password_is_masked_whatever_its_text(secret: str, as_bytes: bool) -> None:
    """Every finding on `DB_PASSWORD = "..."` knows its literal, and the mask covers exactly what
    lies between the quotes, whatever escapes the literal needs."""
    literal = repr(secret.encode("utf-8")) if as_bytes else repr(secret)
    line = f"DB_PASSWORD = {literal}"
    outcome = outcome_of(f"{line}\n".encode())
    assert isinstance(outcome, list)
    result = ScanResult("/project", outcome, [], [])

    redact(result)

    opening = len("DB_PASSWORD = ") + (2 if as_bytes else 1)
    for finding in result.findings:
        assert finding.secrets, finding
        assert finding.snippet == line[:opening] + "*" * (len(line) - opening - 1) + line[-1]


NOTHING_WANTED = Focus(TokenGroup((), None), Requirements(()), frozenset(), TokenGroup((), None))  # blanks every definition it may
STATEMENTS = hypothesmith.from_node(libcst.SimpleStatementLine, auto_target=False)


@st.composite
def modules_with_definitions(draw: st.DrawFn) -> str:
    """Generated statements inside functions, decorated methods of classes, and at the top level,
    with CRLF line breaks or not: what slicing blanks, and what it must leave where it was."""
    parts = []
    for index in range(draw(st.integers(1, 5))):
        body = textwrap.indent(draw(STATEMENTS), "    ")
        kind = draw(st.sampled_from(["function", "class", "statement"]))
        if kind == "function":
            parts.append(f"def f{index}(x, y=1):\n{body}\n# between\n")
        elif kind == "class":
            parts.append(f"class C{index}(Base):\n    attribute = {index}\n\n    @decorator\n"
                         f"    def m(self):\n{textwrap.indent(body, '    ')}\n")
        else:
            parts.append(draw(STATEMENTS))
    text = "\n".join(parts)
    return text.replace("\n", "\r\n") if draw(st.booleans()) else text


@bounded(40)
@given(modules_with_definitions())
@example("def f0(x, y=1):\n    A =\\\r    \\\n    {}\n\n# between\n")  # a lone CR, emptied, met a LF
def test_slicing_keeps_python_and_every_kept_line_where_it_was(source: str) -> None:
    data = source.encode("utf-8", "surrogatepass")
    try:
        ast.parse(data)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return  # slicing leaves what `ast` cannot read as it is
    text = slice_source(source, data, NOTHING_WANTED).text
    event("definitions blanked" if text != source else "nothing to blank")
    ast.parse(text)
    before, after = re.split(r"\r\n|\r|\n", source), re.split(r"\r\n|\r|\n", text)
    assert len(after) == len(before)
    for old, new in zip(before, after):
        assert new == old or new.strip() in ("", "pass", '"""'), (old, new)
