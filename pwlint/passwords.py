"""Decide whether an expression carries a cleartext password.

Two kinds of evidence, as a reviewer would use them:
- **names**: a variable, attribute, parameter, key, keyword or called function whose name says
  password (`password`, `passwd`, `pwd`, `new_password1`, `getPassword()`), unless other words in
  the name say it holds a hash or metadata (`password_hash`, `PASSWORD_MIN_LENGTH`,
  `password_reset_url`, `pw_changed_at`, `is_password_set`);
- **flow** inside a function: a value built from a password (assignment, `.encode()`, `str()`,
  f-strings, `+`, `%`, `.format()`, `"".join()`, byte-conversion helpers) is a password too.
  A hash or KDF call is *not* in that list, so hashing ends the flow.

`PasswordOracle.carries` answers per expression, memoised per node; the tainted names of each scope
are computed lazily. Flow across functions and modules (summaries of parameters and return values)
extends `_call_carries` and `_name_carries` without changing the rules that ask.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Optional

import libcst as cst

from pwlint.names import ModuleModel, Scope, subscript_key

# Whole words that mean "password"; words that merely contain "password" count too (newpassword).
_PASSWORD_WORDS = frozenset({
    "password", "passwords", "passwd", "passwds", "passphrase", "passphrases", "passcode",
    "pwd", "pwds", "pw", "pws", "pass", "pword", "passw", "pswd", "pswrd", "passwort", "kennwort",
    "userpass", "adminpass", "rootpass", "dbpass", "mdp", "motdepasse", "contrasena", "senha",
})
_PASSWORD_INFIXES = ("password", "passwd", "passphrase", "passcode")

# Words that turn a password name into the name of something else: a hash of it, a rule about it,
# a place or time connected with it, a flag, a form widget or a message.
_NOT_PASSWORD_WORDS = frozenset({
    # derived, non-cleartext values
    "hash", "hashed", "hashes", "digest", "hmac", "salt", "salted", "crypt", "crypted", "encrypted",
    "encoded", "enc", "hasher", "hashers", "cipher", "ciphertext", "kdf", "scheme", "schemes",
    "algorithm", "algorithms", "algo", "method", "context", "ctx", "handler", "handlers", "backend",
    "key", "keys", "token", "tokens", "masked", "mask", "redacted", "obfuscated",
    # metadata about passwords
    "length", "len", "min", "max", "minimum", "maximum", "policy", "policies", "validator", "validators",
    "validation", "strength", "score", "complexity", "rules", "rule", "regex", "pattern", "required",
    "history", "count", "attempts", "tries", "retries", "expiry", "expires", "expired", "expiration",
    "age", "lifetime", "changed", "date", "time", "timestamp", "at", "on", "last", "updated",
    # places, identifiers and UI
    "reset", "url", "uri", "link", "path", "file", "filename", "dir", "field", "fields", "label",
    "help", "prompt", "placeholder", "widget", "form", "forms", "template", "view", "views", "page",
    "name", "type", "id", "mode", "env", "var", "error", "errors", "msg", "message", "text",
    "manager", "mgr", "store", "storage", "keyring", "vault", "table", "column",
    "option", "options", "config", "setting", "settings", "changer", "change",
    "subject", "notice", "title", "description", "desc", "hint", "tooltip", "caption",
    "prefix", "suffix", "sep", "separator", "delimiter", "marker", "char", "chars", "charset", "alphabet",
    # flags and booleans
    "is", "has", "needs", "should", "use", "uses", "allow", "allowed", "enabled", "disabled",
    "valid", "invalid", "verified", "match", "matches", "matched", "set", "ok", "usable",
    "check", "checks", "checker", "verify", "verifier",
    # things that only go *past* passwords
    "through", "by", "bypass",
})

# Called functions whose names mention passwords but return something else.
_NOT_SOURCE_VERBS = frozenset({
    "make", "hash", "check", "verify", "set", "validate", "generate", "gen", "reset", "change",
    "update", "encrypt", "encode", "is", "has", "needs", "should", "store", "save", "write",
    "send", "mask", "redact", "log", "print", "compare", "delete", "remove", "clear", "expire",
    "require", "must", "create", "random", "new", "salt", "apply", "post", "put", "sync", "test",
    "validated", "identify", "upgrade",
})

# Calls known to return the user's password (beyond names that say so).
SOURCE_CALLS = frozenset({"getpass.getpass", "getpass", "getpass.unix_getpass", "getpass.win_getpass"})

# Methods and functions (by their last name) that convert a value and keep its identity:
# `password.encode()`, `force_bytes(password)` are the password, `username.lower()` the username.
_CONVERSION_METHODS = frozenset({"encode", "decode", "strip", "lstrip", "rstrip", "lower", "upper", "casefold"})
_CONVERSION_FUNCTIONS = frozenset({
    "str", "bytes", "bytearray", "memoryview", "repr", "unicode", "text_type", "b", "u",
    "to_bytes", "as_bytes", "cast_bytes", "tobytes", "force_bytes", "force_str", "force_text",
    "smart_bytes", "smart_str", "smart_text", "ensure_bytes", "ensure_str", "ensure_text",
    "to_str", "to_text", "to_unicode", "to_native", "native_str", "str_to_bytes", "bytes_to_str",
    "utf8", "_b", "_u", "b_", "unquote", "unquote_plus", "quote", "quote_plus", "normalize",
    "_ensure_bytes", "_to_bytes", "_encode", "_as_bytes", "cast_unicode",
})

# Further methods whose result still carries their receiver's password (padding, templates, splits).
_TRANSPARENT_METHODS = _CONVERSION_METHODS | {
    "replace", "ljust", "rjust", "zfill", "expandtabs", "translate", "format", "format_map", "split",
    "get_secret_value",
}


def strip_conversions(expr: cst.BaseExpression) -> cst.BaseExpression:
    """The value under its conversions: `username.encode()` and `str(email)` are `username`, `email`."""
    while isinstance(expr, cst.Call):
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in _CONVERSION_METHODS:
            expr = func.value
        elif isinstance(func, cst.Name) and func.value in _CONVERSION_FUNCTIONS and expr.args:
            expr = expr.args[0].value
        else:
            break
    return expr


# Methods that read a named value (request.form.get("password"), get_argument("pwd")).
_KEYED_READERS = re.compile(
    r"^(get|pop|getlist|getone|getfirst|getvalue|getall|get_argument|get_body_argument|"
    r"get_query_argument|get_arguments|param|params|get_param|getparam|field|get_field|"
    r"cleaned|arg|argument|value|get_json|option|getoption)$"
)

_WORD_SPLIT = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@lru_cache(maxsize=4096)
def name_words(name: str) -> tuple[str, ...]:
    """`newPassword1` -> ("new", "password", "1"); `PASSWORD_MIN_LENGTH` -> ("password", "min", "length")."""
    return tuple(word.lower() for word in _WORD_SPLIT.findall(name))


def _is_password_word(word: str) -> bool:
    return word in _PASSWORD_WORDS or any(infix in word for infix in _PASSWORD_INFIXES)


@lru_cache(maxsize=8192)
def is_password_name(name: str) -> bool:
    """Whether a variable, attribute, key or keyword of this name holds a cleartext password."""
    words = name_words(name)
    if not any(_is_password_word(word) for word in words):
        return False
    return not any(word in _NOT_PASSWORD_WORDS for word in words)


@lru_cache(maxsize=4096)
def is_password_source_function(name: str) -> bool:
    """Whether calling a function of this name returns a password (`get_password`, `readPasswd`)."""
    words = name_words(name)
    if not words or not any(_is_password_word(word) for word in words):
        return False
    if words[0] in _NOT_SOURCE_VERBS:
        return False
    return not any(word in _NOT_PASSWORD_WORDS for word in words)


class PasswordOracle:
    """Answers "does this expression carry a cleartext password?" for one module, memoised."""

    def __init__(self, model: ModuleModel) -> None:
        self.model = model
        self._memo: dict[int, Optional[str]] = {}
        self._tainted: dict[tuple[int, str], Optional[str]] = {}

    def carries(self, expr: Optional[cst.BaseExpression], scope: Scope) -> Optional[str]:
        """The password-carrying name behind `expr` (for messages), or None."""
        if expr is None:
            return None
        key = id(expr)
        if key not in self._memo:
            self._memo[key] = None  # cycle guard
            self._memo[key] = self._carries(expr, scope)
        return self._memo[key]

    def _carries(self, expr: cst.BaseExpression, scope: Scope) -> Optional[str]:
        if isinstance(expr, cst.Name):
            return self._name_carries(expr.value, scope)
        if isinstance(expr, cst.Attribute):
            if is_password_name(expr.attr.value):
                return expr.attr.value
            if expr.attr.value in ("data", "value"):
                return self.carries(expr.value, scope)
            return None
        if isinstance(expr, cst.Subscript):
            key = subscript_key(expr)
            if key is not None:
                return key if is_password_name(key) else None
            return self.carries(expr.value, scope)
        if isinstance(expr, cst.Call):
            return self._call_carries(expr, scope)
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, (cst.Add, cst.Modulo)):
                return self.carries(expr.left, scope) or self.carries(expr.right, scope)
            return None
        if isinstance(expr, cst.FormattedString):
            return self._first(
                [part.expression for part in expr.parts if isinstance(part, cst.FormattedStringExpression)],
                scope,
            )
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
            return self._first([element.value for element in expr.elements], scope)
        if isinstance(expr, cst.Dict):
            return self._first(
                [element.value for element in expr.elements if isinstance(element, cst.DictElement)], scope
            )
        if isinstance(expr, cst.ConcatenatedString):
            return self.carries(expr.left, scope) or self.carries(expr.right, scope)
        if isinstance(expr, (cst.IfExp,)):
            return self.carries(expr.body, scope) or self.carries(expr.orelse, scope)
        if isinstance(expr, cst.BooleanOperation):
            return self.carries(expr.left, scope) or self.carries(expr.right, scope)
        if isinstance(expr, cst.Await):
            return self.carries(expr.expression, scope)
        return None

    def _first(self, exprs: list[cst.BaseExpression], scope: Scope) -> Optional[str]:
        for expr in exprs:
            found = self.carries(expr, scope)
            if found:
                return found
        return None

    def _name_carries(self, name: str, scope: Scope) -> Optional[str]:
        if is_password_name(name):
            return name
        owner = scope.lookup(name)
        if owner is None or owner.kind == "module":
            return None  # module-level names are configuration, not a user's password in flight
        key = (id(owner.node), name)
        if key not in self._tainted:
            self._tainted[key] = None  # cycle guard for x = x + y
            self._tainted[key] = self._first(owner.assignments.get(name, []), owner)
        return self._tainted[key]

    def _call_carries(self, call: cst.Call, scope: Scope) -> Optional[str]:
        func = call.func
        qualified = self.model.qualified_name(func, scope) or ""
        if qualified in SOURCE_CALLS:
            return qualified
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "join":
                return self._first([arg.value for arg in call.args], scope)
            if method in _TRANSPARENT_METHODS:
                receiver = self.carries(func.value, scope)
                if receiver or method not in ("format", "format_map"):
                    return receiver
                return self._first([arg.value for arg in call.args], scope)
            if _KEYED_READERS.match(method) and call.args:
                key = call.args[0].value
                if isinstance(key, cst.SimpleString):
                    text = key.evaluated_value
                    return text if isinstance(text, str) and is_password_name(text) else None
        name = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else ""
        )
        if name in _CONVERSION_FUNCTIONS and call.args:
            return self.carries(call.args[0].value, scope)
        if name and is_password_source_function(name):
            return f"{name}()"
        return None
