"""Discovery on small, realistic project trees built in tmp_path."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest

from pwlint.discovery import (
    DEFAULT_EXCLUDES,
    DEFAULT_TEST_PATTERNS,
    FileSet,
    discover,
    find_root,
    is_test_support,
    relative_posix,
)
from pwlint.findings import FileProblem

POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX file types")


def make_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def rel(paths: list[Path], root: Path) -> list[str]:
    return [relative_posix(p, root) for p in paths]


PROJECT = {
    "pyproject.toml": "[project]\nname = 'app'\n",
    ".gitignore": "*.log\nlocal_settings.py\n",
    ".git/info/exclude": "scratch.py\n",
    ".git/hooks/pre_commit.py": "",
    "README.md": "# app\n",
    "manage.py": "",
    "scratch.py": "",
    "generated/keep.py": "",
    "src/.gitignore": "generated/\n",
    "src/app/__init__.py": "",
    "src/app/auth.py": "PASSWORD = 'x'\n",
    "src/app/auth.pyi": "PASSWORD: str\n",
    "src/app/local_settings.py": "",
    "src/app/generated/api_pb2.py": "",
    "src/app/migrations/0001_initial.py": "",
    "src/app/__pycache__/auth.cpython-311.pyc": "",
    "src/app/tests.py": "",
    "src/app/auth_test.py": "",
    "src/app_venv_notes.txt": "",
    "src/venv/lib/x.py": "",
    "src/app.egg-info/top_level.py": "",
    "tests/test_auth.py": "",
    "tests/helpers.py": "",
    "unit-tests/data_vault.py": "",
    "src/integration_tests/login.py": "",
    "src/app/testutils.py": "",
    "src/shop/testutils/settings.py": "",
    "test_app/settings.py": "",
    "conftest.py": "",
    ".venv/lib/python3.11/site-packages/x.py": "",
    "build/lib/app.py": "",
    "node_modules/pkg/gyp.py": "",
}

SCANNED = [
    "generated/keep.py",
    "manage.py",
    "src/app/__init__.py",
    "src/app/auth.py",
    "src/app/auth.pyi",
    "src/app/migrations/0001_initial.py",
]
TESTS = [
    "conftest.py",
    "src/app/auth_test.py",
    "src/app/tests.py",
    "src/app/testutils.py",
    "src/integration_tests/login.py",
    "src/shop/testutils/settings.py",
    "test_app/settings.py",
    "tests/helpers.py",
    "tests/test_auth.py",
    "unit-tests/data_vault.py",
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "proj", PROJECT)


def test_project_tree(project: Path) -> None:
    result = discover([project], root=project)

    assert isinstance(result, FileSet)
    assert result.root == project
    assert rel(result.files, project) == SCANNED
    assert rel(result.skipped_tests, project) == TESTS
    assert all(p.is_absolute() for p in result.files + result.skipped_tests)
    assert result.problems == []


def test_excluded_counts_pruned_entries_not_housekeeping(project: Path) -> None:
    # .venv, build, node_modules, src/venv, src/app.egg-info, src/app/generated (directories)
    # plus scratch.py and local_settings.py (files); .git and __pycache__ are not counted.
    assert discover([project], root=project).excluded == 8


def test_default_excludes_match_names_at_any_depth() -> None:
    assert {".git", ".venv", "venv", "build", "dist", "site-packages", "*.egg-info"} <= set(
        DEFAULT_EXCLUDES
    )
    assert "env" not in DEFAULT_EXCLUDES  # a settings package named env is real code


def test_env_directory_is_scanned(tmp_path: Path) -> None:
    make_tree(tmp_path, {"app/env/prod.py": "", "app/venv/bin/activate.py": ""})
    assert rel(discover([tmp_path], root=tmp_path).files, tmp_path) == ["app/env/prod.py"]


def test_include_tests_moves_tests_into_files(project: Path) -> None:
    result = discover([project], root=project, include_tests=True)
    assert rel(result.files, project) == sorted(SCANNED + TESTS)
    assert result.skipped_tests == []


def test_custom_test_patterns(tmp_path: Path) -> None:
    make_tree(tmp_path, {"spec/login_spec.py": "", "tests/test_a.py": "", "a_check.py": ""})
    result = discover([tmp_path], root=tmp_path, test_patterns=("spec/", "*_check.py"))
    assert rel(result.files, tmp_path) == ["tests/test_a.py"]
    assert rel(result.skipped_tests, tmp_path) == ["a_check.py", "spec/login_spec.py"]


def test_default_test_patterns_are_documented_choice() -> None:
    assert DEFAULT_TEST_PATTERNS == (
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


class TestGitignore:
    def test_nested_gitignore_is_relative_to_its_directory(self, project: Path) -> None:
        files = rel(discover([project], root=project).files, project)
        assert "generated/keep.py" in files  # src/.gitignore does not reach the root
        assert "src/app/generated/api_pb2.py" not in files

    def test_root_gitignore_and_info_exclude(self, project: Path) -> None:
        files = rel(discover([project], root=project).files, project)
        assert "src/app/local_settings.py" not in files
        assert "scratch.py" not in files

    def test_respect_gitignore_off(self, project: Path) -> None:
        files = rel(discover([project], root=project, respect_gitignore=False).files, project)
        assert {"src/app/generated/api_pb2.py", "src/app/local_settings.py", "scratch.py"} <= set(
            files
        )

    def test_deeper_negation_reincludes(self, tmp_path: Path) -> None:
        make_tree(
            tmp_path,
            {
                ".gitignore": "*_pb2.py\n",
                "proto/.gitignore": "!keep_pb2.py\n",
                "proto/keep_pb2.py": "",
                "proto/drop_pb2.py": "",
                "other/keep_pb2.py": "",
            },
        )
        files = rel(discover([tmp_path], root=tmp_path).files, tmp_path)
        assert files == ["proto/keep_pb2.py"]

    def test_anchored_pattern_in_nested_gitignore(self, tmp_path: Path) -> None:
        make_tree(
            tmp_path,
            {"src/.gitignore": "/local.py\n", "src/local.py": "", "src/app/local.py": ""},
        )
        assert rel(discover([tmp_path], root=tmp_path).files, tmp_path) == ["src/app/local.py"]

    def test_ancestor_gitignores_apply_to_a_named_subdirectory(self, project: Path) -> None:
        result = discover([project / "src" / "app"], root=project)
        files = rel(result.files, project)
        assert "src/app/generated/api_pb2.py" not in files
        assert "src/app/local_settings.py" not in files
        assert "src/app/auth.py" in files

    def test_ignored_directory_cannot_be_reincluded_from_inside(self, tmp_path: Path) -> None:
        make_tree(tmp_path, {".gitignore": "out/\n", "out/.gitignore": "!*.py\n", "out/a.py": ""})
        assert discover([tmp_path], root=tmp_path).files == []

    def test_gitignore_above_root_is_not_read(self, tmp_path: Path) -> None:
        make_tree(tmp_path, {".gitignore": "*.py\n", "sub/pyproject.toml": "", "sub/a.py": ""})
        sub = tmp_path / "sub"
        assert rel(discover([sub], root=sub).files, sub) == ["a.py"]


class TestUserExcludes:
    TREE = {
        "src/app/auth.py": "",
        "src/app/migrations/0001_initial.py": "",
        "src/app/api_pb2.py": "",
        "legacy/old.py": "",
        "legacy/sub/deep.py": "",
        "src/legacy/kept.py": "",
    }

    def test_gitignore_style_globs(self, tmp_path: Path) -> None:
        make_tree(tmp_path, self.TREE)
        result = discover(
            [tmp_path], root=tmp_path, exclude=["migrations/", "legacy/*.py", "*_pb2.py"]
        )
        assert rel(result.files, tmp_path) == [
            "legacy/sub/deep.py",  # a single * does not cross directories
            "src/app/auth.py",
            "src/legacy/kept.py",  # a pattern with a slash is anchored at the root
        ]
        assert result.excluded == 3  # migrations/ directory, legacy/old.py, api_pb2.py

    def test_excludes_are_relative_to_root_not_the_argument(self, tmp_path: Path) -> None:
        make_tree(tmp_path, self.TREE)
        result = discover([tmp_path / "src"], root=tmp_path, exclude=["src/app/"])
        assert rel(result.files, tmp_path) == ["src/legacy/kept.py"]


class TestNamedPaths:
    def test_named_files_bypass_excludes_and_test_patterns(self, project: Path) -> None:
        named = ["build/lib/app.py", "tests/test_auth.py", "src/app/local_settings.py"]
        result = discover([project / n for n in named], root=project, exclude=["build/"])
        assert rel(result.files, project) == sorted(named)
        assert result.skipped_tests == []
        assert result.excluded == 0

    def test_named_file_of_any_extension(self, tmp_path: Path) -> None:
        make_tree(tmp_path, {"bin/manage": "#!/usr/bin/env python\n"})
        assert rel(discover([tmp_path / "bin/manage"], root=tmp_path).files, tmp_path) == [
            "bin/manage"
        ]

    def test_force_exclude_applies_excludes_and_test_patterns(self, project: Path) -> None:
        named = [
            "build/lib/app.py",
            "tests/test_auth.py",
            "src/app/migrations/0001_initial.py",
            "src/app/auth.py",
        ]
        result = discover(
            [project / n for n in named],
            root=project,
            exclude=["migrations/"],
            force_exclude=True,
        )
        assert rel(result.files, project) == ["src/app/auth.py"]
        assert rel(result.skipped_tests, project) == ["tests/test_auth.py"]
        assert result.excluded == 2

    def test_force_exclude_does_not_apply_gitignore(self, project: Path) -> None:
        # pre-commit passes tracked files; a tracked file matching .gitignore is still linted.
        named = project / "src/app/local_settings.py"
        result = discover([named], root=project, force_exclude=True)
        assert result.files == [named]

    def test_named_directory_is_walked_even_if_excluded(self, project: Path) -> None:
        result = discover([project / "build"], root=project)
        assert rel(result.files, project) == ["build/lib/app.py"]
        forced = discover([project / "build"], root=project, force_exclude=True)
        assert forced.files == []
        assert forced.excluded == 1

    def test_named_test_directory_still_filters_its_contents(self, project: Path) -> None:
        result = discover([project / "tests"], root=project)
        assert rel(result.files, project) == ["tests/helpers.py"]
        assert rel(result.skipped_tests, project) == ["tests/test_auth.py"]
        forced = discover([project / "tests"], root=project, force_exclude=True)
        assert rel(forced.skipped_tests, project) == ["tests/helpers.py", "tests/test_auth.py"]

    def test_overlapping_arguments_do_not_duplicate(self, project: Path) -> None:
        result = discover(
            [project, project / "src", project / "src/app/auth.py", project / "tests/test_auth.py"],
            root=project,
        )
        files = rel(result.files, project)
        assert len(files) == len(set(files))
        assert files == sorted(SCANNED + ["tests/test_auth.py"])
        assert "tests/test_auth.py" not in rel(result.skipped_tests, project)

    def test_relative_arguments_resolve_against_cwd(
        self, project: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(project / "src")
        result = discover(["app/auth.py", "../manage.py"], root=project)
        assert result.files == [project / "manage.py", project / "src/app/auth.py"]

    def test_missing_argument_is_a_problem_and_scan_goes_on(self, project: Path) -> None:
        result = discover([project / "nope.py", project / "src/app/auth.py"], root=project)
        assert result.problems == [FileProblem("nope.py", 0, 0, "no such file or directory")]
        assert rel(result.files, project) == ["src/app/auth.py"]


class TestFileSystemOddities:
    def test_symlink_loop_and_directory_symlinks_are_not_followed(self, tmp_path: Path) -> None:
        make_tree(tmp_path, {"src/app/auth.py": "", "elsewhere/secret.py": ""})
        (tmp_path / "src/app/loop").symlink_to(tmp_path / "src", target_is_directory=True)
        (tmp_path / "src/self").symlink_to(tmp_path / "src/self", target_is_directory=True)
        (tmp_path / "src/outside").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
        result = discover([tmp_path / "src"], root=tmp_path)
        assert rel(result.files, tmp_path) == ["src/app/auth.py"]
        assert result.problems == []

    def test_file_symlinks_inside_the_root_are_read_and_broken_ones_reported(self, tmp_path: Path) -> None:
        make_tree(tmp_path, {"project/real.py": "", "project/sub/x.py": "", "secret.py": ""})
        project = tmp_path / "project"
        (project / "alias.py").symlink_to(project / "real.py")
        (project / "dangling.py").symlink_to(project / "missing.py")
        (project / "loop.py").symlink_to(project / "loop.py")
        (project / "out.py").symlink_to(tmp_path / "secret.py")
        (project / "pkg.py").symlink_to(project / "sub", target_is_directory=True)
        result = discover([project], root=project)
        assert rel(result.files, project) == ["alias.py", "real.py", "sub/x.py"]
        assert result.problems == [
            FileProblem("dangling.py", 0, 0, "a broken symbolic link"),
            FileProblem("loop.py", 0, 0, "a symbolic link loop"),
            FileProblem("out.py", 0, 0, "a symbolic link to a file outside the scan root, not followed"),
            FileProblem("pkg.py", 0, 0, "a symbolic link to a directory, not followed"),
        ]

    @POSIX_ONLY
    def test_fifo_and_socket_named_py_are_reported_not_opened(self, tmp_path: Path) -> None:
        make_tree(tmp_path, {"a.py": ""})
        os.mkfifo(tmp_path / "pipe.py")
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(str(tmp_path / "sock.py"))
            result = discover([tmp_path], root=tmp_path)
        assert rel(result.files, tmp_path) == ["a.py"]
        assert result.problems == [FileProblem("pipe.py", 0, 0, "a FIFO, not a regular file"),
                                   FileProblem("sock.py", 0, 0, "a socket, not a regular file")]
        named = discover([tmp_path / "pipe.py"], root=tmp_path)
        assert named.files == []
        assert named.problems == [FileProblem("pipe.py", 0, 0, "a FIFO, not a regular file")]

    @POSIX_ONLY
    def test_non_utf8_file_name(self, tmp_path: Path) -> None:
        raw = os.fsencode(tmp_path) + b"/caf\xe9.py"
        try:
            with open(raw, "wb"):
                pass
        except OSError:
            pytest.skip("file system refuses non-UTF-8 names")
        result = discover([tmp_path], root=tmp_path)
        assert result.files == [Path(os.fsdecode(raw))]
        assert relative_posix(result.files[0], tmp_path) == "caf\\xe9.py"  # printable, valid UTF-8

    def test_unreadable_directory_is_a_problem(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        make_tree(tmp_path, {"ok/a.py": "", "locked/b.py": ""})
        real_scandir = os.scandir
        locked = str(tmp_path / "locked")

        def scandir(path: str) -> object:
            if path == locked:
                raise PermissionError(13, "Permission denied", path)
            return real_scandir(path)

        monkeypatch.setattr(os, "scandir", scandir)
        result = discover([tmp_path], root=tmp_path)
        assert rel(result.files, tmp_path) == ["ok/a.py"]
        assert result.problems == [FileProblem("locked", 0, 0, "permission denied")]

    @POSIX_ONLY
    @pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root reads all")
    def test_unreadable_directory_for_real(self, tmp_path: Path) -> None:
        make_tree(tmp_path, {"ok/a.py": "", "locked/b.py": ""})
        (tmp_path / "locked").chmod(0)
        try:
            result = discover([tmp_path], root=tmp_path)
        finally:
            (tmp_path / "locked").chmod(0o755)
        assert result.problems == [FileProblem("locked", 0, 0, "permission denied")]


def test_order_is_by_root_relative_posix_path(tmp_path: Path) -> None:
    # Path ordering would put a/b.py before a-b.py; the string order puts "-" before "/".
    make_tree(tmp_path, {"a/b.py": "", "a-b.py": "", "a_b.py": "", "B.py": ""})
    assert rel(discover([tmp_path], root=tmp_path).files, tmp_path) == [
        "B.py",
        "a-b.py",
        "a/b.py",
        "a_b.py",
    ]


def test_discovery_is_fast_on_a_few_thousand_files(tmp_path: Path) -> None:
    for package in range(60):
        pkg = tmp_path / f"pkg{package}"
        for sub in ("", "sub/", "sub/deeper/"):
            (pkg / sub).mkdir(parents=True, exist_ok=True)
            for module in range(16):
                (pkg / f"{sub}mod{module}.py").touch()
    start = time.perf_counter()
    result = discover([tmp_path], root=tmp_path)
    elapsed = time.perf_counter() - start
    assert len(result.files) == 60 * 3 * 16
    assert elapsed < 1.0  # generous: measured at a few milliseconds per thousand files


class TestFindRoot:
    def test_nearest_pyproject_above_the_paths(self, tmp_path: Path) -> None:
        make_tree(tmp_path, {"pyproject.toml": "", "src/app/auth.py": "", "src/lib/x.py": ""})
        assert find_root([tmp_path / "src/app/auth.py", tmp_path / "src/lib"]) == tmp_path

    def test_git_directory_marks_the_root(self, tmp_path: Path) -> None:
        make_tree(tmp_path, {"repo/.git/HEAD": "", "repo/pkg/a.py": ""})
        assert find_root([tmp_path / "repo/pkg"]) == tmp_path / "repo"

    def test_nested_project_wins_over_outer_repository(self, tmp_path: Path) -> None:
        make_tree(tmp_path, {".git/HEAD": "", "svc/pyproject.toml": "", "svc/app/a.py": ""})
        assert find_root([tmp_path / "svc/app/a.py"]) == tmp_path / "svc"

    def test_without_markers_cwd_when_it_holds_the_paths(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        make_tree(tmp_path, {"work/src/app/auth.py": ""})
        monkeypatch.chdir(tmp_path / "work")
        assert find_root(["src/app/auth.py"]) == tmp_path / "work"
        assert find_root([]) == tmp_path / "work"

    def test_without_markers_common_ancestor_outside_cwd(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        make_tree(tmp_path, {"a/x/one.py": "", "a/y/two.py": "", "elsewhere/z.py": ""})
        monkeypatch.chdir(tmp_path / "elsewhere")
        assert find_root([tmp_path / "a/x/one.py", tmp_path / "a/y"]) == tmp_path / "a"
        assert find_root([tmp_path / "a/x/one.py"]) == tmp_path / "a/x"


def test_relative_posix(tmp_path: Path) -> None:
    assert relative_posix(tmp_path / "src" / "a.py", tmp_path) == "src/a.py"
    assert relative_posix(tmp_path, tmp_path) == "."
    outside = tmp_path.parent / "other.py"
    assert relative_posix(outside, tmp_path) == outside.as_posix()


@pytest.mark.parametrize(("source", "expected"), [
    (b"from cherrypy.test import helper\n\nclass WebCase(helper.CPWebCase):\n    pass\n", True),
    # Kinto's testing.py names unittest's base first, then derives its test cases from the name
    (b"import unittest\n\nif skip_pypy:\n    _BaseWebTestBase = unittest.TestCase\n\n"
     b"class BaseWebTest(_BaseWebTestBase):\n    password = 'secret'\n", True),
    (b"from unittest import TestCase\nBase = TestCase  # the case every suite derives from\n", True),
    # a library that only mentions test cases
    (b'"""Run with TestCase-style suites."""\nRUNNER = "TestCase"\n', False),
    (b"def make_test_case(base=TestCase):\n    return base\n", False),
    # pytest-style tests shipped in a library's `testing/` package for its backends' suites
    (b"class BackendBasicTests:\n    def test_password_set_get(self):\n        password_1 = 'password1'\n"
     b"    def test_delete(self):\n        pass\n\n    async def test_credential(self):\n        pass\n", True),
    # a client's own health check
    (b"class Client:\n    def test_connection(self):\n        return self.ping()\n", False),
])
def test_test_support_is_read_from_a_test_case_or_its_base_under_another_name(source: bytes, expected: bool) -> None:
    assert is_test_support(source) is expected
