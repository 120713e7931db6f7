"""The engine's primitives on realistic code: names, constants, password-ness, rule validation, prefilter."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from pwlint.constants import UNKNOWN, fold
from pwlint.engine import Engine
from pwlint.names import build_model
from pwlint.parsing import parse
from pwlint.passwords import PasswordOracle, is_password_name
from pwlint.prefilter import Prefilter
from pwlint.ruleset import RuleError, builtin_rules_dir, load_profiles, load_rule, load_rules
from pwlint.scan import Settings, analyse, load

RULES = load_rules([builtin_rules_dir()])
PROFILES = load_profiles()


def findings(code: str, profile: str = "owasp-2026") -> list[tuple[str, int]]:
    engine = Engine(RULES, PROFILES[profile], profile)
    outcome = analyse("app.py", textwrap.dedent(code).encode(), engine, Prefilter(engine.patterns))
    assert isinstance(outcome, list) or outcome is None
    return [(f.rule_id, f.region.start_line) for f in outcome or [] if not f.suppressed]


def call_names(code: str) -> list[str]:
    model = build_model(cst.parse_module(textwrap.dedent(code)))
    return [model.qualified_name(s.node.func, s.scope) for s in model.sites if s.kind == "call"]


# -- names ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "code, expected",
    [
        ("import hashlib as h\nh.md5(x)", "hashlib.md5"),
        ("from hashlib import md5 as m\nm(x)", "hashlib.md5"),
        ("from Crypto.Hash import MD5\nMD5.new(x)", "Crypto.Hash.MD5.new"),
        ("from Cryptodome.Hash import SHA256\nSHA256.new(x)", "Cryptodome.Hash.SHA256.new"),
        ("from passlib.hash import md5_crypt\nmd5_crypt.hash(x)", "passlib.hash.md5_crypt.hash"),
        ("import hashlib\ndef f():\n    s = hashlib.sha1()\n    s.update(x)", "hashlib.sha1().update"),
        ("try:\n    import crypt\nexcept ImportError:\n    crypt = None\ncrypt.crypt(x, y)", "crypt.crypt"),
    ],
)
def test_qualified_names_follow_imports_aliases_and_call_results(code: str, expected: str) -> None:
    assert expected in call_names(code)


def test_cryptography_hash_object_resolves_through_its_constructor() -> None:
    code = """
    from cryptography.hazmat.primitives import hashes
    def f(password):
        digest = hashes.Hash(hashes.MD5())
        digest.update(password)
    """
    assert "cryptography.hazmat.primitives.hashes.Hash().update" in call_names(code)


# -- constants -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "expr, value",
    [("1_000", 1000), ("2**10", 1024), ("1 << 14", 16384), ("'pbkdf2:' + 'sha1'", "pbkdf2:sha1"),
     ("ROUNDS * 2", 200_000), ("-3", -3), ("(1, 'a')", (1, "a")), ("2 ** 10 ** 9", UNKNOWN), ("f()", UNKNOWN)],
)
def test_constant_folding(expr: str, value: object) -> None:
    model = build_model(cst.parse_module(f"ROUNDS = 100_000\nx = {expr}\n"))
    assigned = model.module_scope.assignments["x"][0]
    assert fold(assigned, model, model.module_scope) == value


def test_names_assigned_more_than_once_do_not_fold() -> None:
    model = build_model(cst.parse_module("N = 1\nN = 2\nx = N\n"))
    assert fold(model.module_scope.assignments["x"][0], model, model.module_scope) is UNKNOWN


def test_class_constants_fold_through_self_and_are_reported_where_the_class_sets_them() -> None:
    code = """
    import hashlib
    class Hasher:
        iterations = 1000
        def encode(self, password, salt):
            return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, self.iterations)

    class Legacy:
        def __init__(self, fast):
            self.rounds = 1000
            def derive(password, salt):  # a closure reads the instance's count too
                return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, self.rounds)
            self.derive = derive
    """
    # the class body's line is the setting to change; one set in a method is reported at the call
    assert findings(code) == [("PW301", 4), ("PW301", 12)]


# -- password-ness -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["password", "new_password1", "getPassword", "db_passwd", "pwd", "EMAIL_PASSWORD",
                                  "passphrase", "user_pass", "pw2", "saved_password"])
def test_password_names(name: str) -> None:
    assert is_password_name(name)


@pytest.mark.parametrize("name", ["password_hash", "hashed_password", "PASSWORD_MIN_LENGTH", "password_reset_url",
                                  "pw_changed_at", "is_password_set", "PASSWORD_HASHERS", "bypass", "compass",
                                  "SECURITY_PASSWORD_SALT", "password_field", "password_scheme", "pw_md5",
                                  "user_pw_b64", "password_sha256", "password_action", "MASTER_PASSWORD_HOOK",
                                  "must_pass_as_kwargs"])
def test_names_that_hold_hashes_or_metadata(name: str) -> None:
    assert not is_password_name(name)


def test_password_flows_through_assignment_and_string_building() -> None:
    code = textwrap.dedent("""
    def f(request):
        raw = request.form["password"]
        data = f"{salt}{raw}".encode()
        joined = ":".join([user, raw])
        other = request.form["username"]
        return data, joined, other
    """)
    model = build_model(cst.parse_module(code))
    oracle = PasswordOracle(model)
    scope = next(s.scope for s in model.sites if s.scope.kind == "function")
    assert oracle._name_carries("data", scope)
    assert oracle._name_carries("joined", scope)
    assert not oracle._name_carries("other", scope)


# -- rules on realistic code ---------------------------------------------------------------------

def test_fast_hash_of_password_is_found_and_of_other_data_is_not() -> None:
    code = """
    import hashlib

    def save(user, form):
        user.password_hash = hashlib.sha256(form.cleaned_data["password1"].encode()).hexdigest()
        user.avatar = hashlib.md5(user.email.encode()).hexdigest()
        user.etag = hashlib.sha1(user.bio.encode(), usedforsecurity=False).hexdigest()
    """
    assert findings(code) == [("PW101", 5)]


def test_usedforsecurity_false_is_never_a_finding() -> None:
    code = """
    import hashlib
    def remember(password):
        return hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()
    """
    assert findings(code) == []


def test_profiles_change_thresholds_not_rules() -> None:
    code = """
    import hashlib, os
    def hash_password(password):
        return hashlib.pbkdf2_hmac("sha512", password.encode(), os.urandom(16), 215_000)
    """
    assert findings(code, "owasp-2026") == [("PW301", 4)]
    assert findings(code, "asvs-5.0.0") == []


@pytest.mark.parametrize("profile", load_profiles())
def test_every_built_in_profile_defines_every_threshold_the_built_in_rules_name(profile: str) -> None:
    loaded = load(Settings(profile=profile))
    assert {name for rule in loaded.rules for name, _ in rule.thresholds} <= set(loaded.thresholds)


def test_scrypt_threshold_depends_on_parallelism() -> None:
    code = """
    import hashlib, os
    def a(password):
        return hashlib.scrypt(password, salt=os.urandom(16), n=2**14, r=8, p=5)
    def b(password):
        return hashlib.scrypt(password, salt=os.urandom(16), n=2**14, r=8, p=1)
    """
    assert findings(code) == [("PW301", 6)]


def test_suppression_comment_on_statement_first_line() -> None:
    code = """
    import hashlib
    def legacy(password):
        return hashlib.md5(  # pwlint: ignore[PW101] verified legacy path, migrated at login
            password.encode()
        ).hexdigest()
    """
    assert findings(code) == []


def test_unparsable_file_is_a_problem_not_an_exception() -> None:
    problem = parse("py2.py", b"print 'hello'\n")
    assert not hasattr(problem, "module")
    assert problem.path == "py2.py" and problem.line == 1


def test_latin1_declared_file_parses() -> None:
    data = "# -*- coding: latin-1 -*-\nimport hashlib\ndef f(password):\n    return hashlib.md5(password)  # caf\xe9\n"
    engine = Engine(RULES, PROFILES["owasp-2026"], "owasp-2026")
    outcome = analyse("legacy.py", data.encode("latin-1"), engine, Prefilter(engine.patterns))
    assert [f.rule_id for f in outcome] == ["PW101"]


def test_snippet_is_the_reported_line_after_a_form_feed_or_unicode_separator() -> None:
    data = 'x = 1  # a\x0cb \u2028 c\n\nDB_PASSWORD = "hunter2-xyz"\n'.encode()
    engine = Engine(RULES, PROFILES["owasp-2026"], "owasp-2026")
    outcome = analyse("settings.py", data, engine, Prefilter(engine.patterns))
    assert [(f.region.start_line, f.snippet) for f in outcome] == [(3, 'DB_PASSWORD = "hunter2-xyz"')]


# -- prefilter -----------------------------------------------------------------------------------

def test_prefilter_skips_files_without_tokens_and_keeps_candidates() -> None:
    engine = Engine(RULES, PROFILES["owasp-2026"], "owasp-2026")
    prefilter = Prefilter(engine.patterns)
    assert prefilter.enabled
    assert not prefilter.may_match(b"import os\n\ndef main():\n    print(os.getcwd())\n")
    assert prefilter.may_match(b"import hashlib\nhashlib.md5(passwd)\n")


def test_prefilter_keeps_every_built_in_bad_example() -> None:
    engine = Engine(RULES, PROFILES["owasp-2026"], "owasp-2026")
    prefilter = Prefilter(engine.patterns)
    for rule in RULES:
        for code in rule.meta.bad_examples:
            assert prefilter.may_match(code.encode()), (rule.id, code)


def test_prefilter_chooses_the_helpers_a_password_is_handed_to() -> None:
    """A helper file is parsed when a password file calls one of its top-level names with a
    password among the arguments, after groups closed before it, however the calls nest."""
    prefilter = Prefilter(Engine(RULES, PROFILES["owasp-2026"], "owasp-2026").patterns)
    views = b"""\
from app import store, audit, crypto, forms

def register(request, password):
    store.save(request.form["name"], crypto.digest(password), password)
    audit.record(request.user, forms.clean(request),
                 password)
    log(\"(\", render(page))
    unrelated(len(str(password)))
"""
    helpers = {name: f"def {name}(*args):\n    return args\n".encode()
               for name in ("save", "digest", "record", "clean", "render", "unrelated")}
    files = {"app/views.py": views, **{f"app/{name}.py": data for name, data in helpers.items()}}
    selection = Prefilter.select(prefilter, files)
    assert selection.focus is not None
    assert {"save", "digest", "record", "str"} - selection.focus.called == {"str"}  # a builtin
    assert {"app/save.py", "app/digest.py", "app/record.py"} <= selection.paths
    # `clean(request)` closes before the password; `render` holds none; `unrelated`'s sits three levels down
    assert not {"clean", "render", "unrelated"} & selection.focus.called


# -- rule validation -----------------------------------------------------------------------------

def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "XX900-broken.yaml"
    path.write_text(textwrap.dedent(text))
    return path


VALID_HEAD = """
id: XX900
name: pickled-password
message: "password pickled"
severity: error
category: plaintext-storage
cwe: [256]
summary: s
why: w
fix: f
examples: {bad: ["import pickle\\npickle.dumps(password)"], good: ["import pickle\\npickle.dumps(data)"]}
"""


@pytest.mark.parametrize(
    "match, key, line",
    [
        ("match:\n  - call: pickle.dumps\n    wher: []\n", "wher", 14),
        ("match:\n  - call: pickle.dumps\n    where:\n      - arg: 0\n        is: passwrd\n", "is", 16),
        ("match:\n  - call: pickle.dumps\n    where:\n      - arg: 0\n        matches: '('\n", "matches", 16),
        ("match:\n  - call: pickle.dumps\n    where:\n      - arg: 0\n        lt: many\n", "lt", 16),
        ("match:\n  - call: pickle.dumps\n    where:\n      - arg: 0\n        at: [1]\n", "at", 16),
        ("aliases: [S105, nosec]\nmatch:\n  - call: pickle.dumps\n", "aliases", 12),
    ],
)
def test_rule_errors_name_file_line_and_key(tmp_path: Path, match: str, key: str, line: int) -> None:
    path = _write(tmp_path, VALID_HEAD + match)
    with pytest.raises(RuleError) as raised:
        load_rule(path)
    assert raised.value.key == key
    assert raised.value.line == line
    assert str(raised.value).startswith(f"{path}:{line}: {key}:")


def test_yaml_tags_are_not_constructed(tmp_path: Path) -> None:
    path = _write(tmp_path, "!!python/object/apply:os.system ['echo pwned']\n")
    with pytest.raises(RuleError, match="invalid YAML"):
        load_rule(path)


def test_duplicate_rule_ids_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(textwrap.dedent(VALID_HEAD + "match:\n  - call: pickle.dumps\n"))
    (tmp_path / "b.yaml").write_text(textwrap.dedent(VALID_HEAD + "match:\n  - call: pickle.dumps\n"))
    with pytest.raises(RuleError, match="duplicate rule id XX900"):
        load_rules([tmp_path])


@pytest.mark.parametrize("algorithm", ["sha256", "sha3_512", "shake_128", "blake2b"])
def test_a_hash_object_fed_a_password_is_one_finding_where_it_is_made(algorithm: str) -> None:
    """Not a second one at `update`: a glob such as `hashlib.sha3_*` also matched `hashlib.sha3_512().update`."""
    assert findings(f"""\
        import hashlib

        def stored_hash(login, password, salt):
            h = hashlib.{algorithm}()
            h.update(salt.encode())
            h.update(password.encode())
            return h.hexdigest()
        """) == [("PW101", 4)]
