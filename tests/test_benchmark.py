"""benchmarks/run.py without running it: its options, its table and JSON on made-up results, and
the file lists that give the peers pwlint's files. No network, no downloads, no tool is run; the
real benchmark is run by hand (benchmarks/README.md), never by the suite."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

import pytest

from conftest import REPO, write_tree
from pwlint import discovery

BENCHMARKS = REPO / "benchmarks"


def _load_run():
    spec = importlib.util.spec_from_file_location("benchmarks_run", BENCHMARKS / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # puts benchmarks/ on sys.path for its helper modules
    return module


run = _load_run()
import bench_cases  # noqa: E402  (importable once run.py has put benchmarks/ on sys.path)
import bench_files  # noqa: E402
import bench_measure  # noqa: E402
import bench_report  # noqa: E402
from bench_report import Result  # noqa: E402

META = {
    "date": "2026-01-02 03:04 UTC",
    "runs": 5,
    "machine": {"cpu_count": 2, "cpu": "Test CPU", "memory_gib": 4.0, "platform": "Linux",
                "python": "3.11.7", "load_average": [0.1, 0.2, 0.3]},
    "tools": {"pwlint": {"version": "0.1.0", "revision": "abc1234", "features": ["cache", "jobs"]},
              "bandit": {"requirement": "bandit==1.9.4", "version": "1.9.4", "reason": None},
              "semgrep": {"requirement": "semgrep==1.180.0", "version": None, "reason": "cannot install"}},
    "inputs": [{"name": "django", "requirement": "django==5.1.4", "why": "", "archive": "Django-5.1.4.tar.gz",
                "sha256": "0" * 64, "subfolder": ".", "files": {"default": 874, "all": 2788}}],
}
RESULTS = [
    Result("django", "default", "pwlint cold", "pwlint", "ok", (1.0, 2.0, 3.0), 150_000, 160_000, 120_000, 874, 2),
    Result("django", "default", "pwlint warm", "pwlint", "ok", (0.25, 0.5, 0.3), 30_000, None, None, 874, 2),
    Result("django", "default", "bandit, all tests", "bandit", "ok", (8.0, 7.0, 9.0), 60_000, 61_000, 59_000, 874, 200,
           compare_to="pwlint cold"),
    Result("django", "default", "semgrep, 17 local rules", "semgrep", "unavailable", reason="cannot install",
           compare_to="pwlint cold"),
    Result("django", "all", "pwlint cold", "pwlint", "ok", (50.0,), 650_000, 650_000, 600_000, 2788, 527),
    Result("django", "all", "pwlint, one file changed", "pwlint", "skipped", reason="no result cache"),
]


def test_defaults_measure_everything_five_times() -> None:
    args = run.parse_args([])

    assert (args.runs, args.inputs, args.scopes, args.no_peers, args.subfolder) == (
        5, ["django", "ansible-core"], ["default", "all"], False, ".")
    assert args.json == BENCHMARKS / "results.json" and args.cache_dir == BENCHMARKS / ".cache"


def test_quick_is_one_run_on_a_subfolder_without_peers() -> None:
    args = run.parse_args(["--quick", "--inputs", "ansible-core"])

    assert (args.runs, args.inputs, args.no_peers, args.subfolder) == (1, ["django"], True, "django/contrib/auth")
    assert args.json == BENCHMARKS / ".cache" / "quick-results.json"
    assert run.parse_args(["--quick", "--runs", "3"]).runs == 3


def test_lists_are_comma_separated_and_keep_their_order() -> None:
    args = run.parse_args(["--inputs", "ansible-core,django", "--scopes", "all", "--runs", "2"])

    assert (args.inputs, args.scopes, args.runs) == (["ansible-core", "django"], ["all"], 2)


@pytest.mark.parametrize("argv", [["--runs", "0"], ["--runs", "x"], ["--inputs", "flask"], ["--scopes", ""],
                                  ["--frobnicate"]])
def test_bad_options_exit_2_with_one_message(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run.parse_args(argv)

    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip().splitlines()[-1].startswith("benchmarks/run.py: error: ")


def test_table_shows_medians_ratios_memory_and_why_a_row_is_missing() -> None:
    table = bench_report.render_table(META, RESULTS)

    assert "2 CPUs (Test CPU), Python 3.11.7, median of 5 runs" in table
    assert "pwlint at abc1234; pwlint 0.1.0, bandit 1.9.4, semgrep unavailable" in table
    assert "django==5.1.4 (.), test code skipped: 874 files" in table
    assert "django==5.1.4 (.), --include-tests: 2788 files" in table
    cold = next(line for line in table.splitlines() if "pwlint cold" in line)
    assert cold.split()[2:8] == ["2.00", "s", "1.00", "s", "3.00", "s"]
    assert cold.split()[8:14] == ["146", "MB", "156", "MB", "117", "MB"]
    bandit = next(line for line in table.splitlines() if "bandit, all tests" in line)
    assert bandit.split()[-1] == "4.00x" and "8.00 s" in bandit
    assert "semgrep, 17 local rules" in table and "unavailable: cannot install" in table
    assert "skipped: no result cache" in table


def test_json_keeps_samples_summaries_and_ratios(tmp_path: Path) -> None:
    path = tmp_path / "out" / "results.json"

    bench_report.write_json(path, bench_report.to_json(META, RESULTS))

    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["schema_version"] == bench_report.SCHEMA_VERSION and document["machine"]["cpu_count"] == 2
    by_name = {(row["scope"], row["name"]): row for row in document["results"]}
    bandit = by_name["default", "bandit, all tests"]
    assert (bandit["seconds"], bandit["median_s"], bandit["min_s"], bandit["max_s"], bandit["ratio"]) == (
        [8.0, 7.0, 9.0], 8.0, 7.0, 9.0, 4.0)
    assert by_name["default", "pwlint cold"]["ratio"] is None
    unavailable = by_name["default", "semgrep, 17 local rules"]
    assert (unavailable["status"], unavailable["median_s"], unavailable["ratio"]) == ("unavailable", None, None)
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]


def test_ratio_needs_a_measured_reference_in_the_same_scope() -> None:
    orphan = Result("django", "all", "bandit, all tests", "bandit", "ok", (10.0,), compare_to="pwlint warm")

    assert bench_report.ratio(orphan, RESULTS) is None
    assert bench_report.ratio(RESULTS[2], RESULTS) == 4.0


@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="needs Linux 4.14's smaps_rollup")
def test_tree_pss_counts_pages_a_forked_child_shares_once(tmp_path: Path) -> None:
    """A child forked after its parent filled 200 MB shares those pages: summed RSS counts them
    twice, PSS once."""
    script = ("import os, time\nblock = bytearray(200_000_000)\n"
              "if os.fork() == 0:\n    time.sleep(1.0)\n    os._exit(0)\ntime.sleep(1.0)\nos.wait()\n")
    sample = bench_measure.run_timed([sys.executable, "-c", script], tmp_path, os.environ, frozenset({0}),
                                     tmp_path / "log")

    assert sample.tree_rss_kb is not None and sample.tree_pss_kb is not None
    assert sample.tree_rss_kb > 380_000 and 190_000 < sample.tree_pss_kb < 280_000


def test_mirrored_discovery_defaults_match_pwlint() -> None:
    """The peers are given the files these constants select; a drift would compare different files."""
    assert bench_files.TEST_PATTERNS == discovery.DEFAULT_TEST_PATTERNS
    assert set(bench_files.EXCLUDED_NAMES) == set(discovery.DEFAULT_EXCLUDES) | discovery._UNCOUNTED_DIRS
    assert bench_files.PYTHON_SUFFIXES == discovery.PYTHON_SUFFIXES


@pytest.mark.parametrize("scope", bench_files.SCOPES)
def test_scope_files_are_the_files_pwlint_scans(tmp_path: Path, scope: str) -> None:
    write_tree(tmp_path, {name: "x = 1\n" for name in [
        "app/models.py", "app/tests.py", "app/test_views.py", "app/views_test.py", "app/conftest.py",
        "app/stubs.pyi", "tests/helpers.py", "pkg/test/util.py", "build/gen.py", "venv/lib.py",
        "proj.egg-info/x.py", "app/__pycache__/c.py", "docs/readme.txt", "testing/support.py"]})

    found = discovery.discover([tmp_path], root=tmp_path, include_tests=scope == "all")

    expected = sorted(path.relative_to(tmp_path).as_posix() for path in found.files)
    assert bench_files.scope_files(tmp_path, ".", scope) == expected


def test_pre_commit_files_prefer_files_that_mention_passwords(tmp_path: Path) -> None:
    names = [f"m{i:02}.py" for i in range(14)]
    write_tree(tmp_path, {name: ("PASSWORD = 1\n" if i % 2 else "x = 1\n") for i, name in enumerate(names)})

    chosen = bench_files.pre_commit_files(tmp_path, names)

    assert chosen == names[1::2] + names[0:6:2]


def test_the_changed_file_is_one_with_findings_in_scope() -> None:
    files = ["a.py", "b.py", "c.py"]

    assert bench_files.file_to_change(["tests/x.py", "c.py", "b.py"], files) == "b.py"
    assert bench_files.file_to_change([], files) == "a.py"


def test_linear_growth_is_measured_on_ten_copies_of_the_scope(tmp_path: Path) -> None:
    write_tree(tmp_path / "src", {"pkg/a.py": "x = 1\n", "pkg/b.py": "PASSWORD = 'hunter2'\n"})
    target = bench_cases.Target("demo", "default", tmp_path / "src", ".", ("pkg/a.py", "pkg/b.py"), tmp_path / "work")
    tool = bench_cases.Tool("pwlint", Path("/venv/bin/pwlint"), "1.0")

    bench_cases.copy_tenfold(target)
    case = next(case for case in bench_cases.pwlint_followups(tool, frozenset({"cache", "jobs"}), target, "pkg/a.py")
                if case.name == bench_cases.TENFOLD)

    copies = sorted(path.relative_to(target.work / "tenfold").as_posix()
                    for path in (target.work / "tenfold").rglob("*.py"))
    assert copies == sorted(f"copy{i}/pkg/{name}" for i in range(10) for name in ("a.py", "b.py"))
    assert (target.work / "tenfold/copy7/pkg/b.py").read_bytes() == b"PASSWORD = 'hunter2'\n"
    assert case.compare_to == bench_cases.COLD and case.state == "cold"
    assert "--no-cache" in case.argv and case.argv[-1] == str(target.work / "tenfold")


@pytest.mark.parametrize(("tool", "report", "expected"), [
    ("pwlint", {"scope": {"files_scanned": 3}, "findings": [{}, {}]}, (3, 2)),
    ("bandit", {"metrics": {"a.py": {}, "b.py": {}, "_totals": {}}, "results": [{}]}, (2, 1)),
    ("semgrep", {"paths": {"scanned": ["a.py"]}, "results": []}, (1, 0)),
    ("ruff", [{}, {}, {}], (None, 3)),
    ("pwlint", {"unexpected": True}, (None, None)),
])
def test_reports_give_files_and_findings(tmp_path: Path, tool: str, report: object,
                                         expected: tuple[int | None, int | None]) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report), encoding="utf-8")

    assert bench_cases.read_report(tool, path) == expected
    assert bench_cases.read_report(tool, tmp_path / "missing.json") == (None, None)

