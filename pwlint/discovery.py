"""First pipeline stage: decide which files a scan reads, before any of them is opened.

Users arrive from Ruff, Bandit and Semgrep, so discovery follows their habits:

* Directories are walked for ``*.py`` and ``*.pyi`` files; symlinked directories are not entered,
  so a symlink loop cannot trap the walk. Excluded directories are pruned before descending,
  which is what keeps a large tree (a virtualenv, ``node_modules``) from costing anything.
* A path named on the command line is taken as given, whatever its extension, excludes or test
  patterns: naming it is the user's decision. Only its own location is exempt; what lies beneath
  a named directory is filtered as usual. ``force_exclude`` (Ruff's ``--force-exclude``, for
  pre-commit, which passes every staged file name) applies the default excludes, ``--exclude``
  and the test patterns to named paths too. ``.gitignore`` is not applied to them: a file git
  hands over is tracked, and git lints tracked files even when a pattern matches them.
* ``DEFAULT_EXCLUDES`` is Ruff's default ``exclude`` list plus pwlint's own cache and egg-info
  metadata. Each pattern is an fnmatch glob tested against every path component's name, so
  ``venv`` is skipped at any depth. Plain ``env`` is deliberately absent: unlike ``venv`` it is
  also a common name for real code (settings packages), and a linter that silently skips real
  code is worse than one that reads a virtualenv the user forgot to exclude.
* ``--exclude`` globs are gitignore-style patterns relative to the scan root (``migrations/``,
  ``legacy/*.py``, ``*_pb2.py``), evaluated by ``pathspec`` with git's wildcard semantics.
* ``.gitignore`` files at the root and below are honoured, each relative to its own directory,
  deeper files overriding shallower ones and the root's ``.git/info/exclude`` weakest, as in git.
  Files above the scan root are not read. Git itself is never run.
* Test code is out of scope by default, as in Semgrep. ``DEFAULT_TEST_PATTERNS`` joins the test
  directories of Semgrep's default ``.semgrepignore`` (``tests/``, ``test/``) and their kinds
  (``unit_tests/``, ``integration-tests/``), pytest's default
  ``python_files`` (``test_*.py``, ``*_test.py``), pytest's ``conftest.py``, Django's
  per-app ``tests.py`` and ``testutils.py`` (or a ``testutils/`` package: pretix's test
  settings), a ``test_*/`` package (a test app's settings, a pytest plugin's fixtures), the
  helpers a package ships for its own and its users' tests (Invenio's
  ``create_test_user(email, password="123456")``). A pattern ending in ``/`` matches a
  directory name at any depth; any other pattern matches a file name. ``testing/`` and a plain
  ``test.py`` are left out because they are often shipped library code (``numpy.testing``,
  Django's ``test`` management command and ``contrib/messages/test.py``), not tests. A module that defines a test case (or three
  pytest-style ``test_`` functions) is test code wherever it sits (``is_test_support``): Kotti's
  ``testing.py`` and rdiffweb's ``test.py`` ship base classes for the projects' tests, keyring's
  ``testing/backend.py`` the tests every backend runs, with their fixtures' passwords.

``FileSet.excluded`` counts pruned entries, not the files beneath them: each excluded ``.py`` or
``.pyi`` file counts once and so does each excluded directory, because counting inside a pruned
virtualenv would mean walking it. Directories that never hold source (``__pycache__``, VCS
metadata, tool caches) are pruned without being counted.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

from pwlint.findings import FileProblem

if TYPE_CHECKING:
    import pathspec

DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pwlint_cache",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
    "*.egg-info",
)

DEFAULT_TEST_PATTERNS: tuple[str, ...] = (
    "tests/",
    "test/",
    "*_tests/",
    "*-tests/",
    "test_*.py",
    "*_test.py",
    "tests.py",
    "conftest.py",
    "testutils.py",
    "testutils/",
    "test_*/",
)

PYTHON_SUFFIXES = (".py", ".pyi")

# The bases a test case is built on, as its name ends: `class FunctionalTestBase(TestCase):`,
# `class WebCase(helper.CPWebCase):`, a Plone test layer (`class Fixture(PloneSandboxLayer):`)
_TEST_BASES = (b"TestCase", b"WebCase", b"SandboxLayer")
_TEST_CASE = re.compile(rb"^class\s+\w+\s*\([^)]*?\b\w*(?:" + b"|".join(_TEST_BASES) + rb")\s*[,)]", re.MULTILINE)
# a test case's base kept under another name (Kinto's `_BaseWebTestBase = unittest.TestCase`)
_TEST_CASE_ALIAS = re.compile(rb"^[ \t]*\w+\s*=\s*(?:unittest\.)?TestCase[ \t]*(?:#.*)?$", re.MULTILINE)
# pytest-style tests, collected from a class of any name once a suite derives from it (keyring's
# `testing/backend.py`: `class BackendBasicTests` with its `def test_...` methods)
_TEST_FUNCTION = re.compile(rb"^[ \t]*(?:async[ \t]+)?def[ \t]+test_\w*[ \t]*\(", re.MULTILINE)
_TEST_FUNCTIONS = 3  # one `def test_connection(self)` is a client's health check, not a suite


def is_test_support(data: bytes) -> bool:
    """Whether a module is written for tests although its path does not say so: it defines a
    unittest-style test case at its top level, names unittest's base for its test cases, or
    defines tests for pytest. Read from the bytes, so the choice costs no parse."""
    if any(base in data for base in _TEST_BASES) and (
            _TEST_CASE.search(data) is not None or _TEST_CASE_ALIAS.search(data) is not None):
        return True
    tests = islice(_TEST_FUNCTION.finditer(data), _TEST_FUNCTIONS) if b"def test_" in data else ()
    return len(list(tests)) == _TEST_FUNCTIONS


# Excluded directories that never hold source: pruned without counting, else every scan would
# report each __pycache__ and .git as an exclusion and the count would say nothing.
_UNCOUNTED_DIRS = frozenset(
    {
        ".bzr",
        ".git",
        ".hg",
        ".svn",
        "__pycache__",
        ".mypy_cache",
        ".pwlint_cache",
        ".pytest_cache",
        ".pytype",
        ".ruff_cache",
    }
)


@dataclass
class FileSet:
    """The outcome of discovery: what to scan, and what was left out so the summary can say so."""

    root: Path
    files: list[Path] = field(default_factory=list)
    skipped_tests: list[Path] = field(default_factory=list)
    excluded: int = 0
    problems: list[FileProblem] = field(default_factory=list)


def relative_posix(path: Path, root: Path) -> str:
    """Name a path the way findings do, so reports read the same on every platform."""
    try:
        return printable(path.relative_to(root).as_posix())
    except ValueError:
        return printable(path.as_posix())


def printable(name: str) -> str:
    """A file name that is not UTF-8 (kept by Python as surrogate escapes) with its odd bytes
    written as `\\xe9`: every report, the cache and a terminal can hold it, and it still names
    one file."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")


_ESCAPED_BYTE = re.compile(r"\\x([89a-f][0-9a-f])")  # what `printable` writes: only bytes above 0x7f


def name_bytes(name: str) -> bytes:
    """The bytes of the file name that `printable` wrote as `name`, for a URI that must name the
    file itself (SARIF's percent-encoding of `caf\\xe9.py` is `caf%E9.py`)."""
    return _ESCAPED_BYTE.sub(lambda byte: chr(0xDC00 + int(byte.group(1), 16)), name).encode("utf-8", "surrogateescape")


def find_root(paths: Sequence[str | os.PathLike[str]]) -> Path:
    """Pick the directory finding paths are relative to, so they stay stable from any cwd.

    The nearest directory holding ``.git`` or ``pyproject.toml``, searched upwards from the
    common ancestor of the paths (a file counts as its parent directory). Without such a marker,
    the current working directory when every path lies inside it, so paths read as typed;
    otherwise the common ancestor itself.
    """
    cwd = Path.cwd()
    dirs = _directories(paths)
    common = common_directory(paths)
    if common is None:
        return cwd
    for candidate in (common, *common.parents):
        if (candidate / ".git").exists() or (candidate / "pyproject.toml").is_file():
            return candidate
    if all(d == cwd or cwd in d.parents for d in dirs):
        return cwd
    return common


def _directories(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    targets = [_absolute(p) for p in paths] or [Path.cwd()]
    return [t if t.is_dir() else t.parent for t in targets]


def common_directory(paths: Sequence[str | os.PathLike[str]]) -> Path | None:
    """The deepest directory holding every path (a file counts as its parent), where searches
    for the scan root and the configuration file start; None for paths on different drives."""
    try:
        return Path(os.path.commonpath(_directories(paths)))
    except ValueError:
        return None


def discover(
    paths: Sequence[str | os.PathLike[str]],
    *,
    root: Path,
    exclude: Sequence[str] = (),
    include_tests: bool = False,
    test_patterns: Sequence[str] = DEFAULT_TEST_PATTERNS,
    respect_gitignore: bool = True,
    force_exclude: bool = False,
    default_excludes: Sequence[str] = DEFAULT_EXCLUDES,
) -> FileSet:
    """Find the files to scan under ``paths``; the module docstring gives the rules.

    ``default_excludes`` replaces ``DEFAULT_EXCLUDES`` (a configured ``exclude``); VCS metadata
    and tool caches are pruned whatever it holds.
    """
    filters = _Filters.build(Path(os.path.abspath(root)), exclude, test_patterns, respect_gitignore,
                             default_excludes)
    walk = _Walk(filters, force_exclude)
    for path in paths:
        walk.add_argument(_absolute(path))
    return walk.result(include_tests)


def _absolute(path: str | os.PathLike[str]) -> Path:
    """Make a path absolute without resolving symlinks, so reported paths keep the user's names."""
    return Path(os.path.abspath(os.fsdecode(path)))


def _compile_globs(globs: Sequence[str]) -> re.Pattern[str]:
    """One regex for many fnmatch globs: a single match call per name keeps the walk fast."""
    if not globs:
        return re.compile(r"(?!)")
    return re.compile("|".join(fnmatch.translate(glob) for glob in globs))


@dataclass(frozen=True)
class _Ignore:
    """The patterns of one ignore file and the root-relative directory they are relative to."""

    prefix: str  # the directory's root-relative POSIX path plus "/", or "" for the root
    spec: pathspec.GitIgnoreSpec

    def verdict(self, key: str) -> bool | None:
        """True ignored, False re-included by a ``!`` pattern, None when no pattern speaks."""
        return self.spec.check_file(key[len(self.prefix) :]).include


def _read_ignore(path: str, prefix: str) -> _Ignore | None:
    """An unreadable ignore file is treated as empty: scanning too much is the safe mistake."""
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return _Ignore(prefix, _gitignore_spec(handle))
    except OSError:
        return None


def _gitignore_spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """Imported on first use: most trees scanned by pre-commit have no pattern to compile."""
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _gitignored(key: str, chain: tuple[_Ignore, ...]) -> bool:
    """Deeper ignore files win over shallower ones, as in git."""
    for ignore in reversed(chain):
        verdict = ignore.verdict(key)
        if verdict is not None:
            return verdict
    return False


@dataclass(frozen=True)
class _Filters:
    """The filters of one discover() call, compiled once rather than per entry."""

    root: Path
    real_root: str  # with symlinks resolved: where links may lead
    default_excludes: re.Pattern[str]
    user_excludes: pathspec.GitIgnoreSpec | None
    test_dirs: re.Pattern[str]
    test_files: re.Pattern[str]
    respect_gitignore: bool

    @classmethod
    def build(
        cls,
        root: Path,
        exclude: Sequence[str],
        test_patterns: Sequence[str],
        respect_gitignore: bool,
        default_excludes: Sequence[str] = DEFAULT_EXCLUDES,
    ) -> _Filters:
        return cls(
            root=root,
            real_root=os.path.realpath(root),
            default_excludes=_compile_globs([*default_excludes, *sorted(_UNCOUNTED_DIRS)]),
            user_excludes=_gitignore_spec(exclude) if exclude else None,
            test_dirs=_compile_globs([p.rstrip("/") for p in test_patterns if p.endswith("/")]),
            test_files=_compile_globs([p for p in test_patterns if not p.endswith("/")]),
            respect_gitignore=respect_gitignore,
        )

    def excluded(self, name: str, key: str, chain: tuple[_Ignore, ...]) -> bool:
        """Whether a walked entry is pruned; ``key`` ends in "/" for directories."""
        return bool(
            self.default_excludes.match(name)
            or (self.user_excludes is not None and self.user_excludes.match_file(key))
            or (chain and _gitignored(key, chain))
        )

    def named_path_excluded(self, key: str) -> bool:
        """Whether ``force_exclude`` drops a named path: any component may be excluded."""
        return any(self.default_excludes.match(part) for part in key.split("/")) or bool(
            self.user_excludes is not None and self.user_excludes.match_file(key)
        )

    def named_path_is_test(self, key: str, is_dir: bool) -> bool:
        """Whether ``force_exclude`` counts a named path as test code."""
        parts = key.split("/")
        dirs = parts if is_dir else parts[:-1]
        return any(self.test_dirs.match(d) for d in dirs) or (
            not is_dir and self.test_files.match(parts[-1]) is not None
        )

    def ancestor_chain(self, directory: Path) -> tuple[_Ignore, ...]:
        """The ignore files that already apply when a walk starts at a named directory."""
        key = relative_posix(directory, self.root)
        if not self.respect_gitignore or os.path.isabs(key):
            return ()
        info = _read_ignore(str(self.root / ".git" / "info" / "exclude"), "")
        chain = [info] if info else []
        parts = [] if key == "." else key.split("/")
        for depth in range(len(parts)):
            prefix = "".join(part + "/" for part in parts[:depth])
            ignore = _read_ignore(str(self.root.joinpath(*parts[:depth], ".gitignore")), prefix)
            if ignore:
                chain.append(ignore)
        return tuple(chain)


_Pending = tuple[str, str, tuple[_Ignore, ...], bool]  # directory, key, ignore chain, in tests


class _Walk:
    """Accumulates one discovery; keyed by root-relative path so overlapping arguments dedupe."""

    def __init__(self, filters: _Filters, force_exclude: bool) -> None:
        self.filters = filters
        self.force_exclude = force_exclude
        self.files: dict[str, str] = {}
        self.tests: dict[str, str] = {}
        self.excluded_files: set[str] = set()
        self.excluded_dirs = 0
        self.problems: list[FileProblem] = []

    def add_argument(self, path: Path) -> None:
        """Named paths are checked once by stat, then walked or taken as files."""
        key = relative_posix(path, self.filters.root)
        try:
            mode = os.stat(path).st_mode
        except OSError as err:
            self._problem(key, err)
            return
        if stat.S_ISDIR(mode):
            self._add_directory(path, key)
        elif stat.S_ISREG(mode):
            self._add_file(path, key)
        else:
            self._skip(key, not_regular(mode))

    def _add_file(self, path: Path, key: str) -> None:
        if not self.force_exclude:
            self.files[key] = str(path)
        elif self.filters.named_path_excluded(key):
            self.excluded_files.add(key)
        elif self.filters.named_path_is_test(key, is_dir=False):
            self.tests[key] = str(path)
        else:
            self.files[key] = str(path)

    def _add_directory(self, path: Path, key: str) -> None:
        dir_key = "" if key == "." else key
        forced = self.force_exclude and dir_key != ""
        if forced and self.filters.named_path_excluded(dir_key + "/"):
            self.excluded_dirs += 1
            return
        in_tests = forced and self.filters.named_path_is_test(dir_key, is_dir=True)
        self._walk((str(path), dir_key, self.filters.ancestor_chain(path), in_tests))

    def _walk(self, start: _Pending) -> None:
        """Iterative depth-first walk: deep trees cannot hit the recursion limit."""
        stack = [start]
        while stack:
            directory, dir_key, chain, in_tests = stack.pop()
            try:
                with os.scandir(directory) as scan:
                    entries = list(scan)
            except OSError as err:
                self._problem(dir_key or ".", err)
                continue
            chain = self._with_local_gitignore(entries, dir_key, chain)
            stack.extend(self._visit(entries, dir_key, chain, in_tests))

    def _with_local_gitignore(
        self, entries: list[os.DirEntry[str]], dir_key: str, chain: tuple[_Ignore, ...]
    ) -> tuple[_Ignore, ...]:
        """Found among the entries already listed, so an absent .gitignore costs no stat call."""
        if not self.filters.respect_gitignore:
            return chain
        for entry in entries:
            if entry.name == ".gitignore" and _is_regular_file(entry):
                ignore = _read_ignore(entry.path, dir_key + "/" if dir_key else "")
                return chain + (ignore,) if ignore else chain
        return chain

    def _visit(
        self,
        entries: list[os.DirEntry[str]],
        dir_key: str,
        chain: tuple[_Ignore, ...],
        in_tests: bool,
    ) -> list[_Pending]:
        """Sort one directory's entries into results; return the subdirectories still to walk."""
        subdirs: list[_Pending] = []
        filters = self.filters
        for entry in entries:
            name = entry.name
            key = f"{dir_key}/{name}" if dir_key else name
            if entry.is_dir(follow_symlinks=False):
                if not filters.excluded(name, key + "/", chain):
                    is_test = in_tests or filters.test_dirs.match(name) is not None
                    subdirs.append((entry.path, key, chain, is_test))
                elif name not in _UNCOUNTED_DIRS:
                    self.excluded_dirs += 1
            elif name.endswith(PYTHON_SUFFIXES):
                if filters.excluded(name, key, chain):
                    self.excluded_files.add(key)
                elif in_tests or filters.test_files.match(name):
                    self.tests[key] = entry.path
                else:
                    self._add_entry(entry, key)
        return subdirs

    def _add_entry(self, entry: os.DirEntry[str], key: str) -> None:
        """A source file to read, or a line saying why it is not: nothing is left out silently."""
        try:
            if entry.is_symlink():
                reason = self._link_problem(entry.path)
            else:
                reason = None if entry.is_file(follow_symlinks=False) else not_regular(entry.stat(follow_symlinks=False).st_mode)
        except OSError as err:  # gone since the directory was listed
            reason = f"cannot read: {describe_error(err)}"
        if reason:
            self._skip(key, reason)
        else:
            self.files[key] = entry.path

    def _link_problem(self, path: str) -> str | None:
        """A link is read when it leads to a regular file inside the scan root. One that leads out
        is not: its target is not the project's code, and a hostile tree could point it at a file
        of the machine running the scan (a CI runner's secrets) to have pieces of it reported."""
        try:
            mode = os.stat(path).st_mode
        except OSError as err:
            broken = {errno.ENOENT: "a broken symbolic link", errno.ELOOP: "a symbolic link loop"}
            return broken.get(err.errno or 0, f"a symbolic link that cannot be followed: {describe_error(err)}")
        target = os.path.realpath(path)
        if os.path.commonpath([target, self.filters.real_root]) != self.filters.real_root:
            return "a symbolic link to a file outside the scan root, not followed"
        return None if stat.S_ISREG(mode) else f"a symbolic link to a {file_kind(mode)}, not followed"

    def _skip(self, key: str, reason: str) -> None:
        self.problems.append(FileProblem(printable(key), 0, 0, reason))

    def _problem(self, key: str, err: OSError) -> None:
        self._skip(key, describe_error(err))

    def result(self, include_tests: bool) -> FileSet:
        """A file named explicitly wins over the same file met as a test or excluded entry."""
        files = dict(self.files)
        if include_tests:
            files.update(self.tests)
        tests = {k: v for k, v in self.tests.items() if k not in files}
        return FileSet(
            root=self.filters.root,
            files=[Path(files[k]) for k in sorted(files)],
            skipped_tests=[Path(tests[k]) for k in sorted(tests)],
            excluded=len(self.excluded_files - files.keys()) + self.excluded_dirs,
            problems=sorted(self.problems),
        )


def _is_regular_file(entry: os.DirEntry[str]) -> bool:
    """For .gitignore files: a dangling or unreadable link is passed over."""
    try:
        return entry.is_file()
    except OSError:
        return False


def describe_error(err: OSError) -> str:
    """Lower-case strerror ("no such file or directory", "permission denied"): stable wording."""
    return (err.strerror or str(err)).lower()


def file_kind(mode: int) -> str:
    kinds = ((stat.S_ISDIR, "directory"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"),
             (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"))
    return next((name for test, name in kinds if test(mode)), "special file")


def not_regular(mode: int) -> str:
    return f"a {file_kind(mode)}, not a regular file"
