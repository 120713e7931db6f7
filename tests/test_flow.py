"""Data flow across functions and modules, on small but realistic projects.

Each test writes a project, scans it the way `pwlint check` does (`scan.scan`), and asserts where
findings land and which path they report, or that nothing is reported for code that is right.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Mapping

import libcst as cst
import pytest
from conftest import assert_valid_sarif, run_pwlint, write_tree

from pwlint.findings import Finding
from pwlint.names import build_model
from pwlint.parsing import parse
from pwlint.scan import Settings, load, scan


def findings(root: Path, files: Mapping[str, str], prefilter: bool = True) -> list[Finding]:
    write_tree(root, {name: textwrap.dedent(text) for name, text in files.items()})
    settings = Settings(paths=[str(root)], prefilter=prefilter)
    return scan(settings, load(settings)).active_findings


def where(found: list[Finding]) -> set[tuple[str, int, str]]:
    return {(f.path, f.region.start_line, f.rule_id) for f in found}


HELPER_PROJECT = {
    "shop/__init__.py": "from .crypto_utils import hash_value\n",
    "shop/crypto_utils.py": """\
        import hashlib


        def hash_value(value):
            return hashlib.sha1(value.encode()).hexdigest()


        def etag(body):
            return hashlib.md5(body).hexdigest()
        """,
    "shop/views.py": """\
        from shop import hash_value
        from .crypto_utils import etag


        def register(request, db):
            password = request.form["password"]
            db.save(request.form["name"], hash_value(password))


        def page(response):
            response.headers["ETag"] = etag(response.body)
        """,
}


def test_fast_hash_in_a_helper_of_another_module_is_reported_where_the_password_enters(tmp_path: Path) -> None:
    found = findings(tmp_path, HELPER_PROJECT)

    assert where(found) == {("shop/views.py", 7, "PW101")}
    steps = [(step.path, step.region.start_line, step.note) for step in found[0].flow]
    assert steps == [
        ("shop/views.py", 6, "password `password`"),
        ("shop/views.py", 7, "passed to `hash_value()` as `value`"),
        ("shop/crypto_utils.py", 5, "reaches `hashlib.sha1`"),
    ]


def test_every_call_that_hands_a_helper_a_password_is_reported_under_its_own_name(tmp_path: Path) -> None:
    """A generic helper serves setting and checking a password alike: each call is a fault of its
    own (a verify path recomputes the weak hash), and a call that hands it other data is none."""
    found = findings(tmp_path, {
        "app/__init__.py": "",
        "app/util.py": """\
            from hashlib import sha1


            def sha(data=""):
                return sha1(data.encode("UTF-8"))
            """,
        "app/user.py": """\
            from app.util import sha


            class User:
                def set_password(self, password):
                    self._password = sha(password.strip()).hexdigest()

                def check_password(self, candidate_password):
                    return sha(candidate_password.strip()).hexdigest() == self._password

                def etag(self, body):
                    return sha(body).hexdigest()
            """,
    })

    assert where(found) == {("app/user.py", 6, "PW101"), ("app/user.py", 9, "PW101")}
    assert {f.region.start_line: f.message.split("`")[1] for f in found} == {6: "password", 9: "candidate_password"}
    assert [step.note for step in found[1].flow][1:] == ["passed to `sha()` as `data`", "reaches `hashlib.sha1`"]


def test_a_call_whose_function_exempts_the_match_is_not_reported_among_the_helpers_other_callers(
        tmp_path: Path) -> None:
    """A helper's match is reported at every call that hands it a password, but not at a call
    whose own function the rule exempts: a handshake that proves the password to a device with
    SHA-256 stores nothing, the account that keeps the same digest does."""
    handshake = """\
            import hashlib


            def _sha256(payload):
                return hashlib.sha256(payload).hexdigest()


            def save_account(account, password):
                account.password_digest = _sha256(password.encode())
                account.save()


            def perform_handshake(session, password):
                session.proof = _sha256(password.encode())
            """
    found = findings(tmp_path, {"device.py": handshake})

    assert where(found) == {("device.py", 9, "PW101")}


def test_a_comparison_with_a_password_of_its_own_is_reported_where_it_compares(tmp_path: Path) -> None:
    """An authorizer handed a dict of users compares a login's password with the stored one: the
    fault is the comparison (it names its own password), not each call that builds a handler."""
    found = findings(tmp_path, {
        "srv/__init__.py": "",
        "srv/auth.py": """\
            class AuthHandler:
                def __init__(self, users, handler):
                    self.authorizer = DictionaryAuthorizer(users)
                    self.handler = handler


            class DictionaryAuthorizer:
                def __init__(self, users):
                    self.users = users

                def authorize(self, auth_info):
                    [username, password] = auth_info
                    return username in self.users and self.users[username] == password
            """,
        "srv/http.py": """\
            from srv.auth import AuthHandler


            def make_servers(config, rpc, ui):
                password = config["password"]
                users = {config["username"]: password}
                return [AuthHandler(users, rpc), AuthHandler(users, ui)]
            """,
    })

    assert where(found) == {("srv/auth.py", 13, "PW601")}
    assert found[0].message.split("`")[1] == "password"


def test_text_output_shows_the_path_and_sarif_carries_code_flows(tmp_path: Path) -> None:
    write_tree(tmp_path, {name: textwrap.dedent(text) for name, text in HELPER_PROJECT.items()})

    text = run_pwlint("check", ".", cwd=tmp_path)
    sarif = run_pwlint("check", ".", "--format", "sarif", "--output", "out.sarif", cwd=tmp_path)

    assert ("flow: password `password` (line 6) -> passed to `hash_value()` as `value` (line 7) -> "
            "reaches `hashlib.sha1` (shop/crypto_utils.py:5)") in text.stdout
    assert sarif.returncode == 1, sarif.stderr
    result = json.loads((tmp_path / "out.sarif").read_text())["runs"][0]["results"][0]
    assert result["message"]["text"].endswith("(source: [password `password`](1))")
    assert result["relatedLocations"][0]["id"] == 1
    thread = result["codeFlows"][0]["threadFlows"][0]["locations"]
    assert [loc["location"]["physicalLocation"]["artifactLocation"]["uri"] for loc in thread] == [
        "shop/views.py", "shop/views.py", "shop/crypto_utils.py"]
    assert_valid_sarif(tmp_path / "out.sarif")


def test_prefilter_keeps_a_sink_file_without_password_words_when_a_password_file_calls_it(tmp_path: Path) -> None:
    with_prefilter = findings(tmp_path, HELPER_PROJECT)
    without = findings(tmp_path, HELPER_PROJECT, prefilter=False)

    assert where(with_prefilter) == where(without)


def test_a_password_attribute_set_by_a_base_class_in_a_file_without_password_words(tmp_path: Path) -> None:
    """A plugin reads `self.password`, which the base every plugin shares sets from its options;
    the base between them never names a password, and the prefilter keeps it for its class."""
    project = {
        "notify/__init__.py": "",
        "notify/url.py": """\
            class URLBase:
                def __init__(self, **kwargs):
                    self.password = kwargs.get("password")
            """,
        "notify/base.py": """\
            from .url import URLBase


            class NotifyBase(URLBase):
                def __init__(self, **kwargs):
                    super().__init__(**kwargs)
            """,
        "notify/twist.py": """\
            import logging

            from .base import NotifyBase

            logger = logging.getLogger(__name__)


            class NotifyTwist(NotifyBase):
                def login(self):
                    payload = {"email": self.email, "password": self.password}
                    return self._fetch("users/login", payload=payload)

                def _fetch(self, url, payload=None):
                    logger.debug(f"Twist payload: {payload!s}")
            """,
    }

    expected = {("notify/twist.py", 11, "PW801")}
    assert where(findings(tmp_path / "on", project)) == expected
    assert where(findings(tmp_path / "off", project, prefilter=False)) == expected


def test_a_setter_that_encrypts_in_a_file_without_password_words_is_asked_before_reporting(tmp_path: Path) -> None:
    """The model's `@payload.setter` encrypts what is assigned; its file never names a password,
    and the prefilter keeps it for the attribute a password file assigns. Without its own
    encryption, the same assignment is a finding either way."""
    project = {
        "services/__init__.py": "",
        "services/models.py": """\
            import json

            from cryptography.fernet import Fernet
            from django.db import models

            cipher = Fernet(Fernet.generate_key())


            class AuthConfig(models.Model):
                _payload = models.CharField(max_length=4096)

                @property
                def payload(self):
                    return json.loads(cipher.decrypt(self._payload.encode()))

                @payload.setter
                def payload(self, value):
                    self._payload = cipher.encrypt(json.dumps(value).encode()).decode()
            """,
        "services/handlers.py": """\
            from .models import AuthConfig


            def create_auth_config(username, password):
                config = AuthConfig()
                config.payload = {"username": username, "password": password}
                config.save()
                return config
            """,
    }
    assert findings(tmp_path / "on", project) == []
    assert findings(tmp_path / "off", project, prefilter=False) == []
    plain = {**project, "services/models.py": """\
        from django.db import models


        class AuthConfig(models.Model):
            payload = models.JSONField()
        """}
    expected = {("services/handlers.py", 6, "PW701")}
    assert where(findings(tmp_path / "plain-on", plain)) == expected
    assert where(findings(tmp_path / "plain-off", plain, prefilter=False)) == expected


def test_self_attributes_set_in_init_carry_the_password_to_other_methods(tmp_path: Path) -> None:
    found = findings(tmp_path, {
        "vault/store.py": """\
            import json


            class CredentialFile:
                def __init__(self, path, secret):
                    self.path = path
                    self._secret = secret

                def save(self):
                    with open(self.path, "w") as handle:
                        json.dump({"secret": self._secret}, handle)
            """,
        "vault/cli.py": """\
            import getpass

            from vault.store import CredentialFile


            def main():
                CredentialFile("creds.json", getpass.getpass()).save()
            """,
    })

    assert where(found) == {("vault/cli.py", 7, "PW701")}
    assert [(step.path, step.region.start_line) for step in found[0].flow][-1] == ("vault/store.py", 11)


def test_a_credential_a_class_is_given_is_handed_on_but_a_records_password_is_not(tmp_path: Path) -> None:
    found = findings(tmp_path, {
        "console/tty.py": """\
            import logging

            logger = logging.getLogger(__name__)


            class Terminal:
                def __init__(self, host, **kvargs):
                    self.passwd = kvargs.get("passwd", "")

                def login(self):
                    self._write(self.passwd)  # answers the device's password prompt

                def _write(self, content):
                    logger.debug("Write: %s", content)


            class Account:
                def audit(self):
                    self._note(self.password)  # the stored hash: never set here in clear

                def _note(self, value):
                    logger.info("checked %s", value)
            """,
    })

    assert where(found) == {("console/tty.py", 11, "PW801")}


def test_a_read_holds_only_what_was_assigned_before_it_unless_a_loop_brings_later_values_round() -> None:
    source = textwrap.dedent("""\
        def run(command, password):
            command = build(command)
            log(command)
            message = "starting"
            log(message)
            message = f"failed with {password}"
            for attempt in range(3):
                log(message)
                message = "retrying"
            log(message)
            message = "done"
            return message
        """)
    module = parse("run.py", source.encode()).module
    model = build_model(module, "run.py")
    function = model.module_scope.children["run"]
    body = module.body[0].body.body
    built, first, failed = body[0].body[0].value, body[2].body[0].value, body[4].body[0].value
    retrying = body[5].body.body[1].body[0].value

    def read(statement: cst.CSTNode) -> cst.Name:
        return next(node for node in _names(statement) if node.value in ("command", "message"))

    # `build` is handed the parameter; what `build` returns reaches the next statement
    assert model.reaching("command", function, body[0].body[0].value.args[0].value) == []
    assert model.reaching("command", function, read(body[1])) == [built]
    # the password's message comes after the first log; in the loop, a round may bring "retrying"
    assert model.reaching("message", function, read(body[3])) == [first]
    # a later round sees the loop's own later assignment, never one made after the loop
    assert model.reaching("message", function, read(body[5].body.body[0])) == [failed, retrying]
    assert model.reaching("message", function, read(body[6])) == [failed, retrying]


def test_a_loop_rebinds_its_targets_so_the_bodys_later_assignment_reaches_no_earlier_read() -> None:
    source = textwrap.dedent("""\
        def show(settings, password):
            for key, value in settings.items():
                print(key, value)
                if key == "password":
                    value = password
                send(key, value)
        """)
    module = parse("show.py", source.encode()).module
    model = build_model(module, "show.py")
    function = model.module_scope.children["show"]
    loop = module.body[0].body.body[0]
    printed = next(node for node in _names(loop.body.body[0]) if node.value == "value")
    sent = next(node for node in _names(loop.body.body[2]) if node.value == "value")
    assigned = loop.body.body[1].body.body[0].body[0].value

    assert model.reaching("value", function, printed) == []
    assert model.reaching("value", function, sent) == [assigned]


def test_a_mapping_iterated_hands_out_keys_and_a_key_taken_out_no_longer_holds_the_password(tmp_path: Path) -> None:
    found = findings(tmp_path, {"client.py": """\
        import logging

        log = logging.getLogger(__name__)

        def post(url, data):
            for item in data:
                if item != "uuid":
                    log.debug("posting field %s", item)
            return url

        def fetch(url, username, password):
            return post(url, {"username": username, "password": password})

        def bind(password, connect):
            connargs = {"uri": "ldap://example.org"}
            connargs["bindpw"] = password
            try:
                return connect(**connargs)
            except OSError:
                connargs.pop("bindpw", None)
                log.error("bind failed: %s", connargs)
            log.debug("bound with %s", connargs)
        """})
    # only the log after the `try`, where a successful bind left the password in
    assert where(found) == {("client.py", 22, "PW801")}


def test_pwd_is_a_password_unless_the_project_binds_a_pwd_to_a_path(tmp_path: Path) -> None:
    """A command's record keeps its working directory as `pwd`: once any module binds a `pwd` to a
    path, no `pwd` of the project is a password, including those in modules that show no path."""
    archive = {
        "archiver/extract.py": """\
            import subprocess

            def run(cmd, out_dir):
                done = subprocess.run(cmd, cwd=out_dir)
                return {"cmd": cmd, "pwd": str(out_dir), "status": done.returncode}
            """,
        "archiver/index.py": """\
            from archiver.models import ArchiveResult

            def save(result):
                ArchiveResult.objects.create(cmd=result.cmd, pwd=result.pwd, status=result.status)
            """,
    }
    assert where(findings(tmp_path / "archiver", archive)) == set()

    archive["archiver/extract.py"] = archive["archiver/extract.py"].replace("str(out_dir)", "cmd[-1]")
    assert where(findings(tmp_path / "archiver2", archive)) == {("archiver/index.py", 4, "PW701")}


def _names(node: cst.CSTNode) -> list[cst.Name]:
    found = [node] if isinstance(node, cst.Name) else []
    for child in node.children:
        found += _names(child)
    return found


def test_settings_no_site_runs_on_set_no_password_policy(tmp_path: Path) -> None:
    settings = """\
        from django.conf import settings

        settings.configure(
            INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes"],
            SECRET_KEY="not-a-site",
        )
        """
    found = findings(tmp_path, {"docs/conf.py": settings, "pkg/ci_settings.py": settings,
                                "makemigrations.py": settings, "site/settings.py": settings})

    # Sphinx's build, a migrations script and a CI run serve no users
    assert where(found) == {("site/settings.py", 4, "PW410")}


def test_wrappers_pass_passwords_through_and_hashing_wrappers_sanitise(tmp_path: Path) -> None:
    found = findings(tmp_path, {
        "accounts/text.py": """\
            def normalise(value):
                return value.strip().encode("utf-8")
            """,
        "accounts/security.py": """\
            import bcrypt


            def hash_secret(value):
                return bcrypt.hashpw(value, bcrypt.gensalt())
            """,
        "accounts/repo.py": """\
            from accounts.security import hash_secret
            from accounts.text import normalise


            def create(cursor, username, password):
                cursor.execute("INSERT INTO users (name, pw) VALUES (%s, %s)", (username, normalise(password)))


            def create_hashed(cursor, username, password):
                cursor.execute("INSERT INTO users (name, pw) VALUES (%s, %s)",
                               (username, hash_secret(normalise(password))))
            """,
    })

    assert where(found) == {("accounts/repo.py", 6, "PW701")}


def test_recursion_and_import_cycles_terminate(tmp_path: Path) -> None:
    found = findings(tmp_path, {
        "loop/a.py": """\
            import logging

            from loop import b


            def walk(value, depth):
                if depth:
                    return b.walk(value, depth - 1)
                logging.info("reached %s", value)
                return value
            """,
        "loop/b.py": """\
            from loop import a


            def walk(value, depth):
                return a.walk(value, depth)


            def start(password):
                return a.walk(password, 3)
            """,
    })

    assert where(found) == {("loop/b.py", 9, "PW801")}


def test_long_chains_of_concatenation_are_followed_without_deep_recursion(tmp_path: Path) -> None:
    """Codec modules hold tables of 256 implicitly concatenated strings; a chain that long must
    neither overflow the stack nor hide a password at its end."""
    table = "\n".join(f"                {chr(39)}\\x{i:02x}{chr(39)}" for i in range(600))
    joined = " + ".join(f"{chr(39)}{i}{chr(39)}" for i in range(40))
    found = findings(tmp_path, {
        "codec.py": f"""\
            import codecs


            def decode(input, errors="strict"):
                return codecs.charmap_decode(input, errors, decoding_table)


            decoding_table = (
            {table}
            )
            """,
        "audit.py": f"""\
            import logging


            def record(user, password):
                logging.info({joined} + user + password)
            """,
    }, prefilter=False)

    assert where(found) == {("audit.py", 5, "PW801")}


@pytest.mark.parametrize("code", [
    # a high-entropy API token is not a password
    """\
    def store_token(cursor, user_id, api_token):
        cursor.execute("INSERT INTO tokens (user_id, token) VALUES (?, ?)", (user_id, api_token))
    """,
    # the column holds a hash
    """\
    from django.contrib.auth.hashers import make_password

    def store(cursor, username, password):
        cursor.execute("INSERT INTO users (name, password_hash) VALUES (?, ?)", (username, make_password(password)))
    """,
    # a model whose setter hashes
    """\
    from django.contrib.auth.hashers import make_password

    class Member:
        def set_password(self, raw_password):
            self.password = make_password(raw_password)
            self.save()

    def change(member, new_password):
        member.set_password(new_password)
    """,
    # a password held in memory to log in elsewhere, never stored
    """\
    import smtplib

    class Mailer:
        def __init__(self, host, user, password):
            self.host = host
            self.user = user
            self.password = password

        def send(self, message):
            with smtplib.SMTP(self.host) as server:
                server.login(self.user, self.password)
                server.send_message(message)
    """,
    # the stored password *hash* of a user record is not handed on as a password
    """\
    import hmac

    def session_hash(key, value):
        return hmac.new(key, value.encode(), "sha256").hexdigest()

    class User:
        def get_session_auth_hash(self):
            return session_hash(b"key", self.password)
    """,
])
def test_code_that_is_right_has_no_findings(tmp_path: Path, code: str) -> None:
    assert findings(tmp_path, {"app/module.py": code}) == []


def test_reversible_encoding_then_storage_is_its_own_finding(tmp_path: Path) -> None:
    found = findings(tmp_path, {
        "app/users.py": """\
            import base64


            def encode(value):
                return base64.b64encode(value.encode())


            def save(user, password):
                user.password = encode(password)
                user.save()
            """,
    })

    assert {f.rule_id for f in found} == {"PW702"}
    assert "base64.b64encode" in found[0].message


def test_loggers_whatever_their_name_and_formatting(tmp_path: Path) -> None:
    found = findings(tmp_path, {
        "app/auth.py": """\
            import logging

            log = logging.getLogger(__name__)


            class Client:
                def __init__(self, logger):
                    self.log = logger

                def connect(self, host, pwd):
                    self.log.debug("connecting to %s with %s" % (host, pwd))
                    log.info(f"password={pwd!r}")
                    log.info("user %s connected", host)
            """,
    })

    assert where(found) == {("app/auth.py", 11, "PW801"), ("app/auth.py", 12, "PW801")}


CONSTANTS_PROJECT = {
    "app/__init__.py": "",
    "app/settings.py": """\
        PBKDF2_ITERATIONS = 1_000
        FAILED_TO_DECRYPT_PASSWORD = "FAILED TO DECRYPT PASSWORD!"


        class Restriction:
            NONE = "none"
            PASSWORD = "password"
        """,
    "app/auth.py": """\
        import hashlib
        import os

        from app import settings
        from app.settings import FAILED_TO_DECRYPT_PASSWORD, PBKDF2_ITERATIONS, Restriction


        def store(password):
            salt = os.urandom(16)
            return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ITERATIONS)


        def store_too(password):
            salt = os.urandom(16)
            return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, settings.PBKDF2_ITERATIONS)


        def smtp_login(server, decrypt):
            password = decrypt(server.secret)
            if password == FAILED_TO_DECRYPT_PASSWORD:
                raise ValueError("cannot decrypt the SMTP password")
            server.login(server.username, password)


        def needs_login(page):
            return page.restriction_type == Restriction.PASSWORD
        """,
}


def test_constants_of_other_modules_fold_for_thresholds_and_markers(tmp_path: Path) -> None:
    """An imported work factor is checked like a local one; an imported constant named for a
    password whose text is none (an error marker, an enumeration's choice) is not a password."""
    assert where(findings(tmp_path, CONSTANTS_PROJECT)) == {
        ("app/settings.py", 1, "PW301"),  # a setting of that name is checked where it is set
        ("app/auth.py", 10, "PW301"),
        ("app/auth.py", 15, "PW301"),
    }
