"""Parsing only the definitions where a rule can fire (`slicing.py`): less to parse, never a
different finding, and every kept line where it was.

Each project is scanned with the prefilter (which slices) and without it (which parses every file
whole); the findings, their positions and their flows must be the same.
"""

from __future__ import annotations

import ast
import os
import signal
import textwrap
from pathlib import Path
from typing import Mapping

import pytest
from conftest import write_tree

from pwlint import parsing, slicing
from pwlint.findings import Finding
from pwlint.isolation import can_fork
from pwlint.prefilter import Prefilter
from pwlint.scan import Settings, build_engine, load, scan
from pwlint.slicing import slice_source


def findings(root: Path, files: Mapping[str, str], prefilter: bool = True) -> list[Finding]:
    write_tree(root, {name: textwrap.dedent(text) for name, text in files.items()})
    settings = Settings(paths=[str(root)], prefilter=prefilter, cache=False, include_tests=True)
    return scan(settings, load(settings)).active_findings


def described(found: list[Finding]) -> list[tuple[object, ...]]:
    return sorted((f.path, f.region.start_line, f.region.start_column, f.rule_id,
                   tuple((step.path, step.region, step.note) for step in f.flow)) for f in found)


def sliced(files: Mapping[str, str], path: str) -> str:
    """`path` as libcst would see it in a scan of `files`."""
    sources = {name: textwrap.dedent(text).encode() for name, text in files.items()}
    selection = Prefilter(build_engine(load(Settings())).patterns).select(sources)
    assert path in selection.paths and selection.focus is not None
    return slice_source(sources[path].decode(), sources[path], selection.focus).text


ACCOUNTS = {
    "app/accounts.py": """\
        import hashlib
        import logging

        log = logging.getLogger(__name__)


        class AccountStore:
            \"\"\"Users and their credentials, kept in the shop's database.\"\"\"

            table = "accounts"

            def __init__(self, db, password_pepper):
                self.db = db
                self._pepper = password_pepper

            def render_row(self, row):
                cells = [str(cell) for cell in row]
                return " | ".join(cells)

            @staticmethod
            def page_count(rows, per_page=20):
                return (len(rows) + per_page - 1) // per_page

            def register(self, name, password):
                digest = self._digest(password)
                self.db.save(name, digest)
                self._audit(name, password)

            def _digest(self, value):
                return hashlib.sha256(value.encode()).hexdigest()

            def _audit(self, name, value):
                self._write(name, value)

            def _write(self, name, value):
                log.info("registered %s with %s", name, value)

            def peppered(self, text):
                return hashlib.md5((text + self._pepper).encode()).hexdigest()


        def etag(body):
            return hashlib.md5(body).hexdigest()


        def summary(rows):
            return {"count": len(rows), "first": rows[0] if rows else None}
        """,
}


def test_unrelated_definitions_are_blanked_and_kept_lines_stay_in_place() -> None:
    original = textwrap.dedent(ACCOUNTS["app/accounts.py"])
    text = sliced(ACCOUNTS, "app/accounts.py")
    assert text.count("\n") == original.count("\n")
    ast.parse(text)  # still Python
    kept = {number for number, line in enumerate(text.split("\n"), 1) if line.strip() not in ("", "pass", '"""')}
    for number in kept:
        assert text.split("\n")[number - 1] == original.split("\n")[number - 1]
    assert "render_row" not in text and "page_count" not in text and "def summary" not in text
    # names a password; receives one; hands it on (twice, under other names); reads a carrier
    for wanted in ("def register", "def _digest", "def _audit", "def _write", "def __init__", "def peppered"):
        assert wanted in text
    assert 'table = "accounts"' in text and "Users and their credentials" in text


def test_slicing_changes_no_finding_position_or_flow(tmp_path: Path) -> None:
    with_slicing = findings(tmp_path / "a", ACCOUNTS)
    whole = findings(tmp_path / "b", ACCOUNTS, prefilter=False)
    assert described(with_slicing) == described(whole)
    rules = {(f.region.start_line, f.rule_id) for f in with_slicing}
    assert (25, "PW101") in rules  # sha256 in _digest, reported where register hands the password over
    assert (27, "PW801") in rules  # the log in _write, two helpers down


def test_a_flow_through_a_self_attribute_set_from_a_password_survives_slicing(tmp_path: Path) -> None:
    project = {
        "app/client.py": """\
            import sqlite3


            class Vault:
                def __init__(self, path, master_password):
                    self.conn = sqlite3.connect(path)
                    self.secret = master_password

                def describe(self):
                    return f"vault at {self.conn}"

                def save(self):
                    self.conn.execute("INSERT INTO vault (secret) VALUES (?)", (self.secret,))
                    self.conn.commit()
            """,
    }
    text = sliced(project, "app/client.py")
    assert "def save" in text and "def describe" not in text
    assert described(findings(tmp_path / "a", project)) == described(findings(tmp_path / "b", project, prefilter=False))


def test_a_self_attribute_set_from_a_local_made_of_a_password_is_a_carrier(tmp_path: Path) -> None:
    project = {
        "app/connection.py": """\
            import logging

            log = logging.getLogger(__name__)


            class Connection:
                def set_proxy(self, server, port, username, password):
                    proxy_uri = (
                        f"{username}:{password}@{server}:{port}"
                    )
                    self.proxy = {
                        "https": f"https://{proxy_uri}",
                    }

                def describe(self):
                    return "a connection"

                def request(self, url):
                    log.debug(f"calling {url} through {self.proxy}")
            """,
    }
    text = sliced(project, "app/connection.py")
    assert "def request" in text and "def describe" not in text
    found = findings(tmp_path / "a", project)
    assert [(f.region.start_line, f.rule_id) for f in found] == [(19, "PW801")]
    assert described(found) == described(findings(tmp_path / "b", project, prefilter=False))


def test_a_file_ast_cannot_parse_is_parsed_whole_and_its_error_reported(tmp_path: Path) -> None:
    project = {
        "app/broken.py": """\
            import hashlib


            def unrelated():
                return 1


            def login(password):
                return hashlib.md5(password.encode()).hexdigest(
            """,
    }
    text = sliced(project, "app/broken.py")
    assert text == textwrap.dedent(project["app/broken.py"])
    write_tree(tmp_path, {name: textwrap.dedent(body) for name, body in project.items()})
    problems = [scan(settings, load(settings)).problems for settings in
                (Settings(paths=[str(tmp_path)], cache=False), Settings(paths=[str(tmp_path)], cache=False, prefilter=False))]
    assert problems[0] == problems[1]
    assert [(p.path, p.message.split(":")[0]) for p in problems[0]] == [("app/broken.py", "syntax error")]


def test_windows_line_breaks_and_decorators_keep_every_position(tmp_path: Path) -> None:
    body = ("import hashlib\r\n\r\n\r\n@property\r\ndef unrelated(self):\r\n    return 1\r\n\r\n\r\n"
            "def login(password):\r\n    return hashlib.md5(password.encode()).hexdigest()\r\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "login.py").write_bytes(body.encode())
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "login.py").write_bytes(body.encode())
    with_slicing = scan(Settings(paths=[str(tmp_path / "a")], cache=False), load(Settings())).active_findings
    whole = scan(Settings(paths=[str(tmp_path / "b")], prefilter=False, cache=False), load(Settings())).active_findings
    assert described(with_slicing) == described(whole)
    assert [(f.region.start_line, f.rule_id) for f in with_slicing] == [(10, "PW101")]


def test_a_password_returned_under_another_name_is_followed_through_the_caller(tmp_path: Path) -> None:
    project = {
        "app/provision.py": """\
            import os


            class TestDatabase:
                CREATE = ["CREATE USER %(user)s IDENTIFIED BY %(password)s"]

                def _settings(self):
                    return {"user": "test", "password": os.environ.get("TEST_DB_PASSWORD", "")}

                def create(self, cursor, verbosity):
                    params = self._settings()
                    self._run(cursor, self.CREATE, params, verbosity)

                def _run(self, cursor, statements, params, verbosity):
                    for template in statements:
                        statement = template % params
                        if verbosity >= 2:
                            print(statement)
                        cursor.execute(statement)

                def describe(self):
                    return "test database"
            """,
    }
    text = sliced(project, "app/provision.py")
    assert "def create" in text and "def _run" in text and "def describe" not in text
    found = findings(tmp_path / "a", project)
    assert described(found) == described(findings(tmp_path / "b", project, prefilter=False))
    assert [(f.region.start_line, f.rule_id) for f in found] == [(12, "PW801")]  # where create hands it on


SLICE_CALLS = "slice-calls.txt"


def _recording_slices(monkeypatch: pytest.MonkeyPatch, log: Path, die_on_call: int = 0) -> None:
    """Every process that slices appends its pid to `log`; the feed's helper (the only caller of
    `slice_file`) kills itself on its call number `die_on_call`, as a crash in `ast` would."""
    real_slice_source, real_slice_file = slicing.slice_source, parsing.slice_file
    calls = [0]

    def slice_source(*args: object) -> slicing.Slice:
        with log.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        return real_slice_source(*args)  # type: ignore[arg-type]

    def slice_file(*args: object) -> object:
        calls[0] += 1
        if calls[0] == die_on_call:
            os.kill(os.getpid(), signal.SIGKILL)
        return real_slice_file(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(slicing, "slice_source", slice_source)
    monkeypatch.setattr(parsing, "slice_file", slice_file)


def _scan_one_job(root: Path) -> list[Finding]:
    settings = Settings(paths=[str(root)], cache=False, jobs=1)
    return scan(settings, load(settings)).active_findings


FED = {**ACCOUNTS, "app/signup.py": """\
    from app.accounts import AccountStore


    def sign_up(store, form):
        store.register(form["name"], form["password"])
    """, "app/tokens.py": """\
    import hashlib


    def reset_token(user, password):
        return hashlib.sha1(password.encode()).hexdigest()
    """}


@pytest.mark.skipif(not can_fork(), reason="the feed runs beside a forked worker")
def test_a_helper_process_slices_every_file_and_the_worker_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path / "p", {name: textwrap.dedent(text) for name, text in FED.items()})
    _recording_slices(monkeypatch, tmp_path / SLICE_CALLS)
    found = _scan_one_job(tmp_path / "p")
    slicers = (tmp_path / SLICE_CALLS).read_text().split()
    assert len(slicers) == 3 and len(set(slicers)) == 1 and int(slicers[0]) != os.getpid()
    assert described(found) == described(findings(tmp_path / "q", FED, prefilter=False))


@pytest.mark.skipif(not can_fork(), reason="the feed runs beside a forked worker")
def test_a_helper_that_dies_midway_leaves_the_rest_to_the_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path / "p", {name: textwrap.dedent(text) for name, text in FED.items()})
    _recording_slices(monkeypatch, tmp_path / SLICE_CALLS, die_on_call=2)
    found = _scan_one_job(tmp_path / "p")
    slicers = (tmp_path / SLICE_CALLS).read_text().split()
    assert len(slicers) == 3 and len(set(slicers)) == 2  # the helper's first, then the worker's two
    assert described(found) == described(findings(tmp_path / "q", FED, prefilter=False))
    assert len(found) >= 3


LOGIN_TESTS = {
    "tests/test_login.py": """\
        import hashlib

        from django.contrib.auth.models import User
        from django.test import TestCase

        from shop.models import Article


        class LoginTests(TestCase):
            @classmethod
            def setUpTestData(cls):
                cls.user = User.objects.create_user("alice", "alice@example.com", password="s3cret-pass")
                cls.article = Article.objects.create(title="Hello", body="x" * 200)
                cls.other = Article.objects.create(title="Bye", body="y")

            def test_login_then_page(self):
                response = self.client.get("/articles/")
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "Hello")
                self.client.login(username="alice", password="s3cret-pass")
                page = self.client.get("/account/")
                self.assertEqual(page.status_code, 200)

            def test_legacy_digest(self):
                password = self.user.username + "!"
                sizes = [len(article.body) for article in Article.objects.all()]
                self.assertEqual(sum(sizes), 201)
                token = password.encode()
                rounds = 1000
                salt = b"constant-salt"
                digest = hashlib.md5(token).hexdigest()
                stretched = hashlib.pbkdf2_hmac("sha256", token, salt, rounds)
                self.assertNotEqual(digest, stretched.hex())
        """,
}


def test_statements_of_a_kept_function_that_no_finding_can_involve_are_blanked(tmp_path: Path) -> None:
    text = sliced(LOGIN_TESTS, "tests/test_login.py")
    original = textwrap.dedent(LOGIN_TESTS["tests/test_login.py"])
    assert text.count("\n") == original.count("\n")
    ast.parse(text)
    for blanked in ('self.assertContains(response, "Hello")', "cls.article", "cls.other", "sizes", "/account/"):
        assert blanked not in text
    # the statement naming a password, what reads it under other names, and what those read
    for kept in ("cls.user = User.objects.create_user", 'self.client.login(username="alice", password="s3cret-pass")',
                 "token = password.encode()", "rounds = 1000", 'salt = b"constant-salt"',
                 "digest = hashlib.md5(token)", "stretched = hashlib.pbkdf2_hmac", "self.assertNotEqual(digest"):
        assert kept in text
    with_slicing = findings(tmp_path / "a", LOGIN_TESTS)
    assert described(with_slicing) == described(findings(tmp_path / "b", LOGIN_TESTS, prefilter=False))
    assert {(f.region.start_line, f.rule_id) for f in with_slicing} >= {(20, "PW501"), (31, "PW101"), (32, "PW301")}


UNAUDITED_RULE = """\
    id: XX901
    name: unaudited-password-check
    message: "the password check is not audited"
    severity: warning
    category: timing-unsafe-compare
    cwe: [778]
    summary: s
    why: w
    fix: f
    examples: {bad: ["def f(password, stored):\\n    return password == stored"],
               good: ["def f(password, stored):\\n    audit.record('login')\\n    return password == stored"]}
    match:
      - compare: ["=="]
        where:
          - operands: {one: {is: password}}
          - not: {calls: ["audit.record"]}
    """


def test_a_call_a_calls_condition_looks_for_is_kept_though_nothing_links_it(tmp_path: Path) -> None:
    project = {
        "tests/test_checks.py": """\
            import audit


            class CheckTests:
                def test_audited(self):
                    audit.record("login")
                    self.assertTrue("s3cret" == self.password)

                def test_unaudited(self):
                    self.assertTrue("s3cret" == self.password)
            """,
    }
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "XX901-unaudited.yaml").write_text(textwrap.dedent(UNAUDITED_RULE))
    found = {}
    for prefilter in (True, False):
        write_tree(tmp_path / str(prefilter), {name: textwrap.dedent(text) for name, text in project.items()})
        settings = Settings(paths=[str(tmp_path / str(prefilter))], prefilter=prefilter, cache=False,
                            include_tests=True, rule_dirs=[str(rules)], select=["XX"])
        found[prefilter] = described(scan(settings, load(settings)).active_findings)
    assert found[True] == found[False] and [finding[1] for finding in found[True]] == [10]


def test_a_definition_is_kept_for_a_pattern_only_when_it_holds_every_token_group_of_it(tmp_path: Path) -> None:
    """The option rule needs an option call (`add_argument`) and a hash option's name: a function
    with the first alone cannot hold a match."""
    project = {
        "tools/passwd.py": """\
            import argparse


            def logging_options(parser):
                parser.add_argument("--verbose", action="store_true")
                parser.add_argument("--log-file", default="tool.log")


            def hashing_options(parser):
                parser.add_argument("--hash-method", default="md5", help="how new passwords are hashed")


            def main():
                parser = argparse.ArgumentParser()
                logging_options(parser)
                hashing_options(parser)
                return parser.parse_args()
            """,
    }
    text = sliced(project, "tools/passwd.py")
    assert "def logging_options" not in text and "def main" not in text and "def hashing_options" in text
    found = findings(tmp_path / "a", project)
    assert described(found) == described(findings(tmp_path / "b", project, prefilter=False))
    assert [(f.region.start_line, f.rule_id) for f in found] == [(10, "PW401")]
