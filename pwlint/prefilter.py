"""Skip files that cannot take part in a finding before paying for a parse.

Each compiled pattern lists token groups (see `matching.Pattern.tokens`): a call pattern needs the
last part of a name it matches (`md5`, `pbkdf2_hmac`), a pattern that needs a password needs one of
the password tokens. The groups come from the loaded rules, user rules included, and a pattern
without groups disables the prefilter.

A file is parsed when its bytes (lower-cased) show that it can
- **match alone**: for some pattern, every group has a token in the file;
- **hold a password**: it has a password token, so a flow may start or pass here;
- **receive a password from another file**: it defines, at the top level, a function or class that
  a password file calls with a password token among the arguments (`_write_file(path, password)`,
  `normalise(password)`): the helper may hold a sink, or hand the password back;
- **re-export such a name**: a package `__init__.py` that imports it, so `from pkg import f` resolves;
- **define a base of the classes of a file that reads a password attribute of `self` it never
  sets**, and the bases of those bases: a plugin's `self.password` is often set by the `__init__`
  of a base class every plugin shares, in a file that never names a password (`class
  NotifyTwist(NotifyBase)`, where `NotifyBase` derives from `URLBase`);
- **define a property's setter for an attribute a chosen file assigns**: what is stored is what
  the setter makes of the value (`auth_config.payload = {"password": pw}`, where the model's
  `@payload.setter` encrypts it), and the rules ask the setter's class before they report.

Within a chosen file, `slicing.py` makes the same tests of each top-level definition and method
(`Focus` carries the tokens and the called names), and libcst parses only those that pass.

Why this is sound for the flows pwlint follows. A finding sits at a node whose tokens are in its
own file (a qualified name is known only through that file's imports or spelling). A password is
recognised only through a name with a password token or through `getpass`, so every flow starts in
a password file. Across modules, `program.Program` resolves only calls to top-level functions and
classes (methods are reached through their class), so a password enters a file without password
tokens only through a call, written in a password file, to one of that file's top-level names.
The bounds, where only `--no-prefilter` finds everything: a call whose password argument is not
spelled with a password token within the call (`helper(data)` where `data = password`), a password
*returned* into a file that never names one (`creds = load()`; `md5(creds)`), flows through two or
more such files, patterns with no tokens of their own besides the password group (a `return`
of a password), which are matched only in files that name a password, and constants folded from a
skipped module (`from .defaults import ROUNDS`), which stay unknown, so no threshold is guessed.
"""

from __future__ import annotations

import builtins
import keyword
import re
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping, MutableMapping, Optional, Sequence

from pwlint.matching import PASSWORD_TOKENS, Pattern

_PASSWORD_GROUP = tuple(t.lower() for t in PASSWORD_TOKENS)
_IDENTIFIER = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")
_IDENTIFIER_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# A definition at the start of a line. Anchored on the line break, not with `^` and MULTILINE, so the
# regex engine skips from one line break to the next instead of trying every position (3 times faster).
_DEFINITION = rb"(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_][A-Za-z0-9_]*)"
_TOP_LEVEL_DEFINITION = re.compile(rb"\n" + _DEFINITION)
_FIRST_LINE_DEFINITION = re.compile(_DEFINITION)
_PASSWORD_TOKEN = re.compile("|".join(PASSWORD_TOKENS).encode())  # in lower-cased bytes
_PARENTHESIS = re.compile(rb"[()]")
# One literal character of a regular expression: not a special one, or a special one escaped
_LITERAL_ELEMENT = re.compile(r"[^\\.^$*+?{}\[\]|()]|\\[^A-Za-z0-9]")
_PIECE, _SHARED_BY = 4, 3  # a guard that is no word: four letters, shared by three words at least
# Bytes from which the files' facts are searched in two processes on two CPUs: Django 5.1.4 has
# about 5.6 MB outside its tests and 17 MB with them; forking costs some 10 ms.
_HALVED_FROM = 8_000_000
# What `name(` also finds that no module defines: `if (`, `return (`, `len(`. Special methods
# (`super().__init__(password)`) are left out too: they are reached through their class.
_NOT_DEFINED = frozenset(name.encode() for name in [*keyword.kwlist, *keyword.softkwlist, *dir(builtins)])
# A top-level class with bases (searched in the few files whose bases are wanted), and how many
# rounds of bases of bases are followed
_CLASS_BASES = re.compile(rb"(?:^|\n)class[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*\(([^)]*)\)")
_BASE_ROUNDS = 4
# `self.password` read, or assigned (`self.password = ...`, not `==`)
_SELF_ATTRIBUTE = re.compile(rb"self\.([A-Za-z_][A-Za-z0-9_]*)([ \t]*=(?!=))?")
# A property's setter, by the attribute it sets (`@payload.setter`)
_SETTER = re.compile(rb"@([A-Za-z_][A-Za-z0-9_]*)\.setter\b")
# A module and the names a file imports from it: those an `__init__.py` may re-export (`from .crypto
# import (hash_value,\n salt)`), the module a base class comes from (`from .base import NotifyBase`).
_IMPORTED = re.compile(rb"^[ \t]*from[ \t]+([.\w]+)[ \t]+import[ \t]+(\([^)]*\)|[^\n#;]*)", re.MULTILINE)


@dataclass(frozen=True)
class Triage:
    """What a file's bytes say before it is parsed."""

    alone: bool  # some pattern can match within this file
    password: bool  # mentions a password: a flow may start or pass here


@dataclass(frozen=True)
class Facts:
    """What one file's bytes tell the prefilter, whatever the other files say: a result cache
    keeps them by content (`cache.Cache.load_facts`), so an unchanged file is not searched again."""

    triage: Triage
    calls: frozenset[bytes]  # the names it calls with a password among the arguments (if it holds one)
    defines: frozenset[bytes]  # its top-level functions and classes
    # the classes its top-level classes derive from, by their last names, if it reads a password
    # attribute of `self` that it never sets (a base class sets it)
    bases: frozenset[bytes]
    setters: frozenset[bytes] = frozenset()  # the attributes it defines a property's setter for


@dataclass(frozen=True)
class Focus:
    """What makes a definition within a chosen file worth parsing (`slicing.py`)."""

    password: "TokenGroup"
    standalone: "Requirements"  # the token groups of each pattern that needs no password
    called: frozenset[str]  # top-level names some file calls with a password among the arguments
    scoped: "TokenGroup"  # the calls some pattern's `calls` condition looks for in a site's scope
    bases: frozenset[str] = frozenset()  # classes a chosen file's classes derive from, directly or not
    setters: frozenset[str] = frozenset()  # attributes a chosen file assigns that some file has a setter for


@dataclass(frozen=True)
class Selection:
    paths: set[str]  # the files worth parsing
    focus: Optional[Focus]  # None: parse them whole (the prefilter is off)


class Prefilter:
    """A byte-level test derived from the loaded rules' patterns."""

    def __init__(self, patterns: Iterable[Pattern], enabled: bool = True) -> None:
        patterns = list(patterns)
        self.enabled = enabled and all(pattern.tokens for pattern in patterns)
        self._password = _compile(_PASSWORD_GROUP)
        # Each pattern's groups, as indices into one list of distinct groups (patterns share many),
        # the password group first: most patterns need it, and most files lack it.
        self._groups = [self._password] + list(dict.fromkeys(
            _compile(group) for pattern in patterns for group in pattern.tokens if group != _PASSWORD_GROUP))
        index = {group: position for position, group in enumerate(self._groups)}
        requirements = dict.fromkeys(tuple(sorted(index[_compile(group)] for group in pattern.tokens))
                                     for pattern in patterns)
        self._requirements = list(requirements)
        self._without_password = [groups for groups in self._requirements if 0 not in groups]
        self._standalone = Requirements(tuple(tuple(self._groups[position] for position in groups)
                                              for groups in self._without_password))
        self._vocabulary = Vocabulary(self._groups)
        self._scoped = _compile(tuple(sorted({token for pattern in patterns for token in pattern.scope_tokens})))

    def may_match(self, data: bytes) -> bool:
        """Whether this file can produce a finding on its own."""
        return self.triage(data).alone

    def triage(self, data: bytes) -> Triage:
        if not self.enabled:
            return Triage(True, True)
        holdings = self._vocabulary.holdings(data.lower())
        password = holdings.has(self._groups[0])
        candidates = self._requirements if password else self._without_password
        return Triage(any(all(holdings.has(self._groups[position]) for position in groups) for groups in candidates),
                      password)

    @property
    def fingerprint(self) -> bytes:
        """What the facts of a file depend on besides its bytes: the token groups and which the patterns need."""
        return repr(([group.described for group in self._groups], self._requirements)).encode("utf-8")

    def facts(self, data: bytes) -> Facts:
        triage = self.triage(data)
        inherits = triage.password and _inherits_password(data)
        return Facts(triage, frozenset(_called_with_password(data)) if triage.password else frozenset(),
                     frozenset(_top_level_definitions(data)), frozenset(_bases(data)) if inherits else frozenset(),
                     setters_in(data))

    def select(self, files: Mapping[str, bytes], known: Optional[MutableMapping[bytes, Facts]] = None,
               digests: Optional[Mapping[str, bytes]] = None) -> Selection:
        """The files worth parsing, by the tests of the module docstring, and what within them.
        With `known` (facts by digest, from an earlier run) and the files' `digests`, a file whose
        facts are known is not searched again, and the facts of the others are added to `known`."""
        if not self.enabled:
            return Selection(set(files), None)
        facts = self._facts(files, known, digests)
        chosen = {path for path, fact in facts.items() if fact.triage.alone or fact.triage.password}
        called = {name for path in chosen for name in facts[path].calls}
        called = {name for name in called - _NOT_DEFINED if not (name.startswith(b"__") and name.endswith(b"__"))}
        for path, data in files.items():
            if path in chosen or not called:
                continue
            if facts[path].defines & called:
                chosen.add(path)  # a helper a password is handed to: a sink, or a wrapper handing it back
            elif path.endswith("__init__.py") and _imported(data) & called:
                chosen.add(path)  # a re-export (`from .crypto import hash_value`) that resolves such a call
        derived, bases = _bases_of(chosen, facts, files)
        chosen |= derived
        setters = _assigned_with_setters(chosen, facts, files)
        chosen |= {path for path, fact in facts.items() if fact.setters & setters}
        return Selection(chosen, Focus(self._password, self._standalone,
                                       frozenset(name.decode("ascii") for name in called), self._scoped,
                                       frozenset(name.decode("ascii") for name in bases),
                                       frozenset(name.decode("ascii") for name in setters)))

    def _facts(self, files: Mapping[str, bytes], known: Optional[MutableMapping[bytes, Facts]],
               digests: Optional[Mapping[str, bytes]]) -> dict[str, Facts]:
        """Each file's facts: from `known` by digest, or searched, on two CPUs half of a large
        project's files in a forked child (`isolation.halved`). The searched ones join `known`."""
        keys = digests if known is not None and digests else {}
        found = {path: known[keys[path]] for path in files if path in keys and keys[path] in known}  # type: ignore[index]
        unknown = [path for path in files if path not in found]
        contents = [files[path] for path in unknown]
        if sum(map(len, contents)) >= _HALVED_FROM:
            from pwlint.isolation import halved  # multiprocessing's import pays off only here

            searched = halved(contents, self._facts_of, len, _HALVED_FROM)
        else:
            searched = self._facts_of(contents)
        for path, fact in zip(unknown, searched):
            found[path] = fact
            if path in keys:
                known[keys[path]] = fact  # type: ignore[index]
        return found

    def _facts_of(self, contents: Sequence[bytes]) -> list[Facts]:
        return [self.facts(data) for data in contents]


def _called_with_password(data: bytes) -> set[bytes]:
    """The names of the calls that have a password token among their arguments: `name(`, then the
    token, with nothing between but other characters and groups of parentheses one level deep
    (`_write(path, password)`, `save(user, hash(x), password)`). Found from each token back to the
    parenthesis it sits in, walking the file's parentheses once (`_Openings`): a regular expression
    from every `name(` forwards took four times as long, and missed a call whose arguments the
    match of an enclosing call had consumed."""
    tokens = [token.start() for token in _PASSWORD_TOKEN.finditer(data.lower())]
    if not tokens:
        return set()
    openings = _Openings(data)
    names = {openings.name_around(at) for at in tokens}
    names.discard(b"")
    return names


class _Openings:
    """A file's parentheses, and for a position the `(` it sits in, memoised so that every
    parenthesis is stepped over once however many tokens sit after it."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._parentheses = [match.start() for match in _PARENTHESIS.finditer(data)]
        self._opening: dict[int, int] = {}  # parentheses before a position -> its `(`, or -1
        self._names: dict[int, bytes] = {}

    def name_around(self, at: int) -> bytes:
        """The name before the `(` that `at` sits in, or b"" (none, or a group nested deeper than one level)."""
        opening = self._opening_before(bisect_left(self._parentheses, at))
        if opening < 0:
            return b""
        if opening not in self._names:
            self._names[opening] = _name_before(self._data, opening)
        return self._names[opening]

    def _opening_before(self, count: int) -> int:
        data, parentheses, visited = self._data, self._parentheses, []
        while count not in self._opening:
            visited.append(count)
            if count == 0:
                found = -1
                break
            if data[parentheses[count - 1]] == ord("("):
                found = parentheses[count - 1]
                break
            if count < 2 or data[parentheses[count - 2]] != ord("("):
                found = -1  # `))`: a group nested deeper than the one level a call's arguments may hold
                break
            count -= 2  # a group closed before the position: step over it
        else:
            found = self._opening[count]
        for step in visited:
            self._opening[step] = found
        return found


def _name_before(data: bytes, opening: int) -> bytes:
    stop = opening
    while stop > 0 and data[stop - 1] in b" \t":
        stop -= 1
    start = stop
    while start > 0 and data[start - 1] in _IDENTIFIER_BYTES:
        start -= 1
    return data[start:stop] if start < stop and not data[start:start + 1].isdigit() else b""


def _bases_of(chosen: set[str], facts: Mapping[str, Facts], files: Mapping[str, bytes]) -> tuple[set[str], set[bytes]]:
    """The files that define a base of a chosen file's class, found through the file's imports
    (`from .base import NotifyBase`), and theirs in turn (a few rounds); and the names of the bases
    they define, which slicing keeps."""
    found: set[str] = set()
    kept: set[bytes] = set()
    bases = {path: facts[path].bases for path in chosen if facts[path].bases}
    pending = sorted(bases)
    for _ in range(_BASE_ROUNDS):
        more: set[str] = set()
        for path in pending:
            if path not in bases:
                bases[path] = frozenset(_bases(files[path]))  # a base's file: its own bases, searched here
            for base in bases[path] - facts[path].defines:
                for module in _importing(files[path], base):
                    for source in _module_files(path, module, facts):
                        if base in facts[source].defines and source not in chosen:
                            more.add(source)
                            kept.add(base)
        pending = sorted(more - found)
        found |= more
        if not pending:
            break
    return found, kept


def setters_in(data: bytes) -> frozenset[bytes]:
    """The attributes a file defines a property's setter for (`@payload.setter`)."""
    return frozenset(_SETTER.findall(data)) if b".setter" in data else frozenset()


def _assigned_with_setters(chosen: set[str], facts: Mapping[str, Facts], files: Mapping[str, bytes]) -> set[bytes]:
    """The attributes that some file not chosen defines a setter for and a chosen file assigns
    (`obj.payload = ...`)."""
    names = {name for path, fact in facts.items() if path not in chosen for name in fact.setters}
    if not names:
        return set()
    assigned = re.compile(rb"\.(" + b"|".join(map(re.escape, sorted(names))) + rb")[ \t]*=(?!=)")
    return {match for path in chosen for match in assigned.findall(files[path])}


def _importing(data: bytes, name: bytes) -> list[bytes]:
    """The modules a file imports `name` from (`from .base import NotifyBase` -> b".base")."""
    return [module for module, clause in _IMPORTED.findall(data) if name in _IDENTIFIER.findall(clause)]


def _module_files(importer: str, module: bytes, facts: Mapping[str, Facts]) -> list[str]:
    """The scanned files a module's name may be: relative to the importer, or by its dotted path."""
    text = module.decode("ascii", "replace")
    dots = len(text) - len(text.lstrip("."))
    parts = [part for part in text[dots:].split(".") if part]
    if dots:
        folder = importer.split("/")[:-1]
        folder = folder[:len(folder) - (dots - 1)] if dots > 1 else folder
        stem = "/".join(folder + parts)
        candidates = [f"{stem}.py", f"{stem}/__init__.py"]
        return [path for path in candidates if path in facts]
    stem = "/".join(parts)
    return [path for path in facts if path == f"{stem}.py" or path.endswith((f"/{stem}.py", f"/{stem}/__init__.py"))
            or path == f"{stem}/__init__.py"]


def _inherits_password(data: bytes) -> bool:
    """Whether the file reads `self.<password name>` without ever assigning it: a base class sets it."""
    read: set[bytes] = set()
    assigned: set[bytes] = set()
    for found in _SELF_ATTRIBUTE.finditer(data):
        name = found.group(1).lower()
        if _PASSWORD_TOKEN.search(name):
            (assigned if found.group(2) else read).add(name)
    return bool(read - assigned)


def _bases(data: bytes) -> set[bytes]:
    """`class NotifyTwist(NotifyBase, metaclass=Meta):` -> {b"NotifyBase"}; `(models.Model)` -> {b"Model"}."""
    names: set[bytes] = set()
    for clause in _CLASS_BASES.findall(data):
        for part in clause.split(b","):
            found = _IDENTIFIER.findall(part)
            if found and b"=" not in part:
                names.add(found[-1])
    return names - _NOT_DEFINED


def _top_level_definitions(data: bytes) -> set[bytes]:
    names = set(_TOP_LEVEL_DEFINITION.findall(data))
    first = _FIRST_LINE_DEFINITION.match(data)
    return names | {first.group(1)} if first else names


def _imported(data: bytes) -> set[bytes]:
    names: set[bytes] = set()
    for _, clause in _IMPORTED.findall(data):
        names.update(_IDENTIFIER.findall(clause))
    return names


def may_match_here(pattern: Pattern, holdings: "Holdings") -> bool:
    """Whether a pattern can match at a site in a file of these `holdings`: its own tokens must
    occur there, as the module docstring argues. Its password group need not: a password reaches
    a helper through a parameter of any name."""
    return all(holdings.has(_compile(group)) for group in pattern.tokens if group != _PASSWORD_GROUP)


class Vocabulary:
    """The words of some token groups, and for each word a *guard*, a piece of it searched for
    first: a file lacking the guard need not be searched for the word. Most files lack most words,
    and each absent word costs a scan of the whole file. The guard is a shorter word it holds
    (`pbkdf2_hmac` holds `pbkdf2`), else a piece of four letters that most words share (`pass`,
    in ten of the password words): on Django with its tests, 80,000 scans became 57,000."""

    def __init__(self, groups: Iterable["TokenGroup"]) -> None:
        words = {word for group in groups for word in group.words}
        shortest_first = sorted(words, key=lambda word: (len(word), word))
        self._guards: dict[bytes, bytes] = {}
        for index, word in enumerate(shortest_first):  # only a shorter word can be held by this one
            held = next((other for other in shortest_first[:index] if other in word), None)
            if held is not None:
                self._guards[word] = held
        free = words - self._guards.keys()
        shared = Counter(piece for word in free for piece in _pieces(word))
        for word in sorted(free):
            pieces = [piece for piece in _pieces(word) if shared[piece] >= _SHARED_BY and piece != word]
            if pieces:
                self._guards[word] = max(pieces, key=lambda piece: (shared[piece], piece))

    @classmethod
    def of(cls, patterns: Iterable[Pattern]) -> "Vocabulary":
        return cls(_compile(group) for pattern in patterns for group in pattern.tokens)

    def holdings(self, lowered: bytes) -> "Holdings":
        return Holdings(lowered, self._guards)


def _pieces(word: bytes) -> set[bytes]:
    return {word[start:start + _PIECE] for start in range(len(word) - _PIECE + 1)}


class Holdings:
    """Which tokens one (lower-cased) file holds, found on demand. Groups share words and patterns
    share groups, so each is searched for once."""

    def __init__(self, lowered: bytes, guards: Mapping[bytes, bytes]) -> None:
        self._lowered, self._guards = lowered, guards
        self._words: dict[bytes, bool] = {}
        self._groups: dict[int, bool] = {}  # by id: groups are `_compile`'s, one object per group

    def has(self, group: "TokenGroup") -> bool:
        if id(group) not in self._groups:
            self._groups[id(group)] = any(self._holds(word) for word in group.words) or group.expression_in(self._lowered)
        return self._groups[id(group)]

    def _holds(self, word: bytes) -> bool:
        if word not in self._words:
            guard = self._guards.get(word)
            self._words[word] = (guard is None or self._holds(guard)) and word in self._lowered
        return self._words[word]


@dataclass(frozen=True)
class TokenGroup:
    """Tokens of which a file must hold one. Plain words are found by substring search, several
    times faster than a regular-expression alternation over the same words; the few tokens that
    are expressions (`pw(?![a-z])(?<![a-z]pw)`) are searched as one, and only in text that holds
    one of their `guards`, the literal each starts with: a search for several alternatives that
    start differently tries every position, and it took a third of the prefilter's time."""

    words: tuple[bytes, ...]
    expression: Optional[re.Pattern[bytes]]
    guards: Optional[tuple[bytes, ...]] = None  # None: some alternative starts with no literal

    def found_in(self, lowered: bytes) -> bool:
        return any(word in lowered for word in self.words) or self.expression_in(lowered)

    def expression_in(self, lowered: bytes) -> bool:
        return self.expression is not None and (self.guards is None or any(guard in lowered for guard in self.guards)) \
            and self.expression.search(lowered) is not None

    @property
    def described(self) -> tuple[tuple[bytes, ...], Optional[bytes]]:
        """The group as plain data, for the keys of what depends on it."""
        return self.words, self.expression.pattern if self.expression else None

    def within(self, lowered: bytes) -> "TokenGroup":
        """The tokens of this group that `lowered` holds: the parts of a file need be searched for no other."""
        return TokenGroup(tuple(word for word in self.words if word in lowered),
                          self.expression if self.expression_in(lowered) else None, self.guards)


@dataclass(frozen=True)
class Requirements:
    """What some pattern needs all of: each entry, a pattern's token groups. A definition with one
    group of a pattern but not the others (`Option(...)` without a hash option's name) is no
    place for that pattern to match."""

    entries: tuple[tuple[TokenGroup, ...], ...]

    def found_in(self, lowered: bytes) -> bool:
        return any(all(group.found_in(lowered) for group in entry) for entry in self.entries)

    def within(self, lowered: bytes) -> "Requirements":
        """The entries `lowered` holds every group of, each group narrowed to the tokens it holds."""
        return Requirements(tuple(tuple(group.within(lowered) for group in entry) for entry in self.entries
                                  if all(group.found_in(lowered) for group in entry)))


@lru_cache(maxsize=None)
def _compile(group: tuple[str, ...]) -> TokenGroup:
    literals = {token: _literal(token) for token in (token.lower() for token in group)}
    words = tuple(literal.encode("utf-8") for literal in literals.values() if literal is not None)
    expressions = [token for token, literal in literals.items() if literal is None]
    if not expressions:
        return TokenGroup(words, None)
    guards = [_leading_literal(token) for token in expressions]
    return TokenGroup(words, re.compile("|".join(expressions).encode("utf-8")),
                      None if "" in guards else tuple(guard.encode("utf-8") for guard in guards))


def _literal(token: str) -> Optional[str]:
    """The text a token stands for when it is no expression: itself, or what its escapes stand
    for (a rule's `tokens:` are escaped: `auth\\ =\\ \\(` is `auth = (`)."""
    text = re.sub(r"\\(.)", r"\1", token)
    return text if re.escape(text) == token else None


def _leading_literal(expression: str) -> str:
    """What any match of `expression` starts with ("" if that is not known): its characters before
    the first special one, less the last if a quantifier follows it (`ab?` need not hold `b`)."""
    if "|" in expression.replace("\\|", ""):
        return ""
    elements, position = [], 0
    while (element := _LITERAL_ELEMENT.match(expression, position)) is not None:
        elements.append(element.group()[-1])
        position = element.end()
    if expression[position:position + 1] in ("?", "*", "{"):
        elements = elements[:-1]
    return "".join(elements)
