"""pwlint's primaryLocationLineHash must be GitHub's, bit for bit.

The vectors below are GitHub's own. They are copied from github/codeql-action:
  * `src/fingerprints.test.ts`, test "hash" (the `testHash(...)` calls, including the
    `x = 2 ...` case added later), and
  * `src/testdata/fingerprinting.expected.sarif` with its inputs `src/testdata/testFile1.js` and
    `src/testdata/testFile2.js` (test "addFingerprints": line 1 of testFile1.js and line 2 of
    testFile2.js).
As in `testHash`, every line of the input must be hashed, in order, and no more.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import run_pwlint, write_tree
from pwlint.fingerprints import hashes_for, line_hashes

# The three line-ending spellings of one text hash identically (CR, LF and CRLF are one LF).
_GREETINGS = [
    "e9496ae3ebfced30:1",
    "fb7c023a8b9ccb3f:1",
    "ce8ba1a563dcdaca:1",
    "e20e36e16fcb0cc8:1",
    "b3edc88f2938467e:1",
    "c8e28b0b4002a3a0:1",
    "c129715d7a2bc9a3:1",
]

GITHUB_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (
        " hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
        ["8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1", "c6805c5e1288b612:1",
         "b86d3392aea1be30:1", "e6ceba753e1a442:1"],
    ),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n", _GREETINGS),
    (" hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r", _GREETINGS),
    (" hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n", _GREETINGS),
    (" hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n", _GREETINGS),
    (
        "Lorem ipsum dolor sit amet.\n" * 10,
        ["a7f2ff13bc495cf2:1", "a7f2ff13bc495cf2:2", "a7f2ff13bc495cf2:3", "a7f2ff13bc495cf2:4",
         "a7f2ff13bc495cf2:5", "a7f2ff13bc495cf2:6", "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
         "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"],
    ),
    (
        "x = 2\nx = 1\nprint(x)\nx = 3\nprint(x)\nx = 4\nprint(x)\n",
        ["e54938cc54b302f1:1", "bb609acbe9138d60:1", "1131fd5871777f34:1", "5c482a0f8b35ea28:1",
         "54517377da7028d2:1", "2c644846cb18d53e:1", "f1b89f20de0d133:1", "c129715d7a2bc9a3:1"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), GITHUB_VECTORS, ids=[f"vector-{i}" for i in range(len(GITHUB_VECTORS))])
def test_github_hash_vectors(text: str, expected: list[str]) -> None:
    hashes = list(line_hashes(text))

    assert [number for number, _ in hashes] == list(range(1, len(expected) + 1))
    assert [digest for _, digest in hashes] == expected
    assert len(hashes) == len(re.split(r"\r\n|\r|\n", text))  # as testHash checks


@pytest.mark.parametrize(
    ("content", "line", "expected"),
    [
        (b"var a = 0;\nvar b = 0;\nvar c = 0;\nvar d = 0;\n", 1, "5e4d5a9cf1294ad9:1"),  # testFile1.js
        (b"var foo = 0;\nvar bar = 0;\nvar baz = 0;\nvar qux = 0;\n", 2, "f7592a95a9381ac0:1"),  # testFile2.js
    ],
    ids=["testFile1.js", "testFile2.js"],
)
def test_github_add_fingerprints_vectors(content: bytes, line: int, expected: str) -> None:
    assert hashes_for(content, {line}) == {line: expected}


def test_characters_outside_the_bmp_count_as_two_utf16_units() -> None:
    """JavaScript walks surrogate pairs; a code-point walk would hash emoji lines differently."""
    astral = dict(line_hashes("x = '\U0001F511'\ny = 1\n"))
    surrogates = dict(line_hashes("x = '\ud83d\udd11'\ny = 1\n"))

    assert astral == surrogates


def test_undecodable_bytes_hash_as_replacement_characters() -> None:
    assert hashes_for(b"x = '\xff'\n", {1}) == {1: dict(line_hashes("x = '\ufffd'\n"))[1]}


def test_hashes_for_stops_after_the_last_wanted_line() -> None:
    big = b"".join(b"value_%d = %d\n" % (n, n) for n in range(5000))
    assert list(hashes_for(big, {3})) == [3]
    assert hashes_for(big, {3})[3] == dict(line_hashes(big.decode()))[3]


def test_sarif_results_carry_the_hash_of_their_start_line(tmp_path: Path) -> None:
    code = "import hashlib\n\n\ndef store(user, password):\n    user.digest = hashlib.md5(password.encode()).hexdigest()\n"
    write_tree(tmp_path, {"app.py": code})

    proc = run_pwlint("check", "app.py", "--select", "PW101", "--format", "sarif", cwd=tmp_path)

    [result] = json.loads(proc.stdout)["runs"][0]["results"]
    line = result["locations"][0]["physicalLocation"]["region"]["startLine"]
    assert result["partialFingerprints"] == {"primaryLocationLineHash": dict(line_hashes(code))[line]}
