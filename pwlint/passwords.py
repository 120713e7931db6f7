"""Decide whether an expression carries a cleartext password.

Two kinds of evidence, as a reviewer would use them:
- **names**: a variable, attribute, parameter, key, keyword or called function whose name says
  password (`password`, `passwd`, `pwd`, `new_password1`, `getPassword()`), unless other words in
  the name say it holds a hash or metadata (`password_hash`, `PASSWORD_MIN_LENGTH`,
  `password_reset_url`, `pw_changed_at`, `is_password_set`);
- **flow** inside a function: a value built from a password (assignment, `.encode()`, `str()`,
  f-strings, `+`, `%`, `.format()`, `"".join()`, byte-conversion helpers) is a password too.
  A hash or KDF call is *not* in that list, so hashing ends the flow.

Across functions and modules (with a `Program`): a parameter carries a password when some call
site passes one (context-insensitive: the sink inside a shared helper is reported once), a call to a
project function carries one when its summary says the function returns a password of its own or
passes an argument through, and `self.X` carries whatever the class's methods assign to it. A call
that resolves to nothing known and is not a conversion ends the flow: that is how password hashes,
user wrappers around them and unknown library calls act as sanitizers.

A reversible encoding (base64, hex, rot13, symmetric encryption) does not end a flow: it marks it
`encoded`, so rules can tell a cleartext password from a recoverable one.

`PasswordOracle.carries` answers per expression with a `Flow` (the password's name and the steps it
took, for messages and SARIF code flows), memoised per node; the tainted names of each scope are
computed lazily, and a guard entry makes recursion and import cycles terminate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import chain, count
from string import Formatter
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional

if TYPE_CHECKING:
    import libcst as cst
else:
    from pwlint._lazy import cst  # libcst loads on first use, not when rules load

from pwlint.constants import class_named, fold
from pwlint.names import ModuleModel, Scope, descendants, subscript_key, terminal_name

if TYPE_CHECKING:
    from pwlint.program import Callee, Program

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
    "encoded", "enc", "encryption", "base", "b64", "hasher", "hashers", "cipher", "ciphertext", "kdf",
    "scheme", "schemes", "encoding", "encodings", "codec",  # `password_encoding = "utf-8"`
    "md", "sha", "blake", "crc", "hex", "b",  # a digest's or encoding's name, split from its digits: `pw_md5`, `pw_b64`
    "hashlib",  # a setting of which hash a password token uses (`daypassword.hashlib`)
    "algorithm", "algorithms", "algo", "method", "context", "ctx", "handler", "handlers",
    "token", "tokens", "masked", "mask", "redacted", "obfuscated",
    # metadata about passwords
    "length", "len", "min", "max", "minimum", "maximum", "policy", "policies", "validator", "validators",
    "rounds", "iterations", "iteration", "cost",  # a work factor (`PASSWORD_PBKDF2_DEFAULT_ROUNDS`)
    "validation", "strength", "score", "complexity", "rules", "rule", "regex", "pattern", "required",
    "history", "count", "attempts", "tries", "retries", "failure", "failures", "audit", "audits",
    "expiry", "expires", "expired", "expiration",
    "age", "lifetime", "changed", "date", "time", "timestamp", "at", "on", "last", "updated",
    "expire", "warn", "warning", "grace",  # Unix shadow aging (`password_expire_warn`), a grace period
    "properties", "property", "props", "flags", "flag",  # a domain's policy bits (`password_properties`, `pwdProperties`)
    # places, identifiers and UI
    "reset", "url", "uri", "link", "path", "file", "filename", "basename", "dir", "dirname", "folder", "field", "fields",
    "label",
    "attribute", "attributes", "attr", "attrs",  # a directory's attribute name (`ldap_password_attribute`)
    "htpasswd", "htdigest",  # Apache's password files (`htpasswd_cache`, `htpasswd_size`), not a password
    "shell", "gecos", "uid", "gid", "home",  # the fields of a Unix passwd entry (`pw_shell`, `pw_uid`)
    "help", "prompt", "placeholder", "widget", "form", "forms", "template", "view", "views", "page",
    "name", "type", "id", "mode", "env", "var", "error", "errors", "err", "mismatch", "msg", "message", "text",
    "store", "table", "column",
    "option", "options", "config", "setting", "settings", "changer", "change",
    "subject", "notice", "title", "description", "desc", "hint", "tooltip", "caption",
    "prefix", "prefixes", "suffix", "suffixes", "sep", "separator", "delimiter", "marker", "char", "chars", "charset",
    "alphabet",
    # flags and booleans
    "is", "has", "needs", "should", "use", "uses", "allow", "allowed", "enabled", "disabled",
    "valid", "invalid", "bad", "wrong", "incorrect", "verified", "match", "matches", "matched", "set", "ok", "usable",
    "check", "checks", "checker", "verify", "verifier",
    # things that only go *past* passwords, or that "pass" as a verb hands on (`pass_through`,
    # `pass_mime_types`, `pass_parameter`, a loop's `pass_number`), or do without one
    "through", "thru", "by", "bypass", "mime", "extension", "extensions", "parameter", "parameters",
    "param", "params", "arg", "number", "passwordless", "must", "can", "args", "kwargs",
    # what is done with a password, or runs to get one: `password_action`, `MASTER_PASSWORD_HOOK`,
    # `PasswordExecCommand`, a `save_password` flag, a `password_based` account, whether and when
    # to `update_password` ("always", "on_create") or `generate_password`
    "action", "hook", "cmd", "command", "exec", "save", "based", "update", "generate",
    "transport", "mechanism", "mechanisms",  # how a password is handed to a tool: `password_transport = "pipe"`,
    # `password_mechanism == "sshpass"`
})

# A function named with one of these verbs and for passwords takes one (`hash_password(raw)`,
# `set_password(self, value)`); a method with one of the strict ones takes one in a class for
# passwords (a hasher's `encode`, `_encrypt`, `verify`).
_HASHING_VERBS = frozenset({"hash", "encrypt", "encode", "crypt", "digest", "check", "verify", "make", "set"})
_STRICT_HASHING_VERBS = frozenset({"hash", "encrypt", "encode", "crypt", "digest", "check", "verify"})
# Parameters of such a function that are not the password, and those that name one without
# saying "password" (`raw`, `clearvalue`, `givenpw`, `word`): matched inside the name.
_NOT_THE_PASSWORD = re.compile(
    r"(?i)salt|hash|digest|encoded|stored|reference|user|login|email|round|iteration|cost|algorithm|^alg$|method"
    r"|scheme|name|realm|prefix|key|request|context|^ctx$|protocol|^fn?$|func|callback|^cb$|handler"
    r"|credential|creds|account|record|config|option|setting|form|entry|entries"
    r"|nonce|challenge|seed")  # what a handshake mixes in (`generate_digest_password(local_nonce, server_nonce, pwd_hash)`)
_NAMES_THE_PASSWORD = re.compile(
    r"(?i)raw|clear|plain|secret|word|pw|value|text|candidate|attempt|given|entered|input|phrase|^s$|^string$")

# Words that name something else only after a password word: `kpasswd_host` is a server's name,
# `plex_server_password` the server's password; a `password_manager` holds passwords, a
# `vault_password` or an `x-storage-pass` header is one.
_NOT_PASSWORD_AFTER = frozenset({"host", "hostname", "port", "server", "spn", "manager", "mgr", "storage", "keyring",
                                 "vault",
                                 # `password_backend`, `PASSWORD_KEY`, but `SEARCH_BACKEND_PASSWORD` and
                                 # `ssl_key_password` are the passwords of a backend and of a key
                                 "backend", "key", "keys",
                                 # where one comes from, whether a note has one, whether one holds a code
                                 # (`password_source = "keyring"`, `PasswordProtectedNote`,
                                 # `passcode_in_password`), but `source_password` and `sign_in_password` are ones
                                 "source", "sources", "protected", "in",
                                 # a form's button (`"password_send": "Send"`), but `send_password` is one
                                 "send", "submit", "button", "btn",
                                 # what a KDF made of one (`pwd_derived = kdf.derive(passphrase)`), but a
                                 # `derived_password` is one (a site's, from a master password)
                                 "derived",
                                 # a query's lookup of the stored column (`password__startswith="sha1$"`
                                 # picks rows by their hash's scheme), but `password__exact` names one
                                 "startswith", "istartswith", "endswith", "iendswith", "contains", "icontains",
                                 "regex", "iregex", "isnull"})

# Called functions whose names mention passwords but return something else.
_NOT_SOURCE_VERBS = frozenset({
    "make", "hash", "check", "verify", "set", "validate", "generate", "gen", "reset", "change",
    "update", "encrypt", "encode", "is", "has", "needs", "should", "store", "save", "write",
    "send", "mask", "redact", "log", "print", "compare", "delete", "remove", "clear", "expire",
    "do", "run", "perform",  # a compiler's or a loader's pass (`do_packages_pass(config)`)
    "require", "must", "create", "random", "new", "salt", "apply", "post", "put", "sync", "test",
    "validated", "identify", "upgrade",
    "hide", "scrub", "sanitize", "sanitise", "censor", "obscure", "obfuscate", "strip", "filter", "blank",
})

# Keyword words with which a call is asked for a masked rendering: `self.url(privacy=True)`,
# `dump(hide_passwords=True)` return `****` where the password was.
_MASKING_KEYWORDS = frozenset({
    "privacy", "mask", "masked", "redact", "redacted", "hide", "hidden", "obfuscate", "obfuscated",
    "censor", "censored", "sanitize", "sanitise", "sanitized", "sanitised", "scrub", "scrubbed",
})

# Calls known to return the user's password (beyond names that say so).
SOURCE_CALLS = frozenset({"getpass.getpass", "getpass", "getpass.unix_getpass", "getpass.win_getpass"})

# Methods and functions (by their last name) that convert a value and keep its identity:
# `password.encode()`, `force_bytes(password)` are the password, `username.lower()` the username.
CONVERSION_METHODS = frozenset({"encode", "decode", "strip", "lstrip", "rstrip", "lower", "upper", "casefold"})
_CONVERSION_FUNCTIONS = frozenset({
    "str", "bytes", "bytearray", "memoryview", "repr", "unicode", "text_type", "b", "u",
    "to_bytes", "as_bytes", "cast_bytes", "tobytes", "force_bytes", "force_str", "force_text",
    "smart_bytes", "smart_str", "smart_text", "ensure_bytes", "ensure_str", "ensure_text",
    "to_str", "to_text", "to_unicode", "to_native", "native_str", "str_to_bytes", "bytes_to_str",
    "utf8", "_b", "_u", "b_", "unquote", "unquote_plus", "quote", "quote_plus", "normalize",
    "_ensure_bytes", "_to_bytes", "_encode", "_as_bytes", "cast_unicode", "ensure_binary", "ensure_unicode",
    "to_native_str", "to_binary", "as_str", "as_text", "as_unicode", "force_unicode", "smart_unicode", "to_utf8",
    # copies, which hold what the original held (`fields = dict(base_fields)`, `copy.deepcopy(config)`)
    "dict", "list", "tuple", "copy", "deepcopy",
})

# Further methods whose result still carries their receiver's password (padding, templates, splits).
_TRANSPARENT_METHODS = CONVERSION_METHODS | {
    "copy",  # `fields = base_fields.copy()`
    "replace", "ljust", "rjust", "zfill", "expandtabs", "translate", "format", "format_map",
    "get_secret_value",
    # what a password entry holds (GTK's `get_text()`, Qt's `text()`, Tk's `get()` is a keyed reader)
    "get_text", "text", "toPlainText", "displayText",
}

# Reversible encodings, by qualified name: anyone can recover the password from the result.
_REVERSIBLE_CALLS = re.compile(
    r"^(base64\.(b64|standard_b64|urlsafe_b64|b32|b32hex|b16|b85|a85)encode|base64\.encode(bytes|string)|"
    r"binascii\.(hexlify|b2a_hex|b2a_base64|b2a_uu)|codecs\.encode)$"
)
# Standard ciphers end a password's flow: their output is no password to anyone without the key, and
# where the key lives is beyond what pwlint follows. What a program keeps this way it must decrypt to
# replay (pgAdmin's saved server passwords, a keyring's entries): a vault, which the corpus policy
# leaves out of scope. A project's own `encrypt()` that no standard cipher implements stays reversible.
_CIPHERS = re.compile(
    r"^(cryptography\.fernet\.(Multi)?Fernet\(\)\.encrypt(_at_time)?|"
    r"(Crypto|Cryptodome)\.Cipher\.\w+\.new\(\)\.encrypt(_and_digest)?|"
    r"cryptography\.hazmat\.primitives\.ciphers\.Cipher\(\)\.encryptor\(\)\.update|"
    r"cryptography\.hazmat\.primitives\.ciphers\.aead\.\w+\(\)\.encrypt|nacl\.secret\.SecretBox\(\)\.encrypt)$"
)
# Serialisers whose output holds their input verbatim: `json.dumps({"password": pw})` carries it.
_SERIALISERS = re.compile(r"^(json|simplejson|ujson|orjson|pickle|marshal|toml|tomli_w|tomlkit)\.dumps$|^yaml\.(safe_)?dump$"
                          r"|^urllib\.parse\.(urlunparse|urlunsplit|urlencode)$")  # a URL put together from its parts

# Calls known only by their last name that encrypt or obfuscate reversibly (`cipher.encrypt(pw)`,
# `helpers.encrypt(pw)`), unless the receiver is a password-hashing context (passlib's `.encrypt` hashes).
_REVERSIBLE_NAMES = frozenset({"encrypt", "encrypt_and_digest", "obfuscate", "scramble", "xor_encrypt", "rot13"})
_HASHING_RECEIVER = re.compile(r"(?i)(context|ctx|passlib|hasher|handler|hash|pwd_|password_|(^|[._])crypt(_|\.|$)|algo)")

# Calls (by their last name) whose result is a hash: `sha1(pw).hexdigest()`, `bcrypt.hashpw(pw, salt)`
# (not `make_password`: Django's hashes, many projects' make a random one)
_DIGEST_CALLS = frozenset({"digest", "hexdigest", "hashpw", "pbkdf2_hmac", "scrypt", "generate_password_hash"})
# Words in a function's name that say it returns a hash (`hash_password`, `CRYPT`, `make_hash`)
_HASH_WORDS = frozenset({"hash", "hashed", "digest", "crypt", "pbkdf", "bcrypt", "scrypt", "argon"})

# Words in a parameter's name that say it receives something derived from a password, not the password.
_DERIVED_WORDS = frozenset({"hash", "hashed", "digest", "hmac", "salt", "encoded", "crypt", "crypted", "encrypted",
                            "cipher", "ciphertext", "key", "token", "signature", "mac"})
# Receivers whose password attribute is a stored record's value (`self.password`, `user.password`).
_RECORD = re.compile(r"(?i)^_*(\w+_)?(self|cls|user|users|u|account|member|customer|profile|instance|obj|record|rec|row|"
                     r"entry|person|admin|owner|principal|identity|model)(_?obj(ect)?|\d+)?$")  # `from_user`, `userobj`

# `"%(password)s" % mapping` pulls a password out of a mapping by name.
_PERCENT_FIELDS = re.compile(r"%\((\w+)\)")
# A `str.format` field's argument (`2`, `user`, empty when numbered automatically) and the first key
# or attribute read of it (`[username]`, `.host`)
_FIELD_ACCESS = re.compile(r"([^.\[]*)(?:\[([^\]]*)\]|\.(\w+))?")


def strip_conversions(expr: cst.BaseExpression) -> cst.BaseExpression:
    """The value under its conversions: `username.encode()` and `str(email)` are `username`, `email`."""
    while isinstance(expr, cst.Call):
        func = expr.func
        if isinstance(func, cst.Attribute) and func.attr.value in CONVERSION_METHODS:
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
    r"cleaned|arg|argument|value|get_json|option|getoption|get_object|get_widget)$"
)

# Text that stands in for a password or talks about one: a mask, a template, a field's own name,
# what a redacted rendering writes in its place (`"password": "hidden"`).
_PLACEHOLDER = re.compile(
    r"^(\s*|[*xX#.\-_?!]+|<[^>]*>|\$\{?[A-Za-z_]+\}?|%\(?\w*\)?s|\{\w*\}|\{\{.*\}\}|(?i:none|null|"
    r"passwords?|passwd|pwd|pass|(your|my)[_ -]?password|\*+|unavailable|unknown|unset|not[ _-]?set|n/a"
    r"|undefined|deprecated|obsolete"  # an option's sentinel: `password: str = "Deprecated"`
    r"|no[ _-]?(password|passwd|pwd|pass)[ _-]?(set|given|provided|defined)))$"  # `"NOPASSWORDSET"`
    r"|(?i:.*?(^|[^a-z])(hidden|masked|redacted|censored|obfuscated|omitted|removed)([^a-z]|$))"
)
# A template's field, a URL, an absolute or Windows path (`C:\\`), a line break, a mask, markup
# (`"<strong>admin</strong>"`, what a page shows), and the marks of a regular expression (a group,
# a class or escape repeated, `.*`: `r"^[password]{6,9}\s+(?P<secret>.*)"` finds passwords to mask).
_FORMAT_MARKERS = re.compile(r"\{[\w.!:]*\}|%\(?\w*\)?[sdr]|://|^/|^[A-Za-z]:\\|\\n|\n|\*{3,}|\\[1-9]|\\g<|</\w+>"
                             r"|\(\?(P?<|:|=|!)|(\\[sdwSDW]|\[[^\]]+\])[*+?{]|\.[*+]")
# A stored password hash, not a password: modular crypt (`$2b$12$...`, `$5$rounds=...`,
# `$argon2id$...`), Django's `algorithm$...` and LDAP's `{SSHA}...` formats.
_PASSWORD_HASH = re.compile(
    r"^(\$(1|2[abxy]?|5|6|7|y|gy|md5|apr1|sha1|argon2(id|i|d)|scrypt|pbkdf2(-sha\d+)?|bcrypt(-sha256)?)\$"
    r"|(pbkdf2_sha\d+|argon2|bcrypt_sha256|bcrypt|scrypt|sha1|md5|unsalted_md5|unsalted_sha1|crypt)\$\S"
    r"|\{(s?sha\d*|s?md5|crypt|pbkdf2[-\w]*|argon2|bcrypt)\}\S)", re.IGNORECASE)
# What names something else: an OID (`1.2.840.113556.1.4.90`), an address, a network or a version; a dotted
# import path (`AuthEncoding.AuthEncoding:pw_encrypt`, `pw.contents`); a command-line flag (`--pass`);
# an e-mail address (anonymous FTP's customary password); a URN (SAML's
# `urn:oasis:names:tc:SAML:2.0:ac:classes:Password`); a file's name (`user-password.cfg`).
_NAMES_SOMETHING = re.compile(r"^(urn:[\w.\-]+(:[\w.\-]+)+|\d+(\.\d+)+(/\d+)?|[A-Za-z_]\w*(\.[A-Za-z_]\w*)+(:[A-Za-z_]\w*)?|--?[A-Za-z][\w-]*"
                              r"|[\w.+-]+@[\w-]+(\.[\w-]+)+"
                              r"|[\w.\-]+\.(cfg|conf|ini|txt|json|ya?ml|toml|py|db|sqlite3?|csv|xml|log|dat|kdbx|gpg|pem|key))$")
# An algorithm's or a storage scheme's name (`_DEFAULT_PASSWORDS_ENCRYPTION = "md5"`, `"hashtype": "sha256"`).
_ALGORITHM_TEXT = re.compile(r"(?i)^(md[45]|sha-?\d*|sha3?[-_]\d+|blake2[bs]?|bcrypt|scrypt|argon2(id|i|d)?"
                             r"|pbkdf2([-_]sha\d+)?|crypt|des|aes(-?\d+)?|plain(text)?|clear(text)?|scram-sha-\d+)$")
# A flag's text (`query["passphrase"] = "true"`: one is asked for) or a form's validation rules
# (`{"password": "required|strong|confirmed"}`, Laravel-style, as Masonite writes them).
_SETTING_TEXT = re.compile(r"(?i)^(true|false|yes|no|on|off|enabled?|disabled?)$|^[a-z_]+(:[\w.,]+)?(\|[a-z_]+(:[\w.,]+)?)+$")
# The small words of sentences for people: help text is no passphrase (`_is_prose`)
_PROSE_WORDS = frozenset({"your", "the", "of", "for", "to", "an", "is", "are", "please", "enter", "with", "from", "you"})
# A form field's CSS selector (`"input[type=password], input[name=passwd]"`), and the marks around a
# word that make it one (`"#password"`)
_SELECTOR = re.compile(r"\[\s*(type|name|id)\s*=")
_DECORATION = "#.<>[]{}()$%:*_-!@ "
_IDENTIFIER_LIKE = re.compile(r"^[A-Za-z_][\w.\-]*$")
# Where a password is to be found, not the password: a directive (`"@oracle:use_keyring"`,
# `"@kerberos"`) or a reference to a secret source (`"env:DB_PASSWORD"`, `"keyring:mail"`)
_SECRET_REFERENCE = re.compile(r"^(@[a-z]{5,}(_[a-z]+)*(:.*)?|(?i:env|environ|keyring|vault|secrets?|cmd|command|exec|eval):\S.*)$")
# The first word of a constant that names a key, not a value: `CONF_PASSWORD = "password"`, Home
# Assistant's `CONF_KNX_KNXKEY_PASSWORD = "knxkeys_password"`
_KEY_CONSTANT_WORDS = frozenset({"conf", "config", "cfg", "key", "field", "attr", "option", "opt", "param", "arg", "setting"})
_CONSTANT_NAME = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$")
_MARKER_NAME = re.compile(r"^[A-Z]+(_[A-Z]+)+$")  # words only: a password has digits or lower case
_CAMEL_NAME = re.compile(r"^[a-z]+([A-Z][a-z]+)+$")  # an attribute's name: LDAP's `userPassword`, `unicodePwd`
_SEPARATED = re.compile(r"\w[_.\-]\w")  # words joined as names join them: `stream-password`, not `password1`
# A lower-case name of letters whose words are joined by `_`, `-` or `.` (`login_password`), not `Pa55_word`
_FIELD_NAME = re.compile(r"^[a-z]+(?:[_.\-][a-z]+)+$")
# A setting's key as configuration files spell it (`BINDPW`, `LDAP_URI`), which a form's field maps to
_SETTING_KEY = re.compile(r"^[A-Z]{3,}(?:_[A-Z0-9]+)*$")
# Calls that make a path: a name bound only to one (`f_pass = Path(base_dir, PASS_FILE)`, `pwd =
# os.getcwd()`, the shell's print-working-directory) names a file, not a password.
_PATH_CALLS = frozenset({"os.getcwd", "os.getcwdb", "pathlib.Path.cwd", "pathlib.Path", "pathlib.PurePath",
                         "os.path.join", "os.path.expanduser", "os.path.abspath", "os.path.realpath"})
# Words of a name that holds a path: `pwd=out_dir` binds the shell's working directory, not a password
_PATH_WORDS = frozenset({"dir", "dirs", "directory", "folder", "path", "cwd", "root"})
# What a hidden prompt asks for when it is no password (`getpass("API token: ")`)
_NOT_A_PASSWORD_PROMPT = frozenset({"token", "secret", "key", "api", "otp", "code"})
# A class's name (`PyKeePass_nocache(...)` makes a database, not a password), not a function's
_CLASS_NAME = re.compile(r"^_*[A-Z][a-z]")
_WORD_SPLIT = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


@lru_cache(maxsize=4096)
def name_words(name: str) -> tuple[str, ...]:
    """`newPassword1` -> ("new", "password", "1"); `PASSWORD_MIN_LENGTH` -> ("password", "min", "length");
    `passwordfile` -> ("password", "file"): a word run on after a password word is split off when it
    names something else."""
    return tuple(part for word in _WORD_SPLIT.findall(name) for part in _run_on(word.lower()))


def _run_on(word: str) -> tuple[str, ...]:
    for infix in _PASSWORD_INFIXES:
        head, found, rest = word.partition(infix)
        if found and (rest in _NOT_PASSWORD_WORDS or rest in _NOT_PASSWORD_AFTER):
            return head + infix, rest
    return (word,)


def _is_password_word(word: str) -> bool:
    return word in _PASSWORD_WORDS or any(infix in word for infix in _PASSWORD_INFIXES)


@lru_cache(maxsize=8192)
def is_password_name(name: str) -> bool:
    """Whether a variable, attribute, key or keyword of this name holds a cleartext password."""
    if name.startswith("."):  # a file's extension: `".pw": "application/x-pw"`
        return False
    words = name_words(name)
    first = next((index for index, word in enumerate(words) if _is_password_word(word)), None)
    if first is None or first > 0 and words[first - 1] == "no":  # `_QR_SECURITY_NO_PASS`: the absence of one
        return False
    return not any(word in _NOT_PASSWORD_WORDS for word in words) and _NOT_PASSWORD_AFTER.isdisjoint(words[first:])


def password_parameter(function: Scope) -> Optional[str]:
    """The parameter that takes the password in a function made to hash or check one, when no
    parameter's name says so: `raw` in `def hash_password(raw)`, `clearvalue` in a password
    hasher's `_encrypt(self, clearvalue, salt)`: the first that reads like one, or the only one that
    names nothing else."""
    node = function.node
    if function.kind != "function" or not isinstance(node, cst.FunctionDef):
        return None
    words = name_words(function.name)
    if _HASHING_VERBS.isdisjoint(words) or "token" in words:  # `verify_reset_password_token` checks a token
        return None
    if not any(_is_password_word(word) for word in words) and (
            not _STRICT_HASHING_VERBS.intersection(words) or not _in_password_class(function)):
        return None
    params = [param.name.value for param in (*node.params.posonly_params, *node.params.params)]
    if function.self_name() is not None:
        params = params[1:]
    if any(is_password_name(param) for param in params):
        return None
    candidates = [param for param in params if not _NOT_THE_PASSWORD.search(param)]
    named = next((param for param in candidates if _NAMES_THE_PASSWORD.search(param)), None)
    return named or (candidates[0] if len(candidates) == 1 else None)


def _in_password_class(function: Scope) -> bool:
    """A method of a class named for passwords or hashing them, or based on one (`MD5Hasher(PasswordHasher)`)."""
    owner = function.enclosing_class()
    if owner is None or not isinstance(owner.node, cst.ClassDef):
        return False
    names = [owner.name, *(terminal_name(base.value) or "" for base in owner.node.bases)]
    return any(_is_password_word(word) or word == "hasher" for name in names for word in name_words(name))


@lru_cache(maxsize=4096)
def is_password_source_function(name: str) -> bool:
    """Whether calling a function of this name returns a password (`get_password`, `readPasswd`)."""
    if _is_pwd(name):  # ftplib's `FTP.pwd()`, a shell's: the working directory
        return False
    words = name_words(name)
    return bool(words) and words[0] not in _NOT_SOURCE_VERBS and is_password_name(name)


def _is_pwd(name: str) -> bool:
    """`pwd` alone: a password, or the shell's print-working-directory."""
    return name_words(name) == ("pwd",)


def is_secret_text(text: "str | bytes", name: Optional[str] = None) -> bool:
    """Text that reads like a password: not a placeholder, field name, path, template, a sentence
    about passwords ("Your password has been reset"), a stored hash of one, or the name it is bound
    to spelled out (`DB_PASSWORD = "PI_DB_PASSWORD"`, an environment variable's name;
    `PASSWORD = "password"`, an enumeration's value)."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    bare = text.strip().strip("\0")  # a C string's terminator: `"Password\x00"`, SMTP's AUTH LOGIN prompt
    if len(bare) < 3:
        return False
    if " " in bare and any(is_password_name(word) for word in text.split()):
        return False
    if _is_prose(bare):
        return False
    if name is not None and _defaults(bare, name):
        return True  # a default credential: `DEFAULT_PASSWORD = "password"`
    if name is not None and (_spells(text, name) or _labels(bare, name)):
        return False
    if _MARKER_NAME.match(bare) or (_CONSTANT_NAME.match(bare) or _CAMEL_NAME.match(bare)) and any(
            map(_is_password_word, name_words(bare))):
        return False  # a marker or a name: `"NOT_LOGGING_PASSWORD"`, `"NOT_SPECIFIED"`, `"userPassword"`
    return not (is_placeholder_text(bare) or is_placeholder_text(bare.strip(_DECORATION)) or _SELECTOR.search(bare)
                or _FORMAT_MARKERS.search(text) or _PASSWORD_HASH.match(text)
                or _NAMES_SOMETHING.match(bare) or _SETTING_TEXT.match(bare) or _ALGORITHM_TEXT.match(bare)
                or _SECRET_REFERENCE.match(bare) or _is_fragment(bare))


def _defaults(text: str, name: str) -> bool:
    """A name for a default (`DEFAULT_PASSWORD`, `PULP_DEFAULT_ADMIN_PASSWORD`) bound to the word
    password itself: a device's or service's default credential, not a key or a placeholder."""
    return text.lower() in _PASSWORD_WORDS and "default" in name_words(name)


def _is_prose(text: str) -> bool:
    """A sentence for people (a form's help text: "AccessKey secret of your Alibaba Cloud account"),
    not a passphrase: five words or more, with the small words sentences are made of, or three
    with two of them (a reply shown where a password would be: "Please check your emails")."""
    words = text.lower().split()
    small = len(_PROSE_WORDS.intersection(words))
    return len(words) >= 5 and small >= 1 or len(words) >= 3 and small >= 2


def _labels(text: str, name: str) -> bool:
    """A label for the name, written as people write it (`"1password": "1Password"`). Text that could
    be a name itself is judged by `_spells`: a test's `TEST_PASSWORD = "test_password"` is a password."""
    return text.lower() == name.lower() and not _IDENTIFIER_LIKE.match(text)


def is_field_name(text: Optional[str]) -> bool:
    """Text that reads as the name of a field or column (`login_password`, `wifi-security.psk`)."""
    return bool(text and _FIELD_NAME.match(text))


def is_key_spelling(text: Optional[str]) -> bool:
    """Text spelled as a field's name (`login_password`) or a setting's key (`BINDPW`, `LDAP_URI`)."""
    return is_field_name(text) or bool(text and _SETTING_KEY.match(text))


def is_placeholder_text(text: str) -> bool:
    """A mask or a marker that stands where a password would (`********`, `!`, `<password>`)."""
    return bool(_PLACEHOLDER.match(text.strip()))


def _is_fragment(text: str) -> bool:
    """Part of the word itself, as a prompt is matched: `"ssword"` in `read_until("ssword")`."""
    word = text.strip(" :*").lower()
    return len(word) >= 3 and any(word in whole for whole in _PASSWORD_INFIXES)


def _spells(text: str, name: str) -> bool:
    """Whether `text` is a name written as constants' and environment variables' are (capitals),
    or one of something other than a password (`password_reset`), whose trailing words are those
    of `name`, whole (`PI_DB_PASSWORD` for `DB_PASSWORD`, `LDAP_BIND_PASSWD` for
    `auth_ldap_bind_passwd`); a one-word name must be all of it (`PASSWORDRESET`). Any text that
    is a constant's name less a prefix (`CONF_API_PASSWORD = "api_password"`), and any text of words
    joined by `_`, `-` or `.` that ends another name (`"afreeca-stream-password": "stream-password"`), is a key.
    A test's `TEST_PASSWORD = "test_password"` is a password."""
    text = text.strip("\0 \t")  # a C string's terminator: `NTPASSWORD = b"NTPASSWORD\0"`
    if not _IDENTIFIER_LIKE.match(text):
        return False
    words, named = name_words(text), name_words(name)
    if name.isupper() and named[0] in _KEY_CONSTANT_WORDS and is_field_name(text):
        return True  # a key's constant: `CONF_KNX_KNXKEY_PASSWORD = "knxkeys_password"`
    if name.isupper() and len(words) < len(named) and _ends_alike(named, words):
        return True  # a key named by the constant, less its prefix: `CONF_API_PASSWORD = "api_password"`
    if not name.isupper() and _SEPARATED.search(text) and _ends_alike(named, words):
        return True  # an option's own name: `"client_certificate_password": "client_certificate_password"`
    if name.isupper() and text == name.lower() and len(named) >= 3:
        return True  # a configuration key's constant: `SSL_CLIENT_KEY_PASSWORD = "ssl_client_key_password"`
    if not (text.isupper() or not is_password_name(text)):
        return False
    return _ends_alike(words, named) or _ends_alike(named, words)


def _ends_alike(words: tuple[str, ...], of: tuple[str, ...]) -> bool:
    """Whether some trailing run of `words` spells all of `of` (all of `words`, when `of` is one word)."""
    wanted, joined = "".join(of), "".join(words)
    if not wanted or len(of) == 1 or not joined.endswith(wanted):
        return bool(wanted) and joined == wanted
    offset, start = len(joined) - len(wanted), 0  # found by lengths: a long text is thousands of words
    for word in words:
        if start >= offset:
            return start == offset
        start += len(word)
    return False


def _chain(expr: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The operands of a chain of `+`, implicit string concatenation or `and`/`or`, left to right,
    found without recursion: a codec module's table is 256 concatenated strings, and recursing once
    per link overflowed Python's stack."""
    operands: list[cst.BaseExpression] = []
    todo = [expr]
    while todo:
        node = todo.pop()
        if _links(node, expr):
            todo += [node.right, node.left]  # type: ignore[attr-defined]
        else:
            operands.append(node)
    return operands


def _links(node: cst.BaseExpression, like: cst.BaseExpression) -> bool:
    """Whether a node continues the chain `like` starts: the same kind of link."""
    if isinstance(like, cst.BinaryOperation):
        return isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add)
    return type(node) is type(like)


_IN_PROGRESS = object()


class Cycles:
    """Cycle bookkeeping shared by every oracle of a program, since flows cross modules."""

    def __init__(self) -> None:
        self.met = 0
        self.depth = 0
        self.tentative: list[tuple[dict[object, Any], object]] = []  # Nones that met a cycle
        self.stale = False  # a flow was found after them: they may be wrong

    def settle(self) -> None:
        """At the end of an outermost question: forget the Nones a later flow may have made wrong,
        keep them otherwise (recomputing every cyclic region for every question costs too much)."""
        if self.stale:
            for memo, key in self.tentative:
                memo.pop(key, None)
        self.tentative.clear()
        self.stale = False


@dataclass(frozen=True)
class Step:
    """One place a password passes: its source, a call it is handed to, a value returned."""

    model: ModuleModel = field(repr=False)
    node: cst.CSTNode = field(repr=False)
    note: str
    kind: str = "source"  # "source", "call" (handed to a parameter) or "return" (returned by a call)
    scope: Optional[Scope] = field(default=None, repr=False)  # for "call": the caller's scope
    callee: Optional[Scope] = field(default=None, repr=False)  # for "call": the function handed to,
    param: str = ""  # and its parameter


@dataclass(frozen=True)
class Flow:
    """A password reaching an expression: the name it goes by and how it got there."""

    name: str  # as named at its source, for messages ("Password `new_password` ...")
    steps: tuple[Step, ...]  # the source first, then each hop between functions
    encoded: str = ""  # the reversible encoding it went through (`base64.b64encode`), if any
    param: str = ""  # only while summarising a function: the parameter this flow starts from
    # the source is a record's attribute (`self.password`, `user.password`): often the stored hash,
    # so it is trusted where it is read but not handed on into other functions' parameters
    stored: bool = False
    # the password is a value of a mapping that reaches the expression as a whole (`{"password": pw}`):
    # iterating the mapping hands out its keys
    keyed: bool = False
    # the expression holds the password among other things (`f"{user}:{pw}@host"`, `(user, pw)`): a
    # comparison of it checks a connection string or a record, not a password
    embedded: bool = False

    def then(self, step: Step) -> "Flow":
        return replace(self, steps=self.steps + (step,))

    @property
    def entry(self) -> Optional[int]:
        """The index of the step where the password is handed into a helper (a call), if it is."""
        return next((index for index, step in enumerate(self.steps) if step.kind == "call"), None)


@dataclass(frozen=True)
class Assumption:
    """Summarising `scope`: its parameter `param` is the password (None: no parameter is)."""

    scope: Scope
    param: Optional[str]


class PasswordOracle:
    """Answers "does this expression carry a password?" for one module, memoised.

    With a `program`, flows cross functions and modules. With an `assume`, the oracle summarises
    one function: its parameters carry only what the assumption says, so a summary describes the
    function itself, not its callers.
    """

    def __init__(self, model: ModuleModel, program: Optional["Program"] = None,
                 assume: Optional[Assumption] = None) -> None:
        self.model = model
        self.program = program
        self.assume = assume
        self._memo: dict[object, Any] = {}
        self._cycles = program.cycles if program is not None else Cycles()

    def carries(self, expr: Optional[cst.BaseExpression], scope: Scope) -> Optional[Flow]:
        """How a password reaches `expr`, or None."""
        if expr is None:
            return None
        return self._memoised(id(expr), lambda: self._carries(expr, scope))

    def _memoised(self, key: object, compute: Callable[[], Optional[Flow]]) -> Optional[Flow]:
        """Compute once. A computation that meets itself (recursion, `x = f(x)`) sees None there, and a
        None it then yields may only reflect the cycle; see `Cycles.settle`. A flow, once found, stays."""
        cycles = self._cycles
        if key in self._memo:
            found = self._memo[key]
            if found is _IN_PROGRESS:
                cycles.met += 1
                return None
            return found  # type: ignore[no-any-return]
        self._memo[key] = _IN_PROGRESS
        met, cycles.depth = cycles.met, cycles.depth + 1
        try:
            found = compute()
        finally:
            cycles.depth -= 1
        self._memo[key] = found
        if found is None and cycles.met != met:
            cycles.tentative.append((self._memo, key))
        elif found is not None and cycles.tentative:
            cycles.stale = True
        if cycles.depth == 0:
            cycles.settle()
        return found

    def _source(self, name: str, node: cst.CSTNode, stored: bool = False) -> Flow:
        return Flow(name, (Step(self.model, node, f"password `{name}`"),), stored=stored)

    def _carries(self, expr: cst.BaseExpression, scope: Scope) -> Optional[Flow]:
        if isinstance(expr, cst.Name):
            return self._name_carries(expr.value, scope, expr)
        if isinstance(expr, cst.Attribute):
            return self._attribute_carries(expr, scope)
        if isinstance(expr, cst.Subscript):
            key = subscript_key(expr) or self._constant_key(expr, scope)
            if key is not None:
                return self._source(key, expr) if self._password_name(key) else None
            found = self.carries(expr.value, scope)
            if not (found and found.keyed):
                return _element(found)
            # an entry picked by a key known only at run time (`row[field]`) is the password, or another;
            # none when the keys are a loop's over names of other things (`for key in ("host", "port")`)
            return None if self._other_keys(expr, scope) else replace(found, keyed=False, embedded=True)
        if isinstance(expr, cst.Call):
            return self._call_carries(expr, scope)
        if isinstance(expr, cst.BinaryOperation):
            if isinstance(expr.operator, cst.Modulo):
                if isinstance(expr.left, cst.SimpleString) and _PASSWORD_HASH.match(str(expr.left.evaluated_value)):
                    return None  # a stored hash put together from its parts: `"sha1$%s$%s" % (salt, digest)`
                field_name = _percent_field(expr.left)
                if field_name:
                    return _embedded(self._source(field_name, expr))
                return _embedded(self.carries(expr.left, scope) or self.carries(expr.right, scope))
            return _embedded(self._first(_chain(expr), scope)) if isinstance(expr.operator, cst.Add) else None
        if isinstance(expr, cst.FormattedString):
            return _embedded(self._first(
                [part.expression for part in expr.parts if isinstance(part, cst.FormattedStringExpression)],
                scope,
            ))
        if isinstance(expr, (cst.Tuple, cst.List, cst.Set)):
            return _embedded(_element(self._first([element.value for element in expr.elements], scope)))
        if isinstance(expr, cst.Dict):
            found = self._first([element.value for element in expr.elements if isinstance(element, cst.DictElement)],
                                scope)
            return replace(found, keyed=True, embedded=True) if found else None
        if isinstance(expr, cst.ConcatenatedString):
            return _embedded(self._first(_chain(expr), scope))
        if isinstance(expr, cst.BooleanOperation):
            return self._first(_chain(expr), scope)
        if isinstance(expr, (cst.IfExp,)):
            return self.carries(expr.body, scope) or self.carries(expr.orelse, scope)
        if isinstance(expr, cst.Await):
            return self.carries(expr.expression, scope)
        return None

    def _first(self, exprs: list[cst.BaseExpression], scope: Scope) -> Optional[Flow]:
        """The first flow among `exprs`; of a loop's iterable (a name's value bound by `for`), what
        iterating it hands out."""
        iterated = self.model.iterated
        for expr in exprs:
            found = self.carries(expr, scope)
            if found and not (found.keyed and expr in iterated):
                return _element(found) if expr in iterated else found
        return None

    def _name_carries(self, name: str, scope: Scope, node: Optional[cst.CSTNode] = None) -> Optional[Flow]:
        owner = scope.lookup(name)
        assume = self.assume
        if assume is not None and owner is assume.scope and name in owner.params:
            if name != assume.param:
                return None
            values, replaced = self._reaching(owner, name, node)
            if replaced:
                return self._first(values, owner)
            return Flow(name, (Step(self.model, owner.params[name], f"parameter `{name}`"),), param=name)
        if owner is not None and name in owner.caught:
            return None
        if owner is not None and name in owner.params and name == password_parameter(owner):
            return self._source(name, node if node is not None else scope.node)
        if self._password_name(name):
            values = owner.assignments.get(name, []) if owner is not None else []
            if _CLASS_NAME.match(name) and not values and (owner is None or name not in owner.params):
                return None  # a class, defined or imported (`AuthenticationBackendUsernamePassword`)
            if owner is not None and values and all(_is_path(value, self.model, owner) for value in values):
                return None
            if owner is not None and name in owner.params and name not in owner.assignments \
                    and self._given_stored(owner, name):
                return None
            # a constant, or a local bound only to text, that is no password (`pass_str = "... user %s"`)
            if isinstance(node, cst.Name) and self.names_no_password(node, scope):
                return None
            if owner is not None and owner.kind == "function" and isinstance(node, cst.Name):
                values, replaced = self._reaching(owner, name, node)
                # (a name also bound by unpacking, a loop or `with` may hold a password there:
                # `name, password = auth` beside `password = None`)
                if (replaced or name not in owner.params and name not in owner.opaque) and _no_passwords(values):
                    return None
            # named so: a password whatever its value, but its source is where that value came from
            # (a local value only: a password-named parameter is where this function's flow starts)
            values = owner.assignments.get(name, []) if owner is not None and owner.kind != "module" else []
            assigned = self._first(values, owner) if owner is not None and values else None
            if assigned and assigned.entry is None:
                return replace(assigned, name=name)
            return self._source(name, node if node is not None else scope.node)
        if owner is None or owner.kind == "module" and scope is not owner:
            return None  # module-level names are configuration, not a user's password in flight...
        return self._name_flow(owner, name, node)  # ...unless the module's own code reads them (a script)

    def _password_name(self, name: str) -> bool:
        """`is_password_name`, but for a project whose `pwd` is the working directory."""
        return is_password_name(name) and not (
            self.program is not None and _is_pwd(name) and self.program.pwd_is_directory)

    def names_no_password(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        """A constant (`NAME` or `owner.NAME`) whose value is no password: text that is no password
        (`is_secret_text`: an enumeration's choice `Restriction.PASSWORD = "password"`, an error
        marker `FAILED = "FAILED TO DECRYPT PASSWORD!"`, an environment variable's name) or a
        number. A constant that holds a password (`ADMIN_PASSWORD = "hunter2"`) still carries it."""
        if self._enum_member(expr, scope):
            return True
        value = fold(expr, self.model, scope, self.program.constant if self.program is not None else None)
        if isinstance(value, (str, bytes)):
            # an empty default (`DB_PASSWORD = ""`) is set at run time, to a password
            return bool(value.strip()) and not is_secret_text(value, terminal_name(expr))
        return isinstance(value, (int, float))  # a flag (`EMPTY_PASSWORD_SENTINEL = -1`)

    def _enum_member(self, expr: cst.BaseExpression, scope: Scope) -> bool:
        """`Action.PASS` of `class Action(Enum)`: a choice, whatever its name."""
        if not isinstance(expr, cst.Attribute) or not isinstance(expr.value, cst.Name):
            return False
        owner = class_named(expr.value.value, scope)
        if owner is None and self.program is not None:
            found = self.program.lookup(self.model.qualified_name(expr.value, scope) or "")
            owner = found[1] if found is not None else None
        return owner is not None and is_enumeration(owner)

    def _name_flow(self, owner: Scope, name: str, read: Optional[cst.CSTNode] = None) -> Optional[Flow]:
        """What the values bound to a local name carry: those that reach the read (`reaching`) and
        what was put into it, or its callers' arguments."""
        if isinstance(read, cst.Name) and any(is_password_name(key) or key in owner.filled_keys.get(name, ())
                                              for key in self.model.scrubbed.get(read, ())):
            return None  # the password was taken out before the read
        values, replaced = self._reaching(owner, name, read)
        fills = self.model.filled_before.get(read, -1) if isinstance(read, cst.Name) else -1
        return self._memoised((id(owner.node), name, tuple(map(id, values)), fills, replaced), lambda: self._first(
            values, owner) or self._filled(owner, name, read) or (
            self._param_carries(owner, name) if name in owner.params and not replaced else None))

    def _reaching(self, owner: Scope, name: str, read: Optional[cst.CSTNode]) -> tuple[list[cst.BaseExpression], bool]:
        """The values of a local that reach the read, and whether what it held before, a parameter's
        value too, reaches the read no more: a value made without it (`value = hexlify(iv) + ":" +
        hexlify(v)`) or a hash of it (`password = ctx.hash(password)`) replaced it before the read on
        every path. Any other rewrite (`key = to_str(key)`) may hand it on, so what it held still reaches."""
        values = self.model.reaching(name, owner, read)
        if isinstance(read, cst.Name) and read in self.model.replaced:
            return values, True
        rewrite = self.model.rewritten.get(read) if isinstance(read, cst.Name) else None
        if rewrite is None or not computes_digest(rewrite):
            return values, False
        at = next((index for index, value in enumerate(values) if value is rewrite), None)
        return (values, False) if at is None else (values[at:], True)

    def _filled(self, owner: Scope, name: str, read: Optional[cst.CSTNode]) -> Optional[Flow]:
        """What was put into a local container before the read; a mapping's values are keyed
        (`row["password"] = pw`)."""
        found = self._first(self.model.filled(name, owner, read), owner)
        return replace(found, keyed=True, embedded=True) if found and name in owner.filled_keys else found

    def _other_keys(self, expr: cst.Subscript, scope: Scope) -> bool:
        """The key is a loop's variable over a constant list of keys, none a password's by its name or
        by what the container was given under it (`_kwargs["auth"] = (user, passwd)`)."""
        element = expr.slice[0].slice if len(expr.slice) == 1 else None
        if not isinstance(element, cst.Index) or not isinstance(element.value, cst.Name):
            return False
        owner = scope.lookup(element.value.value)
        values = owner.assignments.get(element.value.value, []) if owner is not None else []
        if owner is None or not values or any(value not in self.model.iterated for value in values):
            return False
        constant = self.program.constant if self.program is not None else None
        listed = [fold(value, self.model, owner, constant) for value in values]
        container = expr.value.value if isinstance(expr.value, cst.Name) else ""
        holder = scope.lookup(container) if container else None
        given = holder.filled_keys.get(container, {}) if holder is not None else {}
        return all(isinstance(keys, (tuple, list)) and keys and all(
            isinstance(key, str) and not is_password_name(key)
            and not (holder is not None and self._first(given.get(key, []), holder)) for key in keys) for keys in listed)

    def _constant_key(self, expr: cst.Subscript, scope: Scope) -> Optional[str]:
        """A key given as a constant (`config[CONF_PASSWORD]`): its text, or its name when the
        constant is another package's (named in capitals, as constants are; `cache[password]`
        is keyed by a password, and holds something else)."""
        element = expr.slice[0].slice if len(expr.slice) == 1 else None
        if not isinstance(element, cst.Index) or not isinstance(element.value, (cst.Name, cst.Attribute)):
            return None
        text = fold(element.value, self.model, scope, self.program.constant if self.program is not None else None)
        name = terminal_name(element.value) or ""
        return text if isinstance(text, str) else name if name.isupper() else None

    def _given_stored(self, function: Scope, name: str) -> bool:
        """A parameter that every caller in the project hands a record's stored password
        (`get_md5_hash_password(user.password)`) or a hash it just made (`self._register(username,
        self.pwd_context.hash(password))`) holds a hash, whatever it is called."""
        program = self.program
        if program is None:
            return False
        sites = program.callers(function)
        return bool(sites) and all(
            (arg := program.argument(site.call, function, name, site.offset)) is not None and (
                computes_digest(arg) or (found := program.oracle(site.model).carries(arg, site.scope)) is not None
                and found.stored)
            for site in sites)

    def _param_carries(self, function: Scope, name: str) -> Optional[Flow]:
        """A parameter carries a password when some call site in the project passes one, unless
        its name says it holds something derived (`encoded`, `digest`, `key`): its author knows."""
        if self.program is None or _DERIVED_WORDS.intersection(name_words(name)):
            return None
        return next(self._handed_to(function, name), None)

    def _handed_to(self, function: Scope, name: str) -> Iterator[Flow]:
        """Each call in the project that passes a password to the parameter, with how it did."""
        assert self.program is not None
        for site in self.program.callers(function):
            arg = self.program.argument(site.call, function, name, site.offset)
            found = self.program.oracle(site.model).carries(arg, site.scope) if arg is not None else None
            if found and not found.stored:
                note = f"passed to `{function.name}()` as `{name}`"
                yield found.then(Step(site.model, site.call, note, kind="call", scope=site.scope, callee=function,
                                      param=name))

    def handed_over(self, flow: Flow) -> list[Flow]:
        """A flow that enters a helper, and the flows of every other call that hands the helper a
        password the same way (as clear or as encoded): the helper serves them all (tiddlyweb's
        `sha(password)` on setting a password and `sha(candidate_password)` on checking one), and
        each call is a fault of its own. A flow that enters no helper is alone."""
        entry = flow.entry
        step = flow.steps[entry] if entry is not None else None
        if step is None or step.callee is None or self.program is None:
            return [flow]
        handed = list(self._handed_to(step.callee, step.param))
        own = next((other for other in handed if other.steps[-1].node is step.node), None)
        if own is None:
            return [flow]
        rest = flow.steps[entry + 1:]
        return [flow] + [replace(other, steps=other.steps + rest, encoded=flow.encoded) for other in handed
                         if other is not own and bool(other.encoded) == bool(own.encoded)]

    def _attribute_carries(self, expr: cst.Attribute, scope: Scope) -> Optional[Flow]:
        attr = expr.attr.value
        if self._password_name(attr):
            if self.names_no_password(expr, scope):
                return None
            stored = _RECORD.match(terminal_name(expr.value) or "") is not None and not self._set_in_clear(expr, scope)
            return self._source(attr, expr, stored=stored)
        if attr in ("data", "value"):
            return self.carries(expr.value, scope)
        owner = _own_class(expr, scope)
        if owner is not None:
            for value, method in owner.attributes.get(attr, []):
                found = self.carries(value, method)
                if found:
                    return found
        return None

    def _set_in_clear(self, expr: cst.Attribute, scope: Scope) -> bool:
        """`self.passwd` where its own class sets it to a password in clear that a method is given,
        a call returns or a lookup reads (`self.passwd = passwd` in `__init__`, `kvargs.get("passwd")`,
        `config[CONF_PASSWORD]`): a client's credential, handed on like any password, not a
        record's stored hash. A value from another attribute or local (`root_pwd = self.pwd`, a
        shell's working directory) says nothing new. The class's project bases count: a plugin's
        `self.password` is often set by the base class every plugin shares (apprise's `URLBase`)."""
        owner = _own_class(expr, scope)
        if owner is None:
            return False
        classes = chain([(self.model, owner)], self.program.ancestors(self.model, owner) if self.program is not None else ())
        return any(
            (found := self._oracle_of(model).carries(value, method)) is not None and not found.stored
            and _given_or_called(found.steps[0].node, method)
            for model, cls in classes for value, method in cls.attributes.get(expr.attr.value, []))

    def _oracle_of(self, model: ModuleModel) -> "PasswordOracle":
        return self if model is self.model or self.program is None else self.program.oracle(model)

    def _call_carries(self, call: cst.Call, scope: Scope) -> Optional[Flow]:
        func = call.func
        qualified = self.model.qualified_name(func, scope) or ""
        if qualified in SOURCE_CALLS:
            return None if _prompts_for_no_password(call) else self._source(qualified, call)
        if any(arg.keyword is not None and isinstance(arg.value, cst.Name) and arg.value.value == "True"
               and _MASKING_KEYWORDS.intersection(name_words(arg.keyword.value)) for arg in call.args):
            return None  # asked to mask what it returns
        name = func.attr.value if isinstance(func, cst.Attribute) else (
            func.value if isinstance(func, cst.Name) else ""
        )
        callee = self.program.resolve_call(call, self.model, scope) if self.program is not None else None
        if callee is not None:
            found = self._through(callee, call, scope)
            if found is None and name and is_password_source_function(name) and self.program.summary(callee).passthrough:
                # `_recode_password(attempt)` hands its argument back: its name says that is a password. One
                # that hands back none (`_prepare_password()` returns a scramble) is trusted, not its name.
                return self._source(f"{name}()", call)
            return found
        if _CIPHERS.match(qualified):
            return None
        if _REVERSIBLE_CALLS.match(qualified) or _encrypts_by_name(qualified, name, func):
            found = self.carries(call.args[0].value, scope) if call.args else None
            return _encoded(found, qualified.replace("()", "") or name)
        if _SERIALISERS.match(qualified):
            return self.carries(call.args[0].value, scope) if call.args else None
        if isinstance(func, cst.Attribute):
            found = self._method_carries(call, func, scope)
            if found is not False:
                return found
        if name == "dict" and call.args:  # `dict(base, password=pw)`: a mapping, like a dict display
            found = self._first([arg.value for arg in call.args], scope)
            return replace(found, keyed=True, embedded=True) if found else None
        if (name in _CONVERSION_FUNCTIONS or qualified.rpartition(".")[2] in _CONVERSION_FUNCTIONS) and call.args:
            return self.carries(call.args[0].value, scope)  # also under an alias: `quote as urlquote`
        if name and is_password_source_function(name) and not _CLASS_NAME.match(name):
            return self._source(f"{name}()", call)
        return None

    def _method_carries(self, call: cst.Call, func: cst.Attribute, scope: Scope) -> "Optional[Flow] | bool":
        """What a method call on a value carries; False when the method is none of these kinds."""
        method = func.attr.value
        if method == "hex":  # `password.encode().hex()`
            return _encoded(self.carries(func.value, scope), "hex")
        if method == "join":
            return _embedded(self._first([arg.value for arg in call.args], scope))
        if method in ("format", "format_map"):
            fields = _format_fields(func.value)
            if fields is not None and (method == "format_map" or any(arg.star == "**" for arg in call.args)):
                named = next((field for field in fields if self._password_name(field)), None)
                if named:  # `"{password}".format(**mapping)` pulls a password out of a mapping by name
                    return _embedded(self._source(named, call))
            if fields is None or method == "format_map" or any(arg.star for arg in call.args):
                return _embedded(self.carries(func.value, scope) or self._first([arg.value for arg in call.args], scope))
            return _embedded(self._formatted(call, fields, scope))
        if method in _TRANSPARENT_METHODS:
            return self.carries(func.value, scope)
        if method.startswith("with_") and is_password_name(method):
            # a copy with the password it is given (yarl's `url.with_password("xxxxxxxx")` masks one)
            return _embedded(self._first([arg.value for arg in call.args], scope))
        if _KEYED_READERS.match(method) and call.args:
            key = call.args[0].value
            if isinstance(key, cst.SimpleString):
                text = key.evaluated_value
                return self._source(text, call) if isinstance(text, str) and is_password_name(text) else None
        return False

    def _formatted(self, call: cst.Call, fields: dict[str, set[str]], scope: Scope) -> Optional[Flow]:
        """What `template.format(...)` takes from its arguments: an argument the template names
        whole (`{0}`, `{}`, `{user}`) is in the text; of one it only indexes (`{2[username]}`), only
        the keys it reads, so `"{0[user]}@{0[host]}".format(kwargs)` holds no password from kwargs."""
        whole = []
        for index, arg in enumerate(call.args):
            key = arg.keyword.value if arg.keyword is not None else str(index)
            for accessor in fields.get(key, ()):
                if not accessor:
                    whole.append(arg.value)
                elif self._password_name(accessor):
                    return self._source(accessor, call)
        return self._first(whole, scope)

    def _asked_fields(self, callee: "Callee", call: cst.Call, keys: tuple[str, ...], scope: Scope) -> list[str]:
        """The keys a call hands a getter to look a value up by: each one's text, or the name it is
        read from (`get_tokeninfo(uid_attribute)`)."""
        assert self.program is not None
        asked = []
        for param in keys:
            arg = self.program.argument(call, callee.scope, param, callee.offset)
            if arg is not None:
                value = fold(arg, self.model, scope, self.program.constant)
                asked.append(value if isinstance(value, str) else terminal_name(arg) or "")
        return asked

    def _through(self, callee: "Callee", call: cst.Call, scope: Scope) -> Optional[Flow]:
        """A call to a project function carries what its summary says, given this call's arguments."""
        assert self.program is not None
        summary = self.program.summary(callee)
        name = callee.scope.name
        if summary.intrinsic is not None:
            asked = self._asked_fields(callee, call, summary.keys, scope)
            if asked:  # a getter gives the field it is asked for (`get_info("user")`, `get(nodeid, "password")`)
                named = next((key for key in asked if self._password_name(key)), None)
                return self._source(named, call) if named else None
            return summary.intrinsic.then(Step(self.model, call, f"returned by `{name}()`", kind="return"))
        for param, encoded in summary.passthrough:
            arg = self.program.argument(call, callee.scope, param, callee.offset)
            found = self.carries(arg, scope) if arg is not None else None
            if found:
                found = replace(found, encoded=found.encoded or encoded)
                return found.then(Step(self.model, call, f"through `{name}()`", kind="return"))
        return None


def is_enumeration(owner: Scope) -> bool:
    """A class of choices (`class Auth(StrEnum)`, Django's `TextChoices`): its members name options,
    whatever their names say (`RSA_KEY_OPTIONAL_PASSPHRASE = "rsa-key"`)."""
    return isinstance(owner.node, cst.ClassDef) and any(
        (terminal_name(base.value) or "").endswith(("Enum", "Flag", "Choices")) for base in owner.node.bases)


def binds_pwd_to_path(model: ModuleModel) -> bool:
    """Whether the module binds a `pwd` to a path: a keyword, parameter default, attribute or local
    (`pwd=str(out_dir)`, `def pretty_path(path, pwd=OUTPUT_DIR)`, `self.pwd = os.getcwd()`). Then its
    project's `pwd` is the shell's working directory, as in a command's record (`cmd`, `pwd`,
    `output`), and none of its `pwd`s is a password (`Program.pwd_is_directory`)."""
    return any(site.kind == "bind" and site.value is not None and _is_pwd(site.name)
               and _is_path(site.value, model, site.scope) for site in model.sites)


def _is_path(expr: Optional[cst.BaseExpression], model: ModuleModel, scope: Scope) -> bool:
    """A value that is a path: made by a path call (`os.getcwd()`, `Path(base, PASS_FILE)`) or named so
    (`out_dir`, `OUTPUT_DIR`)."""
    if expr is None:  # a name a `def` or `class` binds
        return False
    expr = strip_conversions(expr)
    if isinstance(expr, cst.Call):
        return (model.qualified_name(expr.func, scope) or "") in _PATH_CALLS
    name = terminal_name(expr)
    return name is not None and not _PATH_WORDS.isdisjoint(name_words(name))


def lookup_parameters(function: Scope) -> tuple[str, ...]:
    """The parameters a function looks a value up by: a subscript's key (`self.settings[name]`) or
    a keyed reader's first argument (`tokeninfo.get(key, default)`)."""
    found: set[str] = set()
    for node in descendants(function.node):
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            key: Optional[cst.BaseExpression] = node.slice[0].slice.value
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.args \
                and _KEYED_READERS.match(node.func.attr.value):
            key = node.args[0].value
        else:
            continue
        if isinstance(key, cst.Name) and key.value in function.params:
            found.add(key.value)
    return tuple(sorted(found))


def _no_passwords(values: list[cst.BaseExpression]) -> bool:
    """Values that each compute a hash (`_password = sha1(password).hexdigest()`) or are nothing yet
    (`password = None`, read before the branch that sets it): a local named for a password that
    only holds them holds no password."""
    return bool(values) and all(_is_nothing(value) or any(computes_digest(node) for node in descendants(value))
                                for value in values)


def _is_nothing(value: cst.BaseExpression) -> bool:
    return (isinstance(value, cst.Name) and value.value == "None") or (
        isinstance(value, cst.SimpleString) and not value.evaluated_value)


def computes_digest(expr: cst.BaseExpression) -> bool:
    """A call whose result is a hash, under subscripts and conversions: `sha1(pw).hexdigest()`,
    `hash_password(pw)`, `crypt.crypt(pw, salt)`, a hasher object called (pydal's `CRYPT()(pw)[0]`),
    what old code calls encrypting a password (`pw_encrypt(pw)`, `encrypt_password(pw)`), which
    hashes it as often as not and never hands on cleartext."""
    while isinstance(expr, cst.Subscript):
        expr = expr.value
    expr = strip_conversions(expr)
    if not isinstance(expr, cst.Call):
        return False
    func = expr.func.func if isinstance(expr.func, cst.Call) else expr.func
    name = terminal_name(func) or ""
    words = name_words(name)
    return name in _DIGEST_CALLS or not _HASH_WORDS.isdisjoint(words) or (
        "encrypt" in words and any(map(_is_password_word, words)))  # "encrypting" a password: Zope's `pw_encrypt`


def _prompts_for_no_password(call: cst.Call) -> bool:
    """`getpass("Your 'google_client_secret': ")`: a hidden prompt for a token or a key, not a password."""
    prompt = call.args[0].value if call.args and call.args[0].keyword is None else None
    text = prompt.evaluated_value if isinstance(prompt, cst.SimpleString) else None
    if not isinstance(text, str):
        return False
    words = name_words(text)
    return not any(map(_is_password_word, words)) and bool(_NOT_A_PASSWORD_PROMPT.intersection(words))


def _element(found: Optional[Flow]) -> Optional[Flow]:
    """A flow to one of the values a mapping or sequence holds: maybe the password itself."""
    return replace(found, keyed=False, embedded=False) if found is not None and (found.keyed or found.embedded) \
        else found


def _embedded(found: Optional[Flow]) -> Optional[Flow]:
    return replace(found, embedded=True) if found is not None and not found.embedded else found


def _own_class(expr: cst.Attribute, scope: Scope) -> Optional[Scope]:
    return scope.instance_class(expr.value.value) if isinstance(expr.value, cst.Name) else None


def _given_or_called(source: cst.CSTNode, function: Scope) -> bool:
    """A password's source that is a parameter of `function`, a call's result or a lookup
    (`config[CONF_PASSWORD]`): not an attribute, nor a local that came from one."""
    if isinstance(source, cst.Name):
        return source.value in function.params
    return not isinstance(source, cst.Attribute)


def _percent_field(expr: cst.BaseExpression) -> Optional[str]:
    """The password field a `%` template pulls from a mapping (`'%(password)s'`), if any."""
    if isinstance(expr, (cst.SimpleString, cst.ConcatenatedString)):
        text = expr.evaluated_value
        if isinstance(text, bytes):
            text = text.decode("latin-1")
        for field_name in _PERCENT_FIELDS.findall(text or ""):
            if is_password_name(field_name):
                return str(field_name)
    return None


def _format_fields(template: cst.BaseExpression) -> Optional[dict[str, set[str]]]:
    """For a literal `str.format` template, the arguments its fields read, by position (`"0"`) or
    keyword, each with the first key or attribute read of it (`""`: the argument whole). None when
    the template is no literal or is malformed."""
    if not isinstance(template, (cst.SimpleString, cst.ConcatenatedString)):
        return None
    text = template.evaluated_value
    if not isinstance(text, str):
        return None
    fields: dict[str, set[str]] = {}
    try:
        _read_fields(text, fields, count(), 2)
    except ValueError:  # a `{` or `}` unmatched
        return None
    return fields


def _read_fields(text: str, fields: dict[str, set[str]], automatic: "Iterator[int]", depth: int) -> None:
    for _, name, spec, _ in Formatter().parse(text):
        if name is None:
            continue
        argument, key, attribute = _FIELD_ACCESS.match(name).groups()  # type: ignore[union-attr]
        fields.setdefault(argument or str(next(automatic)), set()).add(key or attribute or "")
        if spec and depth:  # `{value:{width}}`: the width is a field too
            _read_fields(spec, fields, automatic, depth - 1)


def _encoded(flow: Optional[Flow], encoding: str) -> Optional[Flow]:
    return replace(flow, encoded=flow.encoded or encoding) if flow else None


def _encrypts_by_name(qualified: str, name: str, func: cst.BaseExpression) -> bool:
    """`cipher.encrypt(pw)`, `helpers.obfuscate(pw)`: reversible unless the receiver is a hashing context."""
    if name not in _REVERSIBLE_NAMES:
        return False
    receiver = qualified.rsplit(".", 1)[0] if isinstance(func, cst.Attribute) else ""
    return not _HASHING_RECEIVER.search(receiver)
