"""The result cache, worker processes and the prefilter: faster, never different.

Every test compares against a run that cannot have been helped (no cache, one process, or no
prefilter), on realistic projects, through the command line a user runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, run_pwlint, write_tree

from pwlint import scan

HELPER_USES_SHA256 = """\
    import hashlib


    def digest(value):
        return hashlib.sha256(value.encode()).hexdigest()
    """
HELPER_USES_BCRYPT = """\
    import bcrypt


    def digest(value):
        return bcrypt.hashpw(value.encode(), bcrypt.gensalt()).decode()
    """
PROJECT = {
    "accounts/__init__.py": "",
    "accounts/crypto.py": HELPER_USES_SHA256,
    "accounts/views.py": """\
        from accounts.crypto import digest


        def register(request, db):
            password = request.form["password"]
            db.save(request.form["name"], digest(password))
        """,
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))  # the signing key lives here
    root = tmp_path / "project"
    write_tree(root, {name: textwrap.dedent(text) for name, text in PROJECT.items()})
    return root


def check(root: Path, *args: str) -> str:
    proc = run_pwlint("check", ".", "--quiet", *args, cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    return proc.stdout


def test_a_warm_run_gives_the_cold_result_and_keeps_the_cache_out_of_git(project: Path) -> None:
    cold = check(project, "--no-cache")
    assert not (project / ".pwlint_cache").exists()

    first, second = check(project), check(project)

    assert cold == first == second and "accounts/views.py:6" in cold
    assert (project / ".pwlint_cache" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_run_answered_from_the_cache_does_not_import_libcst(project: Path) -> None:
    check(project)
    code = ("import contextlib, io, sys\nfrom pwlint.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()): main(['check', '.'])\n"
            "print('libcst' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True, check=False)

    assert proc.stdout.strip() == "False", proc.stderr


def test_an_edit_to_a_file_without_password_words_is_answered_after_the_prefilter(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The analysis is cached under the files the prefilter keeps too, so editing a file that it
    skips parses nothing; editing a kept file still does."""
    settings = scan.Settings(paths=[str(project)])
    loaded = scan.load(settings)
    first = scan.scan(settings, loaded).findings
    assert [(f.path, f.region.start_line) for f in first] == [("accounts/views.py", 6)]

    def no_analysis(*args: object, **kwargs: object) -> None:
        raise AssertionError("analysed again")

    (project / "accounts/forms.py").write_text("def label(field):\n    return field.title()\n")
    with monkeypatch.context() as patched:
        patched.setattr(scan, "_analyse_in_worker", no_analysis)
        patched.setattr(scan, "_analyse_pooled", no_analysis)
        assert scan.scan(settings, loaded).findings == first
        (project / "accounts/views.py").write_text((project / "accounts/views.py").read_text() + "# edited\n")
        with pytest.raises(AssertionError, match="analysed again"):
            scan.scan(settings, loaded)
    assert scan.scan(settings, loaded).findings == first


LOGGING_RULE = """\
    id: XX801
    name: password-printed
    message: "{message}"
    severity: error
    category: plaintext-storage
    cwe: [532]
    summary: s
    why: w
    fix: f
    examples: {{bad: ["print(password)"], good: ["print(name)"]}}
    match:
      - call: print
        where:
          - arg: any
            is: password
    """


def test_a_change_to_the_rules_the_settings_or_pwlint_itself_is_a_miss(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each of them is in the key: a result computed under others is never handed back."""
    from pwlint import cache

    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "XX801-password-printed.yaml").write_text(textwrap.dedent(LOGGING_RULE.format(message="printed")))
    (project / "accounts/debug.py").write_text("def show(password):\n    print(password)\n")

    def messages(**changes: object) -> list[tuple[str, str]]:
        settings = scan.Settings(paths=[str(project)], rule_dirs=[rules], **changes)  # type: ignore[arg-type]
        return sorted((f.rule_id, f.message) for f in scan.scan(settings, scan.load(settings)).findings)

    everything = messages()
    assert ("XX801", "printed") in everything and messages() == everything  # the second from the cache

    (rules / "XX801-password-printed.yaml").write_text(textwrap.dedent(LOGGING_RULE.format(message="shown")))
    assert ("XX801", "shown") in messages()  # a rule file changed
    assert messages(select=["XX"]) == [("XX801", "shown")]  # a setting that changes findings
    assert messages(select=["XX"], profile="asvs-5.0.0") == [("XX801", "shown")]

    def analysed_again(*args: object, **kwargs: object) -> None:
        raise AssertionError("analysed again")

    monkeypatch.setattr(scan, "_analyse_in_worker", analysed_again)
    monkeypatch.setattr(scan, "_analyse_pooled", analysed_again)
    assert messages(select=["XX"]) == [("XX801", "shown")]  # unchanged: answered from the cache
    monkeypatch.setattr(cache, "code_digest", lambda: b"another pwlint, libcst or Python")
    with pytest.raises(AssertionError, match="analysed again"):
        messages(select=["XX"])


def test_editing_a_helper_changes_the_findings_of_the_module_that_calls_it(project: Path) -> None:
    assert "accounts/views.py:6" in check(project)

    (project / "accounts/crypto.py").write_text(textwrap.dedent(HELPER_USES_BCRYPT))
    assert check(project) == check(project, "--no-cache") == ""

    (project / "accounts/crypto.py").write_text(textwrap.dedent(HELPER_USES_SHA256))
    assert "accounts/views.py:6" in check(project)


def _shelf(project: Path) -> tuple[set[str], set[str]]:
    """The files a scan of `project` would parse, and those whose model the cache holds."""
    from pwlint.cache import Cache
    from pwlint.modelling import Shelf
    from pwlint.prefilter import Prefilter

    settings = scan.Settings(paths=[str(project)])
    patterns = [pattern for rule in scan.load(settings).rules for pattern in rule.patterns]
    contents = {path.relative_to(project).as_posix(): path.read_bytes() for path in project.rglob("*.py")
                if ".pwlint_cache" not in path.parts}
    selection = Prefilter(patterns).select(contents)
    cache = Cache.open(project)
    assert cache is not None
    chosen = {path: contents[path] for path in selection.paths}
    return set(chosen), set(Shelf.of(cache, chosen, cache.digests(chosen), selection.focus).stored)


def test_after_an_edit_only_the_edited_file_is_parsed_and_the_result_is_unchanged(project: Path) -> None:
    """Models are kept from a project's second scan on, keyed by what each depends on."""
    views = project / "accounts/views.py"
    expected = check(project, "--no-cache")
    assert check(project) == expected
    chosen, stored = _shelf(project)
    assert stored == set(), "a first scan keeps no model"

    views.write_text(views.read_text() + "# edited\n")
    assert check(project) == expected
    assert _shelf(project) == (chosen, chosen)

    views.write_text(views.read_text() + "# edited again\n")
    assert _shelf(project) == (chosen, chosen - {"accounts/views.py"})
    assert check(project) == expected


def test_a_model_is_kept_apart_for_each_focus_its_slice_depends_on() -> None:
    """A file's slice depends on which of its definitions the project calls with a password."""
    from pwlint.prefilter import Focus, Prefilter
    from pwlint.slicing import dependence

    focus = Prefilter([]).select({"a.py": b"x = password\n"}).focus
    assert focus is not None
    data = textwrap.dedent(HELPER_USES_SHA256).encode()
    calling = Focus(focus.password, focus.standalone, frozenset({"digest"}), focus.scoped)
    elsewhere = Focus(focus.password, focus.standalone, frozenset({"render"}), focus.scoped)
    assert dependence(data, focus) == dependence(data, elsewhere) != dependence(data, calling)


def test_the_prefilter_searches_only_files_it_has_not_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    """Its facts are kept by content: a second selection over the same bytes searches nothing,
    and chooses as a selection without them does."""
    from pwlint.cache import Cache
    from pwlint.prefilter import Prefilter

    prefilter = Prefilter([pattern for rule in scan.load(scan.Settings()).rules for pattern in rule.patterns])
    files = {name: textwrap.dedent(text).encode() for name, text in PROJECT.items()}
    files["accounts/forms.py"] = b"def label(field):\n    return field.title()\n"
    digests = Cache.digests(files)
    known: dict[bytes, object] = {}
    first = prefilter.select(files, known, digests)
    assert set(known) == set(digests.values())

    def searched(data: bytes) -> None:
        raise AssertionError(f"searched again: {data[:20]!r}")

    with monkeypatch.context() as patched:
        patched.setattr(prefilter, "facts", searched)
        again = prefilter.select(files, known, digests)
    assert again == first == prefilter.select(files)
    assert first.paths == {"accounts/crypto.py", "accounts/views.py"}


def test_a_file_that_comes_to_name_a_password_is_parsed_on_the_next_run(project: Path) -> None:
    forms = project / "accounts/forms.py"
    forms.write_text("def label(field):\n    return field.title()\n")
    check(project)
    check(project)
    forms.write_text("import hashlib\n\ndef label(password):\n    return hashlib.md5(password.encode()).hexdigest()\n")
    assert "accounts/forms.py:4" in check(project) == check(project, "--no-cache")


def test_damaged_and_foreign_entries_are_misses(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    expected = check(project, "--no-cache")
    check(project)
    entries = [path for path in (project / ".pwlint_cache").rglob("*.pickle")]
    assert entries
    for path in entries:
        path.write_bytes(path.read_bytes()[:40] + b"garbage")
    assert check(project) == expected

    check(project)  # entries rewritten; now read them with another user's key
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
    assert check(project) == expected


def test_overlapping_runs_share_the_cache_safely(project: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    runs = [subprocess.Popen([sys.executable, "-m", "pwlint", "check", ".", "-q"], cwd=project, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [run.communicate(timeout=120) for run in runs]

    assert all(run.returncode == 1 for run in runs), [err for _, err in outputs]
    assert len({out for out, _ in outputs}) == 1
    assert check(project) == outputs[0][0]


def test_clean_removes_the_cache(project: Path) -> None:
    check(project)
    proc = run_pwlint("clean", ".", cwd=project)

    assert proc.returncode == 0 and "removed" in proc.stderr
    assert not (project / ".pwlint_cache").exists()


def test_output_is_byte_identical_for_any_number_of_workers(tmp_path: Path) -> None:
    files = {f"app/service_{i}.py": f"""\
        import hashlib
        import logging

        log = logging.getLogger(__name__)


        def login_{i}(username, password):
            log.debug("login %s %s", username, password)
            return hashlib.md5(password.encode()).hexdigest()
        """ for i in range(12)}
    write_tree(tmp_path, {name: textwrap.dedent(text) for name, text in files.items()})

    outputs = {jobs: run_pwlint("check", ".", "--format", "sarif", "--no-cache", "--jobs", jobs, cwd=tmp_path).stdout
               for jobs in ("1", "2", "3")}

    assert len(set(outputs.values())) == 1
    assert outputs["1"].count('"ruleId": "PW101"') == 12


def test_prefilter_changes_no_finding_on_real_code(tmp_path: Path) -> None:
    """pip's own network and authentication code, as installed next to the running interpreter."""
    import pip

    source = Path(pip.__file__).parent / "_internal"
    with_prefilter = run_pwlint("check", str(source), "--format", "json", "--no-cache", cwd=tmp_path)
    without = run_pwlint("check", str(source), "--format", "json", "--no-cache", "--no-prefilter", cwd=tmp_path)

    assert with_prefilter.returncode in (0, 1), with_prefilter.stderr
    assert _findings(with_prefilter.stdout) == _findings(without.stdout)


def _findings(report: str) -> list[object]:
    import json

    return json.loads(report)["findings"]


def test_progress_shows_on_a_terminal_and_nowhere_else(project: Path) -> None:
    import pty

    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    env.pop("CI", None)
    leader, follower = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "pwlint", "check", ".", "--no-cache"], cwd=project, env=env,
                          stdout=subprocess.PIPE, stderr=follower, check=False, timeout=120)
    os.close(follower)
    shown = os.read(leader, 65536).decode(errors="replace")
    os.close(leader)
    piped = run_pwlint("check", ".", "--no-cache", cwd=project)

    assert proc.returncode == 1
    assert "files," in shown and "pwlint: " in shown
    assert "files," not in piped.stderr
