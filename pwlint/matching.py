"""The primitives rules are written in: patterns over sites, conditions over arguments and values.

A rule's `match` is a list of patterns. Each pattern names the kind of site it looks at and the
conditions that must hold there:

    - call: [hashlib.md5, "hashlib.*().update"]     # qualified-name globs
      where:                                         # every condition must hold
        - arg: {pos: 0, kw: data}                    # an argument by position and/or keyword
          is: password
      unless:                                        # no condition may hold
        - arg: {kw: usedforsecurity}
          equals: false
    - bind: {is: password-name}                      # x = v, obj.x = v, d["x"] = v, f(x=v), {"x": v}, def f(x=v)
      where:
        - value: {is: secret-literal, redact: true}  # reporters mask the literal: output never repeats it
    - compare: ["==", "!="]
      where:
        - operands: {one: {is: password}, other: {not: {is: empty}}}

Patterns compile once, when rules load, into small objects; compiling validates the spec, so a
mistake in a rule file is reported with its file, line and key before any scanning starts.
Nothing here knows a rule by id: a new rule combines these primitives, and a new primitive is a
new key here that every rule can use.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Optional, Sequence

if TYPE_CHECKING:
    import libcst as cst
else:
    from pwlint._lazy import cst  # libcst loads on first use, not when rules load

from pwlint.constants import UNKNOWN, class_named, fold
from pwlint.names import ModuleModel, Scope, Site, children, descendants, dotted, terminal_name
from pwlint.passwords import (CONVERSION_METHODS, SOURCE_CALLS, Flow, PasswordOracle, computes_digest, is_enumeration,
                              is_field_name, is_key_spelling, is_password_name, is_placeholder_text, is_secret_text,
                              strip_conversions)
from pwlint.rule_regex import RuleRegex

if TYPE_CHECKING:
    from pwlint.program import Program


class SpecError(Exception):
    """A rule spec that cannot compile; `key` and `line` locate it in the YAML file."""

    def __init__(self, message: str, key: str = "", line: int = 0) -> None:
        super().__init__(message)
        self.key = key
        self.line = line


def line_of(raw: Any, key: Optional[str] = None) -> int:
    """The YAML line of a mapping (or of one of its keys), when the loader recorded it."""
    lines = getattr(raw, "key_lines", {})
    if key is not None and key in lines:
        return lines[key]
    return getattr(raw, "line", 0)


# -- evaluation context -------------------------------------------------------------------------

@dataclass
class Context:
    """What conditions may consult while matching one site."""

    model: ModuleModel
    oracle: PasswordOracle
    scope: Scope
    thresholds: Mapping[str, Any]
    call: Optional[cst.Call] = None
    statement: Optional[cst.CSTNode] = None
    captures: dict[str, Any] = field(default_factory=dict)
    site: Optional[Site] = None
    program: Optional["Program"] = None

    def fold(self, expr: Any) -> Any:
        if isinstance(expr, Const):
            return expr.constant
        return fold(expr, self.model, self.scope, self.program.constant if self.program is not None else None)

    def resolve(self, expr: cst.BaseExpression) -> cst.BaseExpression:
        """Follow a local name to the one value assigned to it (`salt = os.urandom(8)`), a
        class's attribute to the one its body assigns (`Sha512.hash_algo`, `hash_algo = SHA512()`),
        and an attribute of `self` to the object its methods make for it, when they make one
        (`self.dbm = dirdbm.open(path)`)."""
        seen = 0
        while isinstance(expr, (cst.Name, cst.Attribute)) and seen < 10:
            if isinstance(expr, cst.Attribute) and isinstance(expr.value, cst.Name) \
                    and (instance := self.scope.instance_class(expr.value.value)) is not None:
                made = instance.attributes.get(expr.attr.value, [])
                return made[0][0] if len(made) == 1 and isinstance(made[0][0], cst.Call) else expr
            if isinstance(expr, cst.Attribute):
                owner = class_named(expr.value.value, self.scope) if isinstance(expr.value, cst.Name) else None
                name = expr.attr.value
            else:
                owner, name = self.scope.lookup(expr.value), expr.value
            if owner is None:
                return expr
            values = owner.assignments.get(name, [])
            if len(values) != 1 or name in owner.params:
                return expr
            expr = values[0]
            seen += 1
        return expr


# -- argument references ------------------------------------------------------------------------

@dataclass(frozen=True)
class ArgRef:
    """An argument found by keyword first, then by position (as Python binds them)."""

    pos: Optional[int]
    kw: tuple[str, ...]
    any: bool = False

    def find(self, call: cst.Call) -> Optional[cst.BaseExpression]:
        for arg in call.args:
            if arg.keyword is not None and arg.keyword.value in self.kw:
                return arg.value
        if self.pos is not None:
            positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
            if self.pos < len(positional):
                return positional[self.pos].value
        return None

    def all(self, call: cst.Call) -> list[cst.BaseExpression]:
        return [arg.value for arg in call.args if not arg.star]


def compile_argref(raw: Any) -> ArgRef:
    if raw == "any":
        return ArgRef(None, (), any=True)
    if isinstance(raw, int):
        return ArgRef(raw, ())
    if isinstance(raw, str):
        return ArgRef(None, (raw,))
    if not isinstance(raw, Mapping):
        raise SpecError("an argument is `any`, a position, a keyword, or {pos, kw}", "arg", line_of(raw))
    unknown = set(raw) - {"pos", "kw"}
    if unknown:
        raise SpecError(f"unknown key {sorted(unknown)[0]!r} in argument reference", sorted(unknown)[0], line_of(raw))
    pos = raw.get("pos")
    kw = raw.get("kw", ())
    if pos is not None and not isinstance(pos, int):
        raise SpecError("`pos` must be an integer", "pos", line_of(raw, "pos"))
    kws = (kw,) if isinstance(kw, str) else tuple(kw)
    if not all(isinstance(k, str) for k in kws):
        raise SpecError("`kw` must be a name or a list of names", "kw", line_of(raw, "kw"))
    return ArgRef(pos, kws)


# -- value predicates (`is:`) -------------------------------------------------------------------

_SECTION = re.compile(r"^[A-Za-z][\w. -]*$")  # `auth`, `DEFAULT`, `smtp server`
_OPTION = re.compile(r"^[A-Za-z_][\w.-]*$")  # an identifier-like name: `smtp_password`, `db.password`
_LOOKUPS = re.compile(r"^(get|getenv|get_env|env_get|get_environ|get_secret|setdefault|pop|option|getoption)$")


def _literal_text(expr: Optional[cst.BaseExpression]) -> Optional[str]:
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        value = expr.evaluated_value
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return value
    return None


def is_secret_literal(expr: Optional[cst.BaseExpression], name: Optional[str] = None) -> bool:
    """A string literal that reads like a password (`passwords.is_secret_text`), bound to `name`."""
    text = _literal_text(expr)
    return text is not None and is_secret_text(text, name)


def secret_fallback(expr: Optional[cst.BaseExpression], depth: int = 0) -> Optional[cst.BaseExpression]:
    """`os.environ.get("DB_PASSWORD", "hunter2")`, `password or "hunter2"`: a lookup whose fallback
    is a hard-coded secret; the secret literal, or None."""
    if isinstance(expr, cst.BooleanOperation) and isinstance(expr.operator, cst.Or) and depth <= 4:
        fallback: Optional[cst.BaseExpression] = expr.right
        return fallback if is_secret_literal(fallback) else secret_fallback(fallback, depth + 1)
    if not isinstance(expr, cst.Call) or depth > 4 or not isinstance(expr.func, (cst.Attribute, cst.Name)):
        return None
    name = expr.func.attr.value if isinstance(expr.func, cst.Attribute) else expr.func.value
    lookup = _LOOKUPS.match(name) and not _names_an_option(expr)
    # any call's `default=` is one (`CharField(default="changeme")`, `Column(default=...)`)
    fallback = ArgRef(1 if lookup else None, ("default", "fallback")).find(expr)
    return fallback if is_secret_literal(fallback) else secret_fallback(fallback, depth + 1)


def _names_an_option(lookup: cst.Call) -> bool:
    """`config.get("smtp", "smtp_password")`: ConfigParser's get(section, option), whose second
    argument names the option (a password's), not a value to fall back on; `environ.get("PW",
    "hunter2")` keys by a name that is rarely a plain section name. With a section named at run
    time, the option must read as a field's name (`http_password`)."""
    positional = [_literal_text(arg.value) for arg in lookup.args if arg.keyword is None and not arg.star]
    if len(positional) < 2 or positional[1] is None:
        return False
    section, option = positional[0], positional[1]
    if section is None:  # a section named at run time: `config.get(self.gitlab_id, "http_password")`
        return is_field_name(option) and is_password_name(option)
    return bool(_SECTION.match(section)) and not is_password_name(section) and bool(_OPTION.match(option)) \
        and is_password_name(option)


def _is_secret_literal(expr: Optional[cst.BaseExpression], ctx: Context) -> bool:
    """A literal that reads like a password, or a constant of another name that holds one
    (`DEFAULT_PASSWORD = APPID`, `APPID = "pyload"`): a constant named for a password is reported
    where it is set, not again where it is used."""
    name = ctx.captures.get("name")  # bound to a name: a comparison with a constant is PW601's
    if name is not None and isinstance(expr, cst.Name) and not is_password_name(expr.value):
        value = ctx.fold(expr)
        return isinstance(value, (str, bytes)) and is_secret_text(value, name) and _judged(expr, ctx)
    if not is_secret_literal(expr, name or _default_of(expr, ctx)) or _shared_in_dict(expr, ctx):
        return False
    return _judged(expr, ctx)


def _default_of(expr: Optional[cst.BaseExpression], ctx: Context) -> Optional[str]:
    """"default" for the `default=` of the call being matched: an option's default is what the
    program runs with, so the word password there is the account's password
    (`add_argument("--password", default="password", help="admin password")`), not a label."""
    arguments = ctx.call.args if ctx.call is not None else ()
    return "default" if any(argument.value is expr and argument.keyword is not None
                            and argument.keyword.value == "default" for argument in arguments) else None


def _flag(raw: Mapping[str, Any], key: str) -> None:
    """A condition that takes `true` and nothing beside it."""
    _only(raw, {key})
    if raw[key] is not True:
        raise SpecError(f"`{key}` takes `true`", key, line_of(raw, key))


# The key of a user's name beside a password: one equal to it is a default login, not a name both hold
_USER_KEY = re.compile(r"(?i)(^|_)(user(_?name)?|login|uid|account)$")


def _shared_in_dict(value: Optional[cst.BaseExpression], ctx: Context) -> bool:
    """A dict that maps names to names, not a secret: its entry's text is held by two entries for
    other things than passwords too (`{"smtp_host": "mail_settings", "smtp_port": "mail_settings",
    "smtp_password": "mail_settings"}`, a form's fields to their section), not counting the user's
    name (`{"user": "salt", "pass": "salt", "db": "salt"}` is a default login), or the text is a field's
    name and so are the texts of two other entries (`{"login": "login_username", "password":
    "login_password", "url": "login_uri"}`, where an export keeps each field; `{"ldap_uri": "LDAPURI",
    "ldap_password": "BINDPW", ...}`, a form's fields to a setting's keys; but an environment
    variable's value, `{"APP_PASSWORD": "test_password", ...}`, is the password). One is not enough:
    `{"user": "admin1!", "password": "admin1!", "password2": "admin1!"}` is a credential."""
    site = ctx.site
    if site is None or not isinstance(site.node, cst.DictElement) or site.statement is None:
        return False
    text = _literal_text(value)
    pending: list[cst.CSTNode] = [site.statement]
    while pending:
        node = pending.pop()
        if isinstance(node, cst.Dict) and any(element is site.node for element in node.elements):
            entries = [element for element in node.elements if isinstance(element, cst.DictElement)]
            shared = sum(_literal_text(element.value) == text and _names_other(_literal_text(element.key) or "password")
                         for element in entries)
            names = sum(element is not site.node and is_key_spelling(_literal_text(element.value)) for element in entries)
            key = _literal_text(site.node.key) or ""  # type: ignore[attr-defined]
            return shared >= 2 or (is_key_spelling(text) and names >= 2 and not key.isupper())  # not the environment's
        pending.extend(children(node))
    return False


def _names_other(key: str) -> bool:
    """A dict key for something other than the password or the user's name."""
    return not is_password_name(key) and not _USER_KEY.search(key)


def _judged(secret: Optional[cst.BaseExpression], ctx: Context) -> bool:
    """Whether a secret literal was found; it is kept for a `redact` around the test to mask."""
    if secret is None:
        return False
    ctx.captures.setdefault("_judged", []).append(secret)
    return True


def _is_empty(expr: Optional[cst.BaseExpression], ctx: Context) -> bool:
    if expr is None:
        return True
    value = ctx.fold(expr)
    if isinstance(value, (str, bytes)):
        return not value.strip()
    return value is None or value == () or value == {}


def _is_placeholder(expr: Optional[cst.BaseExpression], ctx: Context) -> bool:
    """A mask or marker written in place (`"********"`, `"!"` for "no password"), or a named
    constant whose value is no password (`PasswordOracle.names_no_password`: `PASSWORD_MASK =
    "X" * 10`, `FAILED = "FAILED TO DECRYPT PASSWORD!"`). Other literals written in place are left
    to `secret-literal` (`== "this cool password"` is a passphrase)."""
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        return is_placeholder_text(_literal_text(expr) or "")
    if isinstance(expr, cst.BinaryOperation):  # a mask built in place: `"x" * 10`
        value = ctx.fold(expr)
        return isinstance(value, str) and is_placeholder_text(value)
    return isinstance(expr, (cst.Name, cst.Attribute)) and ctx.oracle.names_no_password(expr, ctx.scope)


def _is_named_local(expr: Optional[cst.BaseExpression], ctx: Context) -> bool:
    """Also an entry of such a local (`passwords[user]`, where `passwords[key] = db[key]` filled it)."""
    while isinstance(expr, cst.Subscript):
        expr = expr.value
    if not isinstance(expr, cst.Name):
        return False
    owner = ctx.scope.lookup(expr.value)
    if owner is None or owner.kind != "function" or expr.value in owner.params:
        return False
    found = ctx.oracle.carries(expr, ctx.scope)
    return found is not None and found.steps[0].node is expr


def _is_record_password(expr: Optional[cst.BaseExpression], ctx: Context) -> bool:
    """Carries the password attribute of another record (`user.password`, not `self.password`):
    the value a store already holds, usually its hash, copied (`AuditLog.objects.create(
    password=user.password)`); where it came in as cleartext is a finding of its own."""
    found = ctx.oracle.carries(expr, ctx.scope) if expr is not None and not isinstance(expr, Const) else None
    source = found.steps[0].node if found is not None and found.stored else None
    return isinstance(source, cst.Attribute) and terminal_name(source.value) not in ("self", "cls")


_REQUEST_WORDS = re.compile(r"(?i)(request|form|args|params|query|body|post|get_argument|get_body_argument|"
                            r"get_query_argument|cleaned_data|validated_data|json|values)")


def _is_input(expr: Optional[cst.BaseExpression], ctx: Context) -> bool:
    """A password just received from the user (a prompt or a request field), not a stored one."""
    if expr is None or isinstance(expr, Const) or not ctx.oracle.carries(expr, ctx.scope):
        return False
    resolved = strip_conversions(ctx.resolve(expr))
    if isinstance(resolved, cst.Subscript):
        resolved = resolved.value
    elif isinstance(resolved, cst.Call):
        if ctx.model.qualified_name(resolved.func, ctx.scope) in SOURCE_CALLS:
            return True
        resolved = resolved.func
    else:
        return False
    return bool(_REQUEST_WORDS.search(ctx.model.module.code_for_node(resolved)))


def _is_sliced(expr: Optional[cst.BaseExpression], ctx: Context) -> bool:
    """A slice, written here or held by a local name assigned once (`head = password[0:5]`)."""
    if isinstance(expr, cst.Name):
        expr = ctx.resolve(expr)
    return isinstance(expr, cst.Subscript) and any(isinstance(e.slice, cst.Slice) for e in expr.slice)


_CASE_METHODS = frozenset({"lower", "upper", "casefold", "swapcase", "title"})


def _is_altered(expr: Optional[cst.BaseExpression], ctx: Context) -> bool:
    """A value sliced or case-folded on its way here, through method chains and local names:
    `password[:72].encode()`, `pw = password.lower(); hashpw(pw, ...)`."""
    node: Any = expr
    for _ in range(10):
        if not isinstance(node, cst.BaseExpression) or isinstance(node, Const):
            return False
        if _is_sliced(node, ctx):
            return True
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value in _CASE_METHODS:
                return True
            node = node.func.value
        elif isinstance(node, cst.Name) and ctx.resolve(node) is not node:
            node = ctx.resolve(node)
        else:
            return False
    return False


def _rebound_by_calls(expr: cst.BaseExpression, ctx: Context) -> bool:
    """A local name that holds only what calls made: bound to calls alone, the first time in a
    plain statement of the function's body before the site's own (`data = xor(data, key)`, then
    rounds of `data = sub_bytes(data)`: a block cipher's state, no longer the argument)."""
    owner = ctx.scope.lookup(expr.value) if isinstance(expr, cst.Name) else None
    if owner is None or owner.kind != "function" or not isinstance(owner.node, cst.FunctionDef) \
            or not isinstance(owner.node.body, cst.IndentedBlock):
        return False
    values = owner.assignments.get(expr.value, [])
    if not values or not all(isinstance(value, cst.Call) for value in values):
        return False
    for statement in owner.node.body.body:
        if statement is ctx.statement or not isinstance(statement, cst.SimpleStatementLine):
            return False
        if any(isinstance(small, cst.Assign) and any(small.value is value for value in values) for small in statement.body):
            return True
    return False


def _flow(expr: Optional[cst.BaseExpression], ctx: Context, encoded: bool) -> bool:
    """A password (in clear, or reversibly encoded) reaches `expr`; its name and path are captured."""
    found = ctx.oracle.carries(expr, ctx.scope) if not isinstance(expr, Const) else None
    if found is None or bool(found.encoded) != encoded:
        return False
    ctx.captures.setdefault("password", found.name)
    ctx.captures.setdefault("_flow", found)
    if found.encoded:
        ctx.captures.setdefault("encoding", found.encoded)
    return True


_PREDICATES: dict[str, Callable[[Optional[cst.BaseExpression], Context], bool]] = {
    "password": lambda e, c: _flow(e, c, encoded=False),
    "encoded-password": lambda e, c: _flow(e, c, encoded=True),
    "password-input": _is_input,
    "secret-literal": _is_secret_literal,
    "secret-fallback": lambda e, c: _judged(secret_fallback(e), c),
    "literal": lambda e, c: e is not None and c.fold(e) is not UNKNOWN,
    "string": lambda e, c: isinstance(c.fold(e), (str, bytes)),
    "number": lambda e, c: isinstance(c.fold(e), (int, float)) and not isinstance(c.fold(e), bool),
    "empty": _is_empty,
    "placeholder": _is_placeholder,
    "record-password": _is_record_password,
    # a string that names a password: an option (`--db-password`), a key, a field
    "names-password": lambda e, c: isinstance(v := c.fold(e), str) and is_password_name(v.lstrip("-")),
    "none": lambda e, c: e is not None and c.fold(e) is None,
    "call": lambda e, c: e is not None and (isinstance(c.resolve(e), cst.Call) or _rebound_by_calls(e, c)),
    "variable": lambda e, c: isinstance(e, (cst.Name, cst.Attribute)),
    "missing": lambda e, c: e is None,
    "sliced": _is_sliced,
    # holds a password among other things: a connection string, a command line, a record
    "embedded": lambda e, c: e is not None and not isinstance(e, Const) and getattr(
        c.oracle.carries(e, c.scope), "embedded", False),
    "altered": _is_altered,
    # a function's own local named for a password that no value assigned to it brings one into
    # (`passwd = b""`, then `passwd += to64(...)`: a hash built in a buffer)
    "named-local": _is_named_local,
    # computes a hash, itself or in the one value of a local (`pwd = CRYPT()(old)[0]`)
    "digest": lambda e, c: isinstance(e, cst.BaseExpression) and computes_digest(c.resolve(e)),
}


# -- value tests --------------------------------------------------------------------------------

ValueTest = Callable[[Optional["cst.BaseExpression"], Context], bool]

_VALUE_KEYS = {
    "is", "not", "any", "equals", "in", "not-in", "matches", "name", "lt", "le", "gt", "ge",
    "first", "contains", "fields", "split", "index", "call", "uses", "missing", "default", "as", "code", "qualified",
    "redact", "at",
}
_NOT_TESTS = {"split", "index", "default", "as", "redact", "at"}  # keys that shape or record a value, testing nothing

def _uses(expr: cst.CSTNode, globs: Sequence[str], c: "Context", depth: int = 0) -> bool:
    """Whether a call to one of `globs` happens anywhere inside the expression."""
    if depth > 50:
        return False
    if isinstance(expr, (cst.Call, cst.Subscript)):  # a subscript `os.environ[k]` uses `os.environ.__getitem__`
        target = expr.func if isinstance(expr, cst.Call) else expr.value
        name = c.model.qualified_name(target, c.scope) or dotted(target) or ""
        if _glob_match(globs, name + ("" if isinstance(expr, cst.Call) else ".__getitem__")):
            return True
    return any(_uses(child, globs, c, depth + 1) for child in children(expr))


def _code_matches(pattern: RuleRegex, expr: cst.BaseExpression, c: "Context") -> bool:
    """The source text of the value (through a local name: `sql = "INSERT ..."`), or its folded string."""
    resolved = c.resolve(expr)
    return _search(pattern, c.fold(resolved)) or bool(pattern.search(c.model.module.code_for_node(resolved)))


def _norm(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return value.lower() if isinstance(value, str) else value


def compile_value_test(raw: Any, where: str) -> ValueTest:
    """Compile the value-test keys of a mapping (all must hold) into one predicate."""
    if not isinstance(raw, Mapping):
        raise SpecError(f"`{where}` must be a mapping of value tests", where, line_of(raw))
    unknown = set(raw) - _VALUE_KEYS - {"arg"}
    if unknown:
        key = sorted(unknown)[0]
        raise SpecError(f"unknown value test {key!r} (known: {', '.join(sorted(_VALUE_KEYS))})", key,
                        line_of(raw, key))
    tests = [_compile_one(raw, key) for key in raw if key in _VALUE_KEYS - _NOT_TESTS]
    transform = _compile_transform(raw)
    capture = raw.get("as")
    default = raw.get("default", UNKNOWN)
    redact = _redact_flag(raw)
    at = raw.get("at")
    if at is not None and (not isinstance(at, (int, str)) or isinstance(at, bool)):
        raise SpecError("`at` takes the index of an element or the key of an entry", "at", line_of(raw, "at"))

    def test(expr: Optional[cst.BaseExpression], ctx: Context) -> bool:
        if at is not None:
            expr = _element(expr, at, ctx)
        subject: Any = expr
        if expr is None and default is not UNKNOWN:
            subject = Const(default)
        if transform is not None:
            subject = Const(transform(ctx.fold(subject)))
        if capture:
            value = ctx.fold(subject)
            ctx.captures[capture] = value if value is not UNKNOWN else _code(ctx, expr)
        judged = len(ctx.captures.get("_judged", ()))
        if not all(t(subject, ctx) for t in tests):
            return False
        if redact and isinstance(expr, cst.CSTNode):
            secrets = ctx.captures.get("_judged", [])[judged:] or [expr]  # what the tests judged secret
            ctx.captures.setdefault("_secrets", []).extend(s for secret in secrets for s in string_literals(secret))
        return True

    return test


@dataclass(frozen=True)
class _InFunction:
    """`in-function`: a function around the site, or around a call that hands it the password, is
    named for a purpose that makes the match no fault (a protocol's handshake). The engine asks it
    again of each other call that hands a helper a password (`Pattern.exempts_handed`)."""

    pattern: re.Pattern[str]

    def __call__(self, node: cst.CSTNode, ctx: Context) -> bool:
        return any(self.pattern.search(name) for name in _function_names(ctx))


def _function_names(ctx: Context) -> Iterator[str]:
    """The functions around the site, around each call that handed the password on to it, and,
    where the password is a parameter of the site's own function, the functions that call it (by
    their own names, not their classes'): a protocol's function that hashes through a generic
    helper (`md5_h(b":".join([user, realm, password]))` in a SASL DIGEST-MD5 client, MongoDB's
    `_password_digest(username, password)` called by `_authenticate_scram`) is the protocol's."""
    yield from ctx.scope.function_names()
    flow: Optional[Flow] = ctx.captures.get("_flow")
    for step in flow.steps if flow is not None else ():
        if step.scope is not None:
            yield from step.scope.function_names()
    if flow is not None and ctx.program is not None and ctx.scope.kind == "function" and flow.name in ctx.scope.params:
        yield from (site.scope.name for site in ctx.program.callers(ctx.scope) if site.scope.kind == "function")


def _element(expr: Optional[cst.BaseExpression], at: "int | str", ctx: Context) -> Optional[cst.BaseExpression]:
    """`at`: an element of a tuple or list display (`auth=("svc", "s3cret")`), or the entry of a dict
    display under a constant key (a settings schema's `{"type": str, "default": "s3cret"}`), through
    a local name. The node itself, not its folded value, so that node tests and redaction see it."""
    resolved = ctx.resolve(expr) if expr is not None else None
    if isinstance(at, str):
        entries = resolved.elements if isinstance(resolved, cst.Dict) else ()
        return next((entry.value for entry in entries
                     if isinstance(entry, cst.DictElement) and ctx.fold(entry.key) == at), None)
    if not isinstance(resolved, (cst.Tuple, cst.List)) or not -len(resolved.elements) <= at < len(resolved.elements):
        return None
    element = resolved.elements[at]
    return None if isinstance(element, cst.StarredElement) else element.value


def _redact_flag(raw: Mapping[str, Any]) -> bool:
    """`redact: true` marks secrets for reporters to mask: the literals the tests judged secret
    (`secret-literal`, the fallback of `secret-fallback`), else every string literal in the value.
    A message could still repeat the value through `as`, so the two cannot go together."""
    flag = raw.get("redact", False)
    if not isinstance(flag, bool):
        raise SpecError("`redact` is true or false", "redact", line_of(raw, "redact"))
    if flag and "as" in raw:
        raise SpecError("a redacted value cannot be captured with `as`: the message would repeat it", "redact",
                        line_of(raw, "redact"))
    return flag


def string_literals(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The string literals in an expression, each whole (an f-string with what it formats): what
    `redact` masks. The parts of an implicit concatenation are separate literals."""
    if isinstance(node, (cst.SimpleString, cst.FormattedString)):
        return [node]
    return [literal for child in children(node) for literal in string_literals(child)]


def _code(ctx: Context, expr: Optional[cst.BaseExpression]) -> str:
    return ctx.model.module.code_for_node(expr).strip() if expr is not None else ""


class Const:
    """A value made by a transform or a default, handed to value tests in place of an expression."""

    def __init__(self, constant: Any) -> None:
        self.constant = constant


def _value_of(expr: Optional[cst.BaseExpression], ctx: Context) -> Any:
    return ctx.fold(expr)


def _compile_transform(raw: Mapping[str, Any]) -> Optional[Callable[[Any], Any]]:
    if "split" not in raw:
        if "index" in raw:
            raise SpecError("`index` needs `split`", "index", line_of(raw, "index"))
        return None
    seps, index = raw["split"], raw.get("index", 0)
    seps = [seps] if isinstance(seps, str) else seps
    if not isinstance(seps, list) or not seps or not all(isinstance(sep, str) and sep for sep in seps) \
            or not isinstance(index, int):
        raise SpecError("`split` takes a separator string or a list of them, and `index` an integer", "split",
                        line_of(raw, "split"))
    separators = re.compile("|".join(re.escape(sep) for sep in seps))

    def transform(value: Any) -> Any:
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if not isinstance(value, str):
            return UNKNOWN
        parts = separators.split(value)
        if index >= len(parts):
            return UNKNOWN
        part = parts[index]
        return int(part) if part.isdigit() else part

    return transform


def _compile_one(raw: Mapping[str, Any], key: str) -> ValueTest:
    arg = raw[key]
    line = line_of(raw, key)
    if key == "is":
        names = [arg] if isinstance(arg, str) else arg
        if not isinstance(names, list) or not names:
            raise SpecError("`is` takes a predicate or a list of them", key, line)
        for name in names:
            if name not in _PREDICATES:
                raise SpecError(f"unknown predicate {name!r} (known: {', '.join(sorted(_PREDICATES))})", key, line)
        predicates = [_PREDICATES[n] for n in names]
        return lambda e, c: any(p(e, c) for p in predicates)
    if key == "not":
        inner = compile_value_test(arg, "not")
        return lambda e, c: not inner(e, c)
    if key == "any":
        if not isinstance(arg, list) or not arg:
            raise SpecError("`any` takes a list of value tests", key, line)
        inners = [compile_value_test(item, "any") for item in arg]
        return lambda e, c: any(t(e, c) for t in inners)
    if key in ("equals", "in", "not-in"):
        return _membership(key, arg, line)
    if key == "matches":
        pattern = _regex(arg, key, line)
        return lambda e, c: _search(pattern, _value_of(e, c))
    if key == "name":
        pattern = _regex(arg, key, line)
        return lambda e, c: isinstance(e, cst.CSTNode) and bool(pattern.search(terminal_name(strip_conversions(e)) or ""))
    if key == "code":
        pattern = _regex(arg, key, line)
        return lambda e, c: isinstance(e, cst.CSTNode) and _code_matches(pattern, e, c)
    if key == "qualified":
        globs = _globs(arg, key, line)
        return lambda e, c: isinstance(e, cst.BaseExpression) and _glob_match(
            globs, c.model.qualified_name(e, c.scope) or dotted(e) or "")
    if key == "uses":
        globs = _globs(arg, key, line)
        return lambda e, c: isinstance(e, cst.CSTNode) and _uses(c.resolve(strip_conversions(e)), globs, c)
    if key in ("lt", "le", "gt", "ge"):
        return _comparison(key, arg, line)
    if key == "first":
        inner = compile_value_test(arg, "first")

        def first(e: Optional[cst.BaseExpression], c: Context) -> bool:
            value = _value_of(e, c)
            if isinstance(value, (tuple, list)) and value:
                return inner(Const(value[0]), c)
            return False

        return first
    if key == "contains":
        inner = compile_value_test(arg, "contains")
        return lambda e, c: _elements_pass(_value_of(e, c), inner, c)
    if key == "fields":
        return _fields_test(arg, line)
    if key == "call":
        return _call_test(arg, line)
    if key == "missing":
        if not isinstance(arg, bool):
            raise SpecError("`missing` is true or false", key, line)
        return lambda e, c: (e is None) == arg
    raise SpecError(f"unknown value test {key!r}", key, line)  # pragma: no cover - keys checked above


def _elements_pass(value: Any, inner: ValueTest, c: Context) -> bool:
    """`contains`: some element of a constant list or tuple passes the inner tests."""
    return isinstance(value, (tuple, list)) and any(inner(Const(item), c) for item in value)


def _fields_test(arg: Any, line: int) -> ValueTest:
    """`fields`: a constant mapping whose named entries pass their tests (an absent entry is tested
    as missing), e.g. a Django validator entry `{"NAME": ..., "OPTIONS": {"min_length": 6}}`."""
    if not isinstance(arg, Mapping) or not arg:
        raise SpecError("`fields` takes a mapping of keys to value tests", "fields", line)
    tests = {key: compile_value_test(tests, str(key)) for key, tests in arg.items()}

    def test(e: Optional[cst.BaseExpression], c: Context) -> bool:
        value = _value_of(e, c)
        if not isinstance(value, dict):
            return False
        return all(t(Const(value[key]) if key in value else None, c) for key, t in tests.items())

    return test


def _regex(arg: Any, key: str, line: int) -> RuleRegex:
    """Searched under a time bound (`rule_regex.py`), so no pattern can stall a scan."""
    if not isinstance(arg, str):
        raise SpecError(f"`{key}` takes a regular expression string", key, line)
    try:
        return RuleRegex(re.compile(arg), key)
    except (re.error, RecursionError, OverflowError) as error:
        raise SpecError(f"invalid regular expression: {error}", key, line) from None


def _search(pattern: RuleRegex, value: Any) -> bool:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return isinstance(value, str) and bool(pattern.search(value))


def _membership(key: str, arg: Any, line: int) -> ValueTest:
    options = [arg] if key == "equals" else arg
    if not isinstance(options, list):
        raise SpecError(f"`{key}` takes a list", key, line)
    normalised = {_norm(o) for o in options if not isinstance(o, (list, dict))}
    bools = [o for o in options if isinstance(o, bool)]

    def member(e: Optional[cst.BaseExpression], c: Context) -> bool:
        value = _value_of(e, c)
        if value is UNKNOWN:
            return False
        if isinstance(value, bool) or bools:
            hit = any(value is b for b in bools) if isinstance(value, bool) else False
        else:
            try:
                hit = _norm(value) in normalised
            except TypeError:  # a folded dict is not hashable and equals no listed value
                hit = False
        return hit if key != "not-in" else not hit

    return member


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
}


COMPARISONS = frozenset(_OPS)


def threshold_named(arg: Any) -> Optional[str]:
    """The profile threshold a comparison's argument names (`$name`, `{threshold: name, ...}`), if any."""
    if isinstance(arg, str) and arg.startswith("$"):
        return arg[1:]
    if isinstance(arg, Mapping) and isinstance(arg.get("threshold"), str):
        return arg["threshold"]
    return None


def _comparison(key: str, arg: Any, line: int) -> ValueTest:
    threshold = _compile_threshold(arg, key, line)
    op = _OPS[key]

    def compare(e: Optional[cst.BaseExpression], c: Context) -> bool:
        value = _value_of(e, c)
        if value is UNKNOWN:
            value = _relied_on_default(e, c)
        limit = threshold(c)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or limit is None:
            return False
        if op(value, limit):
            c.captures.setdefault("threshold", limit)
            c.captures.setdefault("value", value)
            c.captures.setdefault("_compared", e)  # where the engine may report it (`engine._own_setting`)
            return True
        return False

    return compare


def _relied_on_default(expr: Optional[cst.BaseExpression], c: Context) -> Any:
    """A work factor given as a parameter that keeps its default (`def hash_password(password,
    iterations=480000)`): the default, when some call in the project leaves it out, or none calls
    the function (a library's entry point); else unknown. Only numbers are compared this way: a
    parameter's default of `None` or `""` is usually replaced before use."""
    owner = c.scope.lookup(expr.value) if isinstance(expr, cst.Name) else None
    if owner is None or owner.kind != "function" or expr.value not in owner.params \
            or expr.value in owner.assignments or expr.value in owner.opaque:
        return UNKNOWN
    default = owner.params[expr.value].default
    value = fold(default, c.model, owner.parent or owner, c.program.constant if c.program is not None else None) \
        if default is not None else UNKNOWN
    if value is UNKNOWN or c.program is None:
        return value
    callers = c.program.callers(owner)
    if callers and all(c.program.argument(site.call, owner, expr.value, site.offset) is not None for site in callers):
        return UNKNOWN  # every call passes its own
    return value


def _compile_threshold(arg: Any, key: str, line: int) -> Callable[[Context], Optional[float]]:
    """A number, `$name` from the active profile, or {threshold: name, by: {arg..}} for tables."""
    if isinstance(arg, (int, float)) and not isinstance(arg, bool):
        return lambda c: arg
    name = threshold_named(arg)
    if isinstance(arg, str) and name is not None:
        return lambda c: _scalar(c.thresholds.get(name))
    if isinstance(arg, Mapping) and "threshold" in arg:
        by = arg.get("by")
        if not isinstance(by, Mapping) or "arg" not in by:
            raise SpecError("a table threshold needs `by: {arg: ..., default: ...}`", key, line)
        ref = compile_argref(by["arg"])
        default = by.get("default")

        def lookup(c: Context) -> Optional[float]:
            found = ref.find(c.call) if c.call is not None else None
            key_value = c.fold(found) if found is not None else default
            return _table(c.thresholds.get(name), key_value)

        return lookup
    raise SpecError(f"`{key}` takes a number, a `$threshold` or {{threshold, by}}", key, line)


def _scalar(value: Any) -> Optional[float]:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _table(table: Any, key: Any) -> Optional[float]:
    """Step lookup: the entry with the largest key not above `key` (p=4 uses the p=3 row)."""
    if not isinstance(table, Mapping) or not isinstance(key, int) or isinstance(key, bool):
        return _scalar(table)
    rows = sorted((k, v) for k, v in table.items() if isinstance(k, int))
    chosen = None
    for row_key, row_value in rows:
        if row_key <= key:
            chosen = row_value
    return _scalar(chosen)


def _call_test(arg: Any, line: int) -> ValueTest:
    if not isinstance(arg, Mapping) or "name" not in arg:
        raise SpecError("`call` takes {name: [globs], where: [conditions]}", "call", line)
    names = _globs(arg["name"], "name", line_of(arg, "name"))
    conditions = compile_conditions(arg.get("where", []), "where")

    def test(e: Optional[cst.BaseExpression], c: Context) -> bool:
        if e is None or isinstance(e, Const):
            return False
        target = c.resolve(e)
        if not isinstance(target, cst.Call):
            return False
        qualified = c.model.qualified_name(target.func, c.scope) or ""
        if not _glob_match(names, qualified):
            return False
        outer, c.call = c.call, target
        try:
            return all(cond(target, c) for cond in conditions)
        finally:
            c.call = outer

    return test


# -- conditions ---------------------------------------------------------------------------------

Condition = Callable[["cst.CSTNode", Context], bool]


def compile_conditions(raw: Any, where: str) -> list[Condition]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise SpecError(f"`{where}` takes a list of conditions", where, line_of(raw))
    return [compile_condition(item) for item in raw]


def compile_condition(raw: Any) -> Condition:
    if not isinstance(raw, Mapping):
        raise SpecError("a condition is a mapping", "where", line_of(raw))
    if "arg" in raw:
        return _arg_condition(raw)
    if "value" in raw:
        _only(raw, {"value"})
        test = compile_value_test(raw["value"], "value")
        return lambda node, c: test(c.captures.get("_value"), c)
    if "operands" in raw:
        _only(raw, {"operands"})
        return _operands_condition(raw["operands"])
    if "from-itself" in raw:
        _flag(raw, "from-itself")
        return lambda node, c: _from_itself(*_sides(c), c)
    if "in-filter" in raw:
        _flag(raw, "in-filter")
        return lambda node, c: _in_filter(node, c.statement)
    if "tested-empty" in raw:
        _flag(raw, "tested-empty")
        return lambda node, c: _tested_empty(c)
    if "grows" in raw:
        _flag(raw, "grows")
        return lambda node, c: c.site is not None and c.site.kind == "bind" and bool(c.site.scope.filled.get(c.site.name))
    if "in-function" in raw:
        _only(raw, {"in-function"})
        return _InFunction(_regex(raw["in-function"], "in-function", line_of(raw, "in-function")))
    if "parameter" in raw:
        _only(raw, {"parameter"})
        pattern = _regex(raw["parameter"], "parameter", line_of(raw, "parameter"))
        return lambda node, c: any(pattern.search(name) for name in c.scope.parameter_names())
    if "module" in raw:
        _only(raw, {"module"})
        pattern = _regex(raw["module"], "module", line_of(raw, "module"))
        return lambda node, c: bool(pattern.search(c.model.name))
    if "definition-code" in raw:
        _only(raw, {"definition-code"})
        pattern = _regex(raw["definition-code"], "definition-code", line_of(raw, "definition-code"))
        return lambda node, c: _definition_matches(pattern, c)
    if "function" in raw:
        _only(raw, {"function"})
        pattern = _regex(raw["function"], "function", line_of(raw, "function"))
        return lambda node, c: c.scope.kind == "function" and bool(pattern.search(c.scope.name))
    if "statement" in raw:
        _only(raw, {"statement"})
        kinds = _globs(raw["statement"], "statement", line_of(raw, "statement"))
        return lambda node, c: _statement_kind(c.statement) in kinds
    if "assigned-to" in raw:
        _only(raw, {"assigned-to"})
        pattern = _regex(raw["assigned-to"], "assigned-to", line_of(raw, "assigned-to"))
        return lambda node, c: any(pattern.search(name) for name in _assigned_around(node, c.statement))
    if "binds-beside" in raw:
        _only(raw, {"binds-beside"})
        return _binds_beside(raw["binds-beside"], line_of(raw, "binds-beside"))
    if "flows-into" in raw:
        _only(raw, {"flows-into"})
        globs = _globs(raw["flows-into"], "flows-into", line_of(raw, "flows-into"))
        return lambda node, c: _flows_into(node, c, globs)
    if "saved-by" in raw:
        _only(raw, {"saved-by"})
        globs = _globs(raw["saved-by"], "saved-by", line_of(raw, "saved-by"))
        return lambda node, c: _saved_by(c, globs)
    if "calls" in raw:
        _only(raw, {"calls"})
        globs = _globs(raw["calls"], "calls", line_of(raw, "calls"))
        return lambda node, c: any(_glob_match(globs, name) for name in _calls_in_scope(c))
    if "in-if" in raw:
        _only(raw, {"in-if"})
        pattern = _regex(raw["in-if"], "in-if", line_of(raw, "in-if"))
        return lambda node, c: c.site is not None and any(
            pattern.search(c.model.module.code_for_node(guard.test)) for guard in c.site.guards)
    if "target" in raw:
        _only(raw, {"target"})
        test = compile_value_test(raw["target"], "target")
        return lambda node, c: c.site is not None and test(_receiver(c.site.target), c)
    if "receiver-call" in raw:
        _only(raw, {"receiver-call"})
        inner = compile_conditions(raw["receiver-call"], "receiver-call")
        return lambda node, c: (origin := receiver_call(node, c)) is not None and all(cond(origin, c) for cond in inner)
    if "field-converts" in raw:
        _only(raw, {"field-converts"})
        globs = _globs(raw["field-converts"], "field-converts", line_of(raw, "field-converts"))
        return lambda node, c: _field_converts(node, c, globs) if isinstance(node, cst.Call) else _set_converts(c, globs)
    if "class-bases" in raw:
        _only(raw, {"class-bases"})
        globs = _globs(raw["class-bases"], "class-bases", line_of(raw, "class-bases"))
        return lambda node, c: isinstance(node, cst.Call) and _class_bases_match(node, c, globs)
    if "any" in raw:
        _only(raw, {"any"})
        inner = compile_conditions(raw["any"], "any")
        return lambda node, c: any(cond(node, c) for cond in inner)
    if "all" in raw:
        _only(raw, {"all"})
        every = compile_conditions(raw["all"], "all")
        return lambda node, c: all(cond(node, c) for cond in every)
    if "not" in raw:
        _only(raw, {"not"})
        negated = compile_condition(raw["not"])
        return lambda node, c: not negated(node, c)
    raise SpecError("a condition starts with arg, value, operands, from-itself, in-filter, tested-empty, grows, "
                    "in-function, parameter, function, module, definition-code, statement, assigned-to, binds-beside, "
                    "flows-into, saved-by, calls, in-if, target, receiver-call, class-bases, field-converts, any, all or not",
                    "where", line_of(raw))


def _assigned_around(node: cst.CSTNode, statement: Optional[cst.CSTNode]) -> Iterator[str]:
    """The names (last parts) a statement assigns a value to that holds this node: `_TESTS` for an
    entry of `_TESTS = [{"params": {"videopassword": "..."}}]`, and the keywords of the arguments
    that hold it (`Field(examples=[{"password": "s3cr3t"}])`), also in the decorators of a
    definition (`@extend_schema(examples=[OpenApiExample(value={...})])`); none for the assignment's
    own binding."""
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        parts: Sequence[cst.CSTNode] = statement.decorators
    elif isinstance(statement, cst.SimpleStatementLine):
        parts = statement.body
    else:
        return
    for small in parts:
        if isinstance(small, cst.Assign) and small is not node:
            yield from (terminal_name(target.target) or "" for target in small.targets)
        elif isinstance(small, cst.AnnAssign) and small is not node and small.value is not None:
            yield terminal_name(small.target) or ""
    yield from (above.keyword.value for above, _ in _path_to(node, parts)
                if isinstance(above, cst.Arg) and above.keyword is not None)


def _path_to(node: cst.CSTNode, roots: Sequence[cst.CSTNode]) -> list[tuple[cst.CSTNode, cst.CSTNode]]:
    """The nodes on the way down from one of `roots` to `node`, outermost first, each with the
    child the way goes through; none if no root holds it."""
    pending: list[tuple[cst.CSTNode, tuple[tuple[cst.CSTNode, cst.CSTNode], ...]]] = [(root, ()) for root in roots]
    while pending:
        current, path = pending.pop()
        if current is node:
            return list(path)
        pending.extend((child, (*path, (current, child))) for child in children(current))
    return []


def _binds_beside(raw: Any, line: int) -> Condition:
    """`binds-beside: GLOBS`, or `binds-beside: {GLOB: {tests}}`: a matching name set beside this
    binding, to a value that passes the tests (`AUTHENTICATION_BACKENDS` naming only remote ones)."""
    if not isinstance(raw, Mapping):
        names = _globs(raw, "binds-beside", line)
        return lambda node, c: any(_glob_match(names, name) for name, _ in _bound_beside(node, c))
    if not raw or not all(isinstance(glob, str) for glob in raw):
        raise SpecError("`binds-beside` takes name globs, or a mapping of a name glob to value tests",
                        "binds-beside", line)
    tests = [((glob,), compile_value_test(spec, "binds-beside")) for glob, spec in raw.items()]
    return lambda node, c: any(_glob_match(glob, name) and test(value, c)
                               for name, value in _bound_beside(node, c) for glob, test in tests)


def _bound_beside(node: cst.CSTNode, c: Context) -> Iterator[tuple[str, Optional[cst.BaseExpression]]]:
    """The names set together with this binding, with their values: for a keyword, the call's other
    keywords (`settings.configure(INSTALLED_APPS=..., DATABASES=...)`, but not
    `override_settings(INSTALLED_APPS=...)` in a test, which changes one setting for a while); else
    the module's top-level assignments."""
    if isinstance(node, cst.Arg):
        call = next((site.node for site in c.model.sites if site.kind == "call" and
                     any(arg is node for arg in site.node.args)), None)  # type: ignore[attr-defined]
        if call is not None:
            yield from ((arg.keyword.value, arg.value) for arg in call.args if arg.keyword is not None)
        return
    for site in c.model.sites:
        if site.kind == "bind" and site.scope is c.model.module_scope and isinstance(site.target, cst.Name):
            yield site.name, site.value


def _sides(c: Context) -> tuple[Optional[cst.BaseExpression], Optional[cst.BaseExpression]]:
    """A comparison's two operands, or what a binding assigns to and the value it assigns."""
    if "_operands" in c.captures:
        return c.captures["_operands"]
    return (c.site.target, c.site.value) if c.site is not None and c.site.kind == "bind" else (None, None)


def _from_itself(left: Optional[cst.BaseExpression], right: Optional[cst.BaseExpression], c: Context) -> bool:
    """Both sides are made from the same one value: `password != password.strip()` and
    `password.split() != [password]` check a password's form, `u == r.decode(enc)` after
    `r = u.encode(enc, "replace")` checks that a conversion lost nothing, and `cred.password =
    cred.password.hex()` changes how a value is written where it already is."""
    if left is None or right is None:
        return False
    return not _derivation(left, c).isdisjoint(_derivation(right, c))


def _derivation(expr: cst.BaseExpression, c: Context, depth: int = 3) -> set[str]:
    """The one name or dotted attribute an expression takes its value from, and those that one
    was converted from, through locals that one assignment reaches (`r = u.encode(enc)`, `u =
    s.decode()`: `r`, `u`, `s`), not parameters, which it may not (`if swap: them, us = us, them`);
    empty when it takes several."""
    values = _values_read(expr)
    if len(values) != 1:
        return set()
    ((value, read),) = values.items()
    if depth and "." not in value and c.scope.lookup(value) is c.scope and value not in c.scope.params \
            and value not in c.scope.opaque:
        assigned = c.model.reaching(value, c.scope, read)
        converted = strip_conversions(assigned[0]) if len(assigned) == 1 else None
        if isinstance(converted, (cst.Name, cst.Attribute)):
            return {value} | _derivation(converted, c, depth - 1)
    return {value}


def _values_read(expr: cst.BaseExpression) -> dict[str, cst.CSTNode]:
    """The names and dotted attributes an expression takes its value from: `password` for
    `password.strip()` and `[password]`; a method's name is not one, nor the options a conversion
    is given (`enc` of `u.encode(enc)`); each with a read of it."""
    found: dict[str, cst.CSTNode] = {}
    pending: list[cst.CSTNode] = [expr]
    while pending:
        node = pending.pop()
        name = dotted(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
        if name:
            found.setdefault(name, node)
        elif isinstance(node, cst.Attribute):  # `make().password`: the value is what `make()` reads
            pending.append(node.value)
        elif isinstance(node, cst.Call):
            converts = isinstance(node.func, cst.Attribute) and node.func.attr.value in CONVERSION_METHODS
            if not converts:
                pending.extend(arg.value for arg in node.args)
            if isinstance(node.func, cst.Attribute):
                pending.append(node.func.value)
        else:
            pending.extend(children(node))
    return found


def _statement_kind(statement: Optional[cst.CSTNode]) -> str:
    """`assert`, `return`, `assign`, `expr`, `if`, ...: the kind of statement a site sits in."""
    if isinstance(statement, cst.SimpleStatementLine) and statement.body:
        return type(statement.body[0]).__name__.lower()
    return type(statement).__name__.lower() if statement is not None else ""


def _flows_into(node: cst.CSTNode, c: Context, globs: Sequence[str]) -> bool:
    """Whether this node's result is passed, directly or through a local name, to a matching call
    in the same scope: `bcrypt.hashpw(sha256(pw).digest(), salt)` pre-hashes, it does not store.
    A function that returns the result answers for its callers, one level up, when every one of
    them passes the call's result on so (`get_hmac(password)`, then `pwd_context.hash(...)`)."""
    if _passed_on(node, c.statement, c.model, c.scope, globs):
        return True
    if c.program is None or c.scope.kind != "function":
        return False
    targets = _carriers(c.statement, node, c.model, c.scope)
    if not any(_mentions(value, node, targets) for value in c.scope.returns):
        return False
    callers = c.program.callers(c.scope)
    return bool(callers) and all(
        _passed_on(caller.call, c.program.statement_of(caller.model, caller.call), caller.model, caller.scope, globs)
        for caller in callers)


def _passed_on(node: cst.CSTNode, statement: Optional[cst.CSTNode], model: ModuleModel, scope: Scope,
               globs: Sequence[str]) -> bool:
    targets = _carriers(statement, node, model, scope)
    for site in model.sites:
        if site.kind != "call" or site.scope is not scope or site.node is node:
            continue
        call = site.node
        assert isinstance(call, cst.Call)
        name = model.qualified_name(call.func, scope) or ""
        if not (_glob_match(globs, name) or _glob_match(globs, dotted(call.func) or "")):
            continue
        if any(_mentions(arg.value, node, targets) for arg in call.args):
            return True
    return False


def _receiver(expr: Optional[cst.BaseExpression]) -> Optional[cst.BaseExpression]:
    """The object a value is stored into: `user` in `user.password`, `auth` in `auth["password"]`."""
    if isinstance(expr, (cst.Attribute, cst.Subscript)):
        return expr.value
    return None


def receiver_call(node: cst.CSTNode, c: Context) -> Optional[cst.Call]:
    """The call that made a method's receiver: `hashlib.md5(usedforsecurity=False)` for `h.update(data)`."""
    if not isinstance(node, cst.Call) or not isinstance(node.func, cst.Attribute):
        return None
    origin = c.resolve(node.func.value)
    return origin if isinstance(origin, cst.Call) else None


def _store_owners(c: Context) -> list[str]:
    """The objects a store at this site changes, innermost first: for `self.config["hosts"][i] = x`,
    `self.config[]`, then `self.config`; for `cfg.set("db", "password", pw)`, `cfg` (as `spelled`,
    which needs no code generation; subscripts of one object count as that object)."""
    site = c.site
    if site is None:
        return []
    if site.kind == "bind":
        owner = _receiver(site.target)
    elif isinstance(site.node, cst.Call) and isinstance(site.node.func, cst.Attribute):
        owner = site.node.func.value
    else:
        return []
    owners = []
    while isinstance(owner, (cst.Attribute, cst.Subscript, cst.Name)):
        owners.append(spelled(owner))
        if not isinstance(owner, (cst.Attribute, cst.Subscript)) or isinstance(owner.value, cst.Name) and \
                owner.value.value == c.scope.self_name():
            break  # `self` alone is not the stored object; `self.config` is
        owner = owner.value
    return owners


def _saved_by(c: Context, globs: Sequence[str]) -> bool:
    """Whether the object this site stores into is persisted in the same function: a matching method is
    called on it (`user.save()`, `self.config.save()`) or it is passed to one (`session.add(user)`)."""
    owners = set(_store_owners(c))
    if not owners:
        return False
    for site in c.model.sites:
        if site.kind != "call" or site.scope is not c.scope:
            continue
        call = site.node
        assert isinstance(call, cst.Call)
        name = terminal_name(call.func) or ""
        if not _glob_match(globs, name):
            continue
        if isinstance(call.func, cst.Attribute) and spelled(call.func.value) in owners:
            return True
        # `session.add(user)` saves `user`; `adapter.save_user(request, user, self)` hands a form
        # over, it does not save the form itself
        if any(spelled(arg.value) in owners - {c.scope.self_name()} for arg in call.args):
            return True
    return False


def _tested_empty(c: Context) -> bool:
    """The password is read in the body of an `if` that found it empty (`if not args.password:
    log.error(f"--password was not set ({args.password})")`): what is written there is no password."""
    flow: Optional[Flow] = c.captures.get("_flow")
    source = flow.steps[0].node if flow is not None and flow.steps[0].model is c.model else None
    if source is None:
        return False
    code, module = c.model.module.code_for_node(source), c.model.module
    return any(_tests_empty(guard.test, code, module) and not _assigns(guard.body, code, module)
               for guard in _ifs_around(source, c.scope.node))


def _assigns(block: cst.CSTNode, code: str, module: cst.Module) -> bool:
    """Whether the block sets what is spelled `code` (`self.password = token_hex(8)` after `if not
    self.password:` fills it before it is logged)."""
    return any(isinstance(node, (cst.AssignTarget, cst.AnnAssign, cst.AugAssign))
               and module.code_for_node(node.target) == code for node in descendants(block))


def _tests_empty(test: cst.BaseExpression, code: str, module: cst.Module) -> bool:
    """`not X`, `X is None`, `X == ""` for X spelled `code`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return module.code_for_node(test.expression) == code
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        empty = (isinstance(target.operator, cst.Is) and dotted(target.comparator) == "None") or (
            isinstance(target.operator, cst.Equal) and isinstance(target.comparator, cst.SimpleString)
            and not _literal_text(target.comparator))
        return empty and module.code_for_node(test.left) == code
    return False


def _ifs_around(node: cst.CSTNode, root: cst.CSTNode) -> list[cst.If]:
    """The `if` statements whose body (not `else`) holds the node, outermost first."""
    return [above for above, child in _path_to(node, [root]) if isinstance(above, cst.If) and child is above.body]


def _in_filter(node: cst.CSTNode, statement: Optional[cst.CSTNode]) -> bool:
    """Whether the node is in the condition of a comprehension (`next(x for x in xs if x.pw == pw)`)."""
    return statement is not None and any(
        isinstance(part, cst.CompIf) and any(inner is node for inner in descendants(part.test))
        for part in descendants(statement))


def _definition_matches(pattern: re.Pattern[str], c: Context) -> bool:
    """Whether a line of the top-level function or class around the site matches, or of a class it
    derives from in the project: a subclass for one platform uses what its base reads (ansible's
    `FreeBsdUser` compares with the shadow entry `User.user_info` reads)."""
    scope = c.scope
    while scope.parent is not None and scope.parent.kind != "module":
        scope = scope.parent
    if scope.parent is None or c.program is None:
        return False
    program = c.program
    return program.definition_matches(c.model, scope.node, pattern) or scope.kind == "class" and any(
        program.definition_matches(model, base.node, pattern) for model, base in program.ancestors(c.model, scope))


def _calls_in_scope(c: Context) -> Iterable[str]:
    for site in c.model.sites:
        if site.kind == "call" and site.scope is c.scope:
            assert isinstance(site.node, cst.Call)
            yield c.model.qualified_name(site.node.func, c.scope) or dotted(site.node.func) or ""


def _class_bases_match(call: cst.Call, c: Context, globs: Sequence[str]) -> bool:
    """The call constructs a project class that derives, directly or not, from a matching base
    (`User(password=pw)` where `class User(db.Model)`)."""
    made = c.program.resolve_class(call, c.model, c.scope) if c.program is not None else None
    return made is not None and any(_glob_match(globs, base) for base in c.program.class_bases(*made))


def _field_converts(call: cst.Call, c: Context, globs: Sequence[str]) -> bool:
    """The call constructs a project class, and every keyword that hands it a password names a
    field that converts what it is given: a column of a hashing or encrypting type
    (`sa.Column(PasswordType())`, one of `globs`), a property with a setter, or a descriptor (a
    project class with `__set__`), or one the package hashes where it is saved. Assignment then
    runs code, which is checked where it is written."""
    made = c.program.resolve_class(call, c.model, c.scope) if c.program is not None else None
    if made is None:
        return False
    model, owner = made
    keywords = [arg.keyword.value for arg in call.args if arg.keyword is not None and c.oracle.carries(arg.value, c.scope)]
    return bool(keywords) and all(_converting_field(model, owner, name, c, globs)
                                  or _hashed_in_place(name, model.package, c) for name in keywords)


def _set_converts(c: Context, globs: Sequence[str]) -> bool:
    """A bind to an attribute (`current_user.password = pw`), or a comparison with one (`pw !=
    user.password`), that a class of the project defines as a converting field: what is stored is
    what its setter makes of the value, and what is compared is a hash that checks what it is given
    (SQLAlchemy-Utils' `Password.__eq__`). The object's class is rarely known, and other classes
    bind the name too (a form's `password = PasswordField()`), so one such class of the same
    top-level package is taken to be the object's: a project that hashes a model's password in its
    setter, or rewrites it as a hash where it is saved (`Program.hashes_in_place`), stores it that
    way (a folder of several projects scanned at once shares no models)."""
    site = c.site
    if site is None or c.program is None:
        return False
    operands = c.captures.get("_operands", ()) if site.kind == "compare" else (site.target,)
    package = c.model.package
    return any(isinstance(operand, cst.Attribute) and _attribute_converts(operand.attr.value, package, c, globs)
               for operand in operands)


def _attribute_converts(name: str, package: str, c: Context, globs: Sequence[str]) -> bool:
    return _hashed_in_place(name, package, c) or c.program is not None and any(
        model.package == package and _converting_field(model, owner, name, c, globs)
        for model, owner in c.program.classes_binding(name))


def _hashed_in_place(name: str, package: str, c: Context) -> bool:
    return c.program is not None and c.program.hashes_in_place(name, package)


def _converting_field(model: ModuleModel, owner: Scope, name: str, c: Context, globs: Sequence[str]) -> bool:
    """A property with a setter, a descriptor, a column of a converting type or of the project's
    own type, or a column's synonym with a property for its setter (`db.synonym("_password",
    descriptor=property(get, set))`)."""
    accessor = owner.children.get(name)
    if accessor is not None and isinstance(accessor.node, cst.FunctionDef):
        return any(dotted(decorator.decorator) == f"{name}.setter" for decorator in accessor.node.decorators)
    values = owner.assignments.get(name, [])
    if len(values) != 1:
        return False
    pending: list[tuple[cst.CSTNode, bool]] = [(values[0], False)]  # (node, handed to a call)
    while pending:
        node, inner = pending.pop()
        if isinstance(node, cst.Call):
            if _glob_match(globs, model.qualified_name(node.func, owner) or dotted(node.func) or "") or _has_setter(node):
                return True
            made = c.program.resolve_class(node, model, owner) if c.program is not None else None
            if made is not None and "__set__" in made[1].children:
                return True
            if inner and isinstance(node.func, cst.Name) and _own_type(node.func, model, owner):
                return True
            pending.extend((arg.value, True) for arg in node.args)
        elif inner and isinstance(node, cst.Name) and _own_type(node, model, owner):
            return True
        else:
            pending.extend((child, inner) for child in children(node))
    return False


def _own_type(node: cst.Name, model: ModuleModel, owner: Scope) -> bool:
    """A class the project imports from its own package, handed to a column (lemur's
    `Column(Vault)` or `Column(Vault())`): a type decorator that turns the value into what is
    stored (a library's `String` turns nothing)."""
    qualified = model.qualified_name(node, owner) or ""
    return node.value[:1].isupper() and "." in qualified and qualified.partition(".")[0] == model.package


def _has_setter(call: cst.Call) -> bool:
    """`property(get, set)`, `property(fget, fset=set)`: a property whose setter runs on assignment."""
    if dotted(call.func) != "property":
        return False
    return sum(arg.keyword is None for arg in call.args) >= 2 or any(
        arg.keyword is not None and arg.keyword.value == "fset" for arg in call.args)


def spelled(expr: cst.BaseExpression) -> str:
    """A call's name as written, with `[]` and `()` for subscripts and calls: `self.config[].append`."""
    if isinstance(expr, cst.Name):
        return expr.value
    if isinstance(expr, cst.Attribute):
        return f"{spelled(expr.value)}.{expr.attr.value}"
    if isinstance(expr, cst.Subscript):
        return f"{spelled(expr.value)}[]"
    if isinstance(expr, cst.Call):
        return f"{spelled(expr.func)}()"
    return "?"


def _carriers(statement: Optional[cst.CSTNode], node: cst.CSTNode, model: ModuleModel, scope: Scope) -> set[str]:
    """The names, as spelled, that hold this node's result somewhere in its scope: what its statement
    assigns, then whatever is assigned from those (`post = {"pw": md5(pw)}`, then `body = dumps(post)`).
    Order is ignored: a scope that reuses a name for something else over-counts, which errs towards
    the value reaching the call."""
    names = _assigned_names(statement)
    if not names:
        return names
    flows = [(name, value) for name, values in scope.assignments.items() for value in values]
    for site in model.sites:
        if site.scope is not scope:
            continue
        if site.kind == "bind" and site.value is not None and isinstance(site.target, (cst.Attribute, cst.Subscript)):
            flows.append((spelled(site.target), site.value))
            if isinstance(site.target, cst.Subscript) and _is_carrier(site.target.value):
                flows.append((spelled(site.target.value), site.value))  # `payload["pw"] = h`: `payload` holds it
        elif site.kind == "call" and _is_effect(site):
            receiver = _changed_receiver(site.node)
            if receiver is not None:
                flows.append((receiver, site.node))
    grew = True
    while grew:
        grew = False
        for name, value in flows:
            if name not in names and _mentions(value, node, names):
                names.add(name)
                grew = True
    return names


def _is_effect(site: Site) -> bool:
    """Whether a call site is a whole statement of its own, called for what it does to its receiver."""
    statement = site.statement
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Expr) and small.value is site.node for small in statement.body)


def _changed_receiver(call: cst.CSTNode) -> Optional[str]:
    """The receiver a method called for its effect changes, as spelled: `ctx` in `ctx.update(password)`."""
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and _is_carrier(call.func.value):
        return spelled(call.func.value)
    return None


def _assigned_names(statement: Optional[cst.CSTNode]) -> set[str]:
    """What a statement binds, as spelled: `digest`, `self.digest`, `data[]`; and the receiver of a
    method called for its effect (`_changed_receiver`)."""
    names: set[str] = set()
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            receiver = _changed_receiver(small.value) if isinstance(small, cst.Expr) else None
            if receiver is not None:
                names.add(receiver)
            elif isinstance(small, cst.Assign):
                # an unpacked tuple (`salt, token = make_token()`): any of its names may hold the value
                names |= {spelled(target) for t in small.targets for target in _unpacked(t.target)
                          if _is_carrier(target)}
            elif isinstance(small, (cst.AnnAssign, cst.AugAssign)) and _is_carrier(small.target):
                names.add(spelled(small.target))
    return names


def _unpacked(target: cst.BaseExpression) -> list[cst.BaseExpression]:
    if isinstance(target, (cst.Tuple, cst.List)):
        return [item for element in target.elements for item in _unpacked(element.value)]
    return [target]


def _is_carrier(expr: cst.CSTNode) -> bool:
    """A name, attribute or subscript: a place a value is kept under a name (`cst` loads lazily, so no tuple
    of its classes at import)."""
    return isinstance(expr, (cst.Name, cst.Attribute, cst.Subscript))


def _mentions(expr: cst.CSTNode, node: cst.CSTNode, names: set[str]) -> bool:
    if expr is node or (_is_carrier(expr) and spelled(expr) in names):
        return True
    return any(_mentions(child, node, names) for child in children(expr))


def _only(raw: Mapping[str, Any], allowed: set[str]) -> None:
    extra = set(raw) - allowed
    if extra:
        key = sorted(extra)[0]
        raise SpecError(f"unexpected key {key!r} here", key, line_of(raw, key))


def _arg_condition(raw: Mapping[str, Any]) -> Condition:
    ref = compile_argref(raw["arg"])
    test = compile_value_test(raw, "arg")

    def condition(node: cst.CSTNode, c: Context) -> bool:
        if not isinstance(node, cst.Call):
            return False
        if ref.any:
            return any(test(value, c) for value in ref.all(node))
        return test(ref.find(node), c)

    return condition


def _operands_condition(raw: Any) -> Condition:
    if not isinstance(raw, Mapping) or set(raw) - {"one", "other"} or "one" not in raw:
        raise SpecError("`operands` takes {one: test, other: test}", "operands", line_of(raw))
    one = compile_value_test(raw["one"], "one")
    other = compile_value_test(raw.get("other", {}), "other")

    def condition(node: cst.CSTNode, c: Context) -> bool:
        """Either way round. When both hold, the way whose password is this function's own wins:
        `self.dict[username] == password` in an authorizer is its own fault, reported there, not
        at every call that hands it the dict of users (`engine._locate_each`)."""
        left, right = c.captures.get("_operands", (None, None))
        before, held = c.captures, None
        for first, second in ((left, right), (right, left)):
            c.captures = dict(before)
            if one(first, c) and other(second, c):
                if (flow := c.captures.get("_flow")) is None or flow.entry is None:
                    return True
                held = held or c.captures
        c.captures = held or before
        return held is not None

    return condition


# -- patterns -----------------------------------------------------------------------------------

def _globs(raw: Any, key: str, line: int) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise SpecError(f"`{key}` takes a name glob or a list of them", key, line)
    return tuple(items)


def _glob_match(globs: Sequence[str], name: str) -> bool:
    return _glob_regex(tuple(globs)).match(name) is not None


@lru_cache(maxsize=None)
def _glob_regex(globs: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled regular expression per glob list: matching runs for every call in a file."""
    return re.compile("|".join(f"(?:{fnmatch.translate(glob)})" for glob in globs))


_COMPARE_OPS = {"==": "Equal", "!=": "NotEqual", "is": "Is", "is not": "IsNot",  # libcst operator class names
                "<": "LessThan", ">": "GreaterThan", "<=": "LessThanEqual", ">=": "GreaterThanEqual"}


@dataclass(frozen=True)
class Pattern:
    """One compiled entry of a rule's `match` list."""

    kind: str  # "call", "bind", "compare" or "return"
    accepts: Callable[[Site, "Context"], bool]
    where: tuple[Condition, ...]
    unless: tuple[Condition, ...]
    message: Optional[str]
    report_at: str  # "node", "receiver" (where the receiver object was created) or "value"
    # What a file must contain for this pattern to match: every group needs one of its regular
    # expressions to occur in the lower-cased bytes. No groups means every file may match.
    tokens: tuple[tuple[str, ...], ...]
    severity: Optional[str] = None
    # for call patterns: the last names a matching call can have (`execute`), or None when a glob
    # leaves it open (`set*`); lets the engine offer a call only to patterns that could take it
    callee_names: Optional[frozenset[str]] = None
    # tokens of the calls a `calls` condition looks for anywhere in the site's scope: slicing keeps
    # the statements that hold one, though nothing links them to the site
    scope_tokens: tuple[str, ...] = ()

    def matches(self, site: Site, ctx: Context) -> bool:
        if not self.accepts(site, ctx):
            return False
        if not all(cond(site.node, ctx) for cond in self.where):
            return False
        return not any(cond(site.node, ctx) for cond in self.unless)

    def exempts_handed(self, site: Site, ctx: Context) -> bool:
        """Whether an `in-function` exemption holds for the flow in `ctx.captures`: another call
        that hands the helper a password, which the match was not made with. `md5(payload)` in a
        helper is a finding where a login stores the result, not where a handshake calls it."""
        return any(cond(site.node, ctx) for cond in self.unless if isinstance(cond, _InFunction))


_PATTERN_KEYS = {"call", "bind", "compare", "return", "where", "unless", "message", "report-at", "tokens", "severity"}

# A password reaches code through a name containing one of these, or through getpass; as regular
# expressions over lower-cased bytes (a bare `pass` would match every `pass` statement, a quoted one is
# a key: `{"user": "salt", "pass": "salt"}`). `pass` as a word of a name (`db_pass`, `pass_file`) must end or start there: `max_passes`, `bypass_cache` and
# `_passthrough` name no password. Each expression starts with its literal, so the prefilter searches
# for it only where that literal is (`prefilter.TokenGroup.guards`).
PASSWORD_TOKENS = ("passw", "passphrase", "passcode", "pwd", "pswd", "getpass", "pw(?![a-z])(?<![a-z]pw)",
                   "_pass(?![a-z])", "pass_(?<![a-z]pass_)", "-pass(?![a-z])", "\"pass\"", "'pass'", "userpass", "adminpass",
                   "rootpass", "dbpass", "mdp", "senha", "kennwort", "contrase")


def compile_pattern(raw: Any) -> Pattern:
    if not isinstance(raw, Mapping):
        raise SpecError("each `match` entry is a mapping", "match", line_of(raw))
    unknown = set(raw) - _PATTERN_KEYS
    if unknown:
        key = sorted(unknown)[0]
        raise SpecError(f"unknown pattern key {key!r} (known: {', '.join(sorted(_PATTERN_KEYS))})", key,
                        line_of(raw, key))
    kinds = [k for k in _ACCEPTORS if k in raw]
    if len(kinds) != 1:
        raise SpecError("a pattern has exactly one of call, bind, compare or return", "match", line_of(raw))
    kind = kinds[0]
    accepts, tokens = _ACCEPTORS[kind](raw[kind], line_of(raw, kind))
    message = raw.get("message")
    if message is not None and not isinstance(message, str):
        raise SpecError("`message` must be a string", "message", line_of(raw, "message"))
    report_at = raw.get("report-at", "node")
    if report_at not in ("node", "receiver", "value"):
        raise SpecError("`report-at` is node, receiver or value", "report-at", line_of(raw, "report-at"))
    severity = raw.get("severity")
    if severity not in (None, "error", "warning", "note"):
        raise SpecError("`severity` is error, warning or note", "severity", line_of(raw, "severity"))
    groups = [tokens] if tokens else []
    if _requires_password(raw.get("where")) or _requires_password(raw.get(kind)):
        groups.append(PASSWORD_TOKENS)
    if "tokens" in raw:
        groups.append(tuple(re.escape(t) for t in _explicit_tokens(raw["tokens"], line_of(raw, "tokens"))))
    where = tuple(compile_conditions(raw.get("where"), "where"))
    unless = tuple(compile_conditions(raw.get("unless"), "unless"))
    return Pattern(kind, accepts, where, unless, message, report_at,
                   tuple(tuple(t.lower() for t in group) for group in groups), severity,
                   _callee_names(raw[kind]) if kind == "call" else None,
                   tuple(token.lower() for token in _scope_tokens([raw.get("where"), raw.get("unless")])))


def _scope_tokens(raw: Any) -> Iterator[str]:
    """The tokens of the calls `calls` conditions look for, at any depth (`not`, `any`); the
    conditions are valid by now."""
    if isinstance(raw, list):
        for item in raw:
            yield from _scope_tokens(item)
    elif isinstance(raw, Mapping):
        for key, value in raw.items():
            if key == "calls":
                yield from _glob_tokens([value] if isinstance(value, str) else value)
            elif key in ("not", "any"):
                yield from _scope_tokens(value)


def _callee_names(raw: Any) -> Optional[frozenset[str]]:
    """`*.execute` and `open().write` end in a fixed name; `redis.*().set*` does not."""
    names = set()
    for glob in [raw] if isinstance(raw, str) else raw:
        last = glob.rsplit(".", 1)[-1].replace("()", "")
        if not last or any(char in last for char in "*?[]"):
            return None
        names.add(last)
    return frozenset(names)


def _explicit_tokens(raw: Any, line: int) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw or not all(isinstance(t, str) and t for t in raw):
        raise SpecError("`tokens` takes a list of non-empty strings", "tokens", line)
    return tuple(raw)


def _requires_password(raw: Any) -> bool:
    """Whether every match of this spec needs a password somewhere (outside `not`/`any` branches)."""
    if isinstance(raw, list):
        return any(_requires_password(item) for item in raw)
    if not isinstance(raw, Mapping):
        return False
    predicate = raw.get("is")
    names = [predicate] if isinstance(predicate, str) else (predicate or [])
    if names and all(name in ("password", "password-input", "password-name", "encoded-password", "names-password")
                     for name in names):
        return True
    return any(_requires_password(value) for key, value in raw.items() if key not in ("not", "any", "is"))


def _call_acceptor(raw: Any, line: int) -> tuple[Callable[[Site, Context], bool], tuple[str, ...]]:
    globs = _globs(raw, "call", line)

    def accepts(site: Site, ctx: Context) -> bool:
        call = site.node
        assert isinstance(call, cst.Call)
        qualified = ctx.model.qualified_name(call.func, ctx.scope)
        if qualified is None or not _glob_match(globs, qualified):
            # the name as written: `crypt = self._load_library(); crypt.crypt(...)`, `hosts[0].append`
            qualified = spelled(call.func)
            if not _glob_match(globs, qualified):
                return False
        ctx.call = call
        ctx.captures["callee"] = qualified.replace("()", "")
        return True

    return accepts, tuple(_glob_tokens(globs))


# Names too common to tell a file apart (methods, and `apps`, which every Django module imports); a
# glob ending in one is known by an earlier part.
_GENERIC_NAMES = frozenset({"update", "new", "hash", "copy", "digest", "hexdigest", "using", "encrypt",
                            "verify", "get", "identify", "genconfig", "genhash", "derive", "apps"})


def _glob_tokens(globs: Iterable[str]) -> Iterable[str]:
    """The literal text each glob needs in the source, as an escaped regular expression.

    A qualified name is only known through an import in the same file or as spelled there, so
    every literal piece of a matching glob occurs in the file. The last specific piece is the
    most selective (`PBKDF2` rather than `Protocol`, `hashlib` rather than `update`).
    """
    for glob in globs:
        pieces = [piece for piece in re.split(r"[.()*?\[\]]", glob) if len(piece) >= 3]
        specific = [piece for piece in pieces if piece.lower() not in _GENERIC_NAMES]
        if specific or pieces:
            yield re.escape((specific or pieces)[-1])


def _bind_acceptor(raw: Any, line: int) -> tuple[Callable[[Site, Context], bool], tuple[str, ...]]:
    if isinstance(raw, (str, list)):
        globs = _globs(raw, "bind", line)
        return (lambda site, ctx: _bind_accept(site, ctx, _glob_match(globs, site.name)),
                tuple(_glob_tokens(globs)))
    if isinstance(raw, Mapping):
        _only(raw, {"is", "matches"})
        if raw.get("is") not in (None, "password-name"):
            raise SpecError("a bind name test is `is: password-name` or `matches: REGEX`", "is", line_of(raw, "is"))
        pattern = _regex(raw["matches"], "matches", line_of(raw, "matches")) if "matches" in raw else None
        wants_password = raw.get("is") == "password-name"

        def accepts(site: Site, ctx: Context) -> bool:
            ok = (not wants_password or is_password_name(site.name) and not (
                site.scope.kind == "class" and is_enumeration(site.scope))) and (
                pattern is None or bool(pattern.search(site.name)))
            return _bind_accept(site, ctx, ok)

        return accepts, ()
    raise SpecError("`bind` takes name globs or {is: password-name} / {matches: REGEX}", "bind", line)


def _bind_accept(site: Site, ctx: Context, ok: bool) -> bool:
    if ok:
        ctx.captures["name"] = site.name
        ctx.captures["_value"] = site.value
        ctx.captures["_target"] = site.target
    return ok


def _compare_acceptor(raw: Any, line: int) -> tuple[Callable[[Site, Context], bool], tuple[str, ...]]:
    ops = [raw] if isinstance(raw, str) else raw
    if not isinstance(ops, list) or not all(op in _COMPARE_OPS for op in ops):
        raise SpecError(f"`compare` takes operators among {', '.join(_COMPARE_OPS)}", "compare", line)
    types = frozenset(_COMPARE_OPS[op] for op in ops)

    def accepts(site: Site, ctx: Context) -> bool:
        node = site.node
        assert isinstance(node, cst.Comparison)
        left: cst.BaseExpression = node.left
        for target in node.comparisons:
            if type(target.operator).__name__ in types:
                ctx.captures["_operands"] = (left, target.comparator)
                return True
            left = target.comparator
        return False

    return accepts, ()


def _return_acceptor(raw: Any, line: int) -> tuple[Callable[[Site, Context], bool], tuple[str, ...]]:
    if raw is not True:
        raise SpecError("`return` takes `true`; put tests on the value under `where`", "return", line)

    def accepts(site: Site, ctx: Context) -> bool:
        ctx.captures["_value"] = site.value
        return True

    return accepts, ()


_ACCEPTORS = {"call": _call_acceptor, "bind": _bind_acceptor, "compare": _compare_acceptor,
              "return": _return_acceptor}
