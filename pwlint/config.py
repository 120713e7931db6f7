"""Project configuration: `[tool.pwlint]` in pyproject.toml or `pwlint.toml`, merged with the command line.

The file is found the way Ruff finds its own: from the directory holding the scanned paths upwards,
the first `pwlint.toml`, or `pyproject.toml` that has a `[tool.pwlint]` table (one without it is
passed over, so a sub-package's pyproject.toml does not hide the project's settings).
`--config FILE` names it instead and `--isolated` ignores every file. The file's directory becomes
the scan root when it holds every scanned path, so report paths and the globs written in the file
are both relative to where the file is, as a reader of the file expects.

The command line wins over the file. Lists follow Ruff's layering: `--select` replaces the file's
`select` and drops its `ignore`; `--ignore`, `--extend-select`, `--exclude` and `--rules` add to the
file's lists. A key pwlint does not know, or a value of the wrong shape, is an error naming the
file, line and key, raised before any file is scanned, so a typo never silently changes what runs.

This module reads TOML and nothing heavier: it is imported on every run, and pre-commit runs
pwlint on every commit.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence

from pwlint.discovery import DEFAULT_EXCLUDES, common_directory
from pwlint.findings import SEVERITIES

if TYPE_CHECKING:  # pwlint.scan loads the rule machinery; only resolve() needs it, and late
    from pwlint.scan import Settings

CONFIG_NAMES = ("pwlint.toml", "pyproject.toml")  # checked in this order in each directory
DEFAULT_FAIL_ON = "warning"  # notes are informational and never fail CI by default (standards.md §10)
_SELECTOR = re.compile(r"^[A-Za-z]+[0-9]*$")
_COMMENT_COLUMN = 56  # --show-settings aligns origins here; longer values push theirs right


class ConfigError(Exception):
    """A configuration that cannot be used; formatted as `file:line: key: message` like a RuleError."""

    def __init__(self, path: str, line: int, key: str, message: str) -> None:
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")


@dataclass(frozen=True)
class Origin:
    """Where a value came from: a file and line, a command-line flag, or the default."""

    label: str  # shown by --show-settings: "pyproject.toml:12", "--select", "default"
    path: str = ""  # the file, or the flag, an error is reported against
    line: int = 0
    key: str = ""

    def error(self, message: str) -> ConfigError:
        return ConfigError(self.path or self.label, self.line, self.key, message)


DEFAULT = Origin("default")


@dataclass(frozen=True)
class CommandLine:
    """What the command line said; None or empty means "not given", so the file's value stands."""

    paths: Sequence[str] = (".",)
    config: Optional[Path] = None
    isolated: bool = False
    select: Sequence[str] = ()
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    exclude: Sequence[str] = ()
    rules: Sequence[Path] = ()
    profile: Optional[str] = None
    fail_on: Optional[str] = None
    include_tests: Optional[bool] = None
    respect_gitignore: Optional[bool] = None
    force_exclude: Optional[bool] = None
    warn_unused_ignores: Optional[bool] = None
    prefilter: bool = True
    cache: bool = True
    jobs: int = 0
    max_file_size: Optional[int] = None
    timeout: Optional[float] = None
    redact: Optional[bool] = None


@dataclass(frozen=True)
class Resolved:
    """The settings of one run and, for --show-settings and errors, where each came from."""

    settings: "Settings"
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    severities: tuple[tuple[str, str], ...] = ()  # rule id prefix -> severity
    fail_on: str = DEFAULT_FAIL_ON
    warn_unused_ignores: bool = False
    redact: bool = True  # mask hard-coded secrets in the report (reporters/redaction.py)
    config_file: Optional[Path] = None
    entries: Mapping[str, tuple[Any, Origin]] = field(default_factory=dict)  # key -> value as resolved, origin
    selectors: tuple[tuple[str, Origin], ...] = ()  # every rule id prefix written, checked after loading

    def check_profile(self, known: Sequence[str]) -> None:
        """Reject an unknown profile from the file with its line (the loader only knows --profile)."""
        origin = self.entries.get("profile", (None, DEFAULT))[1]
        if self.settings.profile not in known and origin.key:
            raise origin.error(f"unknown profile {self.settings.profile!r} (known: {', '.join(known)})")

    def check_selectors(self, known: Sequence[str]) -> None:
        """Reject a rule selector that matches no loaded rule: a typo would otherwise select nothing
        or ignore nothing, and a scan that checks nothing looks exactly like a clean one."""
        for selector, origin in self.selectors:
            if not any(rule_id.startswith(selector) for rule_id in known):
                raise origin.error(f"{selector!r} matches no rule; `pwlint rules` lists them")


# -- the keys ----------------------------------------------------------------------------------

_Check = Callable[[Any, "_Place"], Any]


@dataclass(frozen=True)
class _Place:
    """A key in a file, for error messages."""

    path: str
    text: str
    table: tuple[str, ...]  # the pwlint table's header path: ("tool", "pwlint") or ()
    keys: tuple[str, ...]

    def child(self, key: str) -> _Place:
        return _Place(self.path, self.text, self.table, (*self.keys, key))

    @property
    def line(self) -> int:
        return _line_of(self.text, self.table, self.keys)

    def error(self, message: str) -> ConfigError:
        return ConfigError(self.path, self.line, _dotted(self.keys), message)


def _boolean(value: Any, place: _Place) -> bool:
    if not isinstance(value, bool):
        raise place.error(f"expected true or false, got {_shown(value)}")
    return value


def _string(value: Any, place: _Place) -> str:
    if not isinstance(value, str) or not value:
        raise place.error(f"expected a non-empty string, got {_shown(value)}")
    return value


def _strings(value: Any, place: _Place) -> list[str]:
    if not isinstance(value, list):
        raise place.error(f"expected a list of strings, got {_shown(value)}")
    return [_string(item, place) for item in value]


def _selector(value: Any, place: _Place) -> str:
    if not isinstance(value, str) or not _SELECTOR.match(value):
        raise place.error(f"expected a rule id or id prefix such as \"PW101\" or \"PW1\", got {_shown(value)}")
    return value.upper()


def _selectors(value: Any, place: _Place) -> list[str]:
    if not isinstance(value, list):
        hint = f" (write [{_shown(value)}])" if isinstance(value, str) else ""
        raise place.error(f"expected a list of rule ids or prefixes, got {_shown(value)}{hint}")
    return [_selector(item, place) for item in value]


def _severity(value: Any, place: _Place) -> str:
    if value not in SEVERITIES:
        raise place.error(f"expected one of {', '.join(SEVERITIES)}, got {_shown(value)}")
    return str(value)


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "kib": 2**10, "mib": 2**20, "gib": 2**30}


def parse_size(value: Any) -> Optional[int]:
    """Bytes from a number or a size such as "1MB", "500 kB" or "2MiB" (k, M, G are powers of
    1000, Ki, Mi, Gi of 1024); None if it is neither."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    found = _SIZE.match(value) if isinstance(value, str) else None
    return int(float(found.group(1)) * _UNITS[(found.group(2) or "").lower()]) if found else None


def parse_seconds(value: Any) -> Optional[float]:
    """A positive number of seconds, or None."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value < float("inf")
    return float(value) if ok else None


def _size(value: Any, place: _Place) -> int:
    size = parse_size(value)
    if size is None:
        raise place.error(f"expected a size such as 1000000 or \"1MB\" (0: no limit), got {_shown(value)}")
    return size


def _seconds(value: Any, place: _Place) -> float:
    if isinstance(value, str) or parse_seconds(value) is None:
        raise place.error(f"expected a number of seconds above 0, got {_shown(value)}")
    return float(value)


def _table(check_key: _Check, check_value: _Check) -> _Check:
    def check(value: Any, place: _Place) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise place.error(f"expected a table, got {_shown(value)}")
        checked = {}
        for key, item in value.items():
            inner = place.child(key)
            checked[check_key(key, inner)] = check_value(item, inner)
        return checked
    return check


_KEYS: dict[str, _Check] = {
    "select": _selectors,
    "extend-select": _selectors,
    "ignore": _selectors,
    "per-file-ignores": _table(_string, _selectors),
    "exclude": _strings,
    "extend-exclude": _strings,
    "respect-gitignore": _boolean,
    "include-tests": _boolean,
    "force-exclude": _boolean,
    "profile": _string,
    "rules": _strings,
    "fail-on": _severity,
    "severity": _table(_selector, _severity),
    "warn-unused-ignores": _boolean,
    "max-file-size": _size,
    "timeout": _seconds,
    "redact": _boolean,
}


def _shown(value: Any) -> str:
    """A value as TOML would spell it, so the message quotes what the user wrote."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "a table" if isinstance(value, dict) else "a list"
    return json.dumps(value) if isinstance(value, str) else repr(value)


# -- reading a file ----------------------------------------------------------------------------

@dataclass(frozen=True)
class FileConfig:
    """One configuration file's validated values and the line each key is on."""

    path: Path
    values: Mapping[str, Any]
    lines: Mapping[str, int]

    def origin(self, key: str) -> Origin:
        """Where `key` (or a table entry, spelled `severity.PW601`) is written in the file."""
        line = self.lines.get(key, 0)
        label = f"{_display(self.path)}:{line}" if line else _display(self.path)
        return Origin(label, _display(self.path), line, key)


def find_config(paths: Sequence[str]) -> Optional[FileConfig]:
    """The configuration for `paths`: the nearest file upwards from the directory holding them."""
    start = common_directory(paths) or Path.cwd()
    for directory in (start, *start.parents):
        for name in CONFIG_NAMES:
            candidate = directory / name
            if candidate.is_file():
                found = read_config(candidate, required=name == "pwlint.toml")
                if found is not None:
                    return found
    return None


def read_config(path: Path, *, required: bool = True) -> Optional[FileConfig]:
    """Read and validate one file. A pyproject.toml without `[tool.pwlint]` is None, or an error
    when `required` (it was named with --config)."""
    display = _display(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(display, 0, "", f"cannot read: {(error.strerror or str(error)).lower()}") from None
    is_pyproject = path.name == "pyproject.toml"
    if is_pyproject and not required and b"pwlint" not in raw:
        return None  # the common case, decided without parsing TOML
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(display, raw.count(b"\n", 0, error.start) + 1, "", "not UTF-8, as TOML must be") from None
    document = _parse_toml(text, display)
    table_path = ("tool", "pwlint") if is_pyproject else ()
    tool = document.get("tool")
    table = (tool.get("pwlint") if isinstance(tool, dict) else None) if is_pyproject else document
    if table is None:
        if required:
            raise ConfigError(display, 0, "", "no [tool.pwlint] table")
        return None
    place = _Place(display, text, table_path, ())
    if not isinstance(table, dict):
        raise ConfigError(display, _line_of(text, (), table_path), "tool.pwlint", "expected a table")
    # absolute but not resolved, like discovery's paths, so a symlinked checkout still holds them
    return FileConfig(Path(os.path.abspath(path)), *_validate(table, place, is_pyproject))


def _parse_toml(text: str, display: str) -> dict[str, Any]:
    """tomllib from 3.11, tomli before it; imported here, on the rare run that has a file to parse."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        at = re.search(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$", message)
        line = (int(at.group(1)) if at.group(1) else text.count("\n") + 1) if at else 0
        raise ConfigError(display, line, "", f"invalid TOML: {message[: at.start()] if at else message}") from None


def _validate(table: Mapping[str, Any], place: _Place, is_pyproject: bool) -> tuple[dict[str, Any], dict[str, int]]:
    """The checked values, and the line of each key and of each entry of a table-valued key (as
    `severity.PW601`), so an error found later, after the rules are loaded, can still name its line."""
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key, value in table.items():
        check = _KEYS.get(key)
        inner = place.child(key)
        if check is None:
            raise inner.error(_unknown_key(key, is_pyproject))
        values[key] = check(value, inner)
        lines[key] = inner.line
        if isinstance(value, dict):  # the checked keys are in the same order as the written ones
            for written, checked in zip(value, values[key]):
                lines[_dotted((key, checked))] = inner.child(written).line
    return values, lines


def _unknown_key(key: str, is_pyproject: bool) -> str:
    close = difflib.get_close_matches(key, list(_KEYS), n=1)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    if key == "tool" and not is_pyproject:
        return "unknown key; pwlint.toml holds the keys at its top level, without [tool.pwlint]"
    return f"unknown key (known: {', '.join(_KEYS)})"


def _display(path: Path) -> str:
    """A path as the user would type it from here: relative when under the current directory."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(absolute)


# -- line numbers ------------------------------------------------------------------------------
# TOML parsers return no positions, so the line of a key is found in the text: under its table's
# header, as `key =`. The pwlint table's own header, or no line at all, is the fallback.

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")


def _line_of(text: str, table: tuple[str, ...], keys: tuple[str, ...]) -> int:
    """The 1-based line where `keys` (nested inside `table`) is written, or 0 if it cannot be found."""
    lines = text.splitlines()
    for depth in range(len(keys), 0, -1):  # the key itself, else the table or key that holds it
        header, key = (*table, *keys[: depth - 1]), keys[depth - 1]
        number = _find_key(lines, header, key) or _find_header(lines, (*header, key))
        if number:
            return number
    return _find_header(lines, table)


def _find_key(lines: list[str], header: tuple[str, ...], key: str) -> int:
    current: tuple[str, ...] = ()
    pattern = re.compile(r"^\s*(?:" + "|".join(re.escape(k) for k in _spellings(key)) + r")\s*=")
    for number, line in enumerate(lines, 1):
        match = _HEADER.match(line)
        if match:
            current = _header_path(match.group(1))
        elif current == header and pattern.match(line):
            return number
    return 0


def _find_header(lines: list[str], header: tuple[str, ...]) -> int:
    """The first header that defines `header`, itself or a table inside it (`[tool.pwlint]` defines `tool`)."""
    for number, line in enumerate(lines, 1):
        match = _HEADER.match(line)
        if match and header and _header_path(match.group(1))[: len(header)] == header:
            return number
    return 0


def _header_path(header: str) -> tuple[str, ...]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s]+)', header)
    return tuple(next(p for p in part if p) if any(part) else "" for part in parts)


def _spellings(key: str) -> list[str]:
    return [key, f'"{key}"', f"'{key}'"]


def _quote_key(key: str) -> str:
    return key if re.match(r"^[A-Za-z0-9_-]+$", key) else json.dumps(key)


def _dotted(keys: Sequence[str]) -> str:
    """A key path as TOML writes it: `per-file-ignores."legacy/*"`."""
    return ".".join(_quote_key(key) for key in keys)


# -- merging with the command line -------------------------------------------------------------

def resolve(cli: CommandLine) -> Resolved:
    """The run's settings: command line over file over defaults. Raises ConfigError."""
    file = None if cli.isolated else (read_config(cli.config) if cli.config else find_config(cli.paths))
    return _Merge(cli, file).resolved()


class _Merge:
    """Merges one key at a time, recording each value with where it came from."""

    def __init__(self, cli: CommandLine, file: Optional[FileConfig]) -> None:
        self.cli, self.file = cli, file
        self.values: Mapping[str, Any] = file.values if file else {}
        self.entries: dict[str, tuple[Any, Origin]] = {}
        self.selectors: list[tuple[str, Origin]] = []

    def _origin(self, key: str) -> Origin:
        return self.file.origin(key) if self.file else DEFAULT

    def scalar(self, key: str, given: Any, default: Any) -> Any:
        if given is not None:
            value, origin = given, Origin(f"--{key}", f"--{key}")
        elif key in self.values:
            value, origin = self.values[key], self._origin(key)
        else:
            value, origin = default, DEFAULT
        self.entries[key] = (value, origin)
        return value

    def listed(self, key: str, given: Sequence[Any], flag: str, *, keep_file: bool = True,
               selectors: bool = False) -> list[Any]:
        """The file's list (unless the command line replaces it) followed by the command line's."""
        from_file = list(self.values.get(key, [])) if keep_file else []
        labels = ([self._origin(key).label] if from_file else []) + ([flag] if given else [])
        self.entries[key] = (from_file + list(given), Origin(" + ".join(labels)) if labels else DEFAULT)
        if selectors:
            self.selectors += [(s, self._origin(key)) for s in from_file] + [(s, Origin(flag, flag)) for s in given]
        return from_file + list(given)

    def table(self, key: str) -> dict[str, Any]:
        value = dict(self.values.get(key, {}))
        self.entries[key] = (value, self._origin(key) if value else DEFAULT)
        return value

    def resolved(self) -> Resolved:
        from pwlint.scan import DEFAULT_MAX_FILE_SIZE, DEFAULT_PROFILE, DEFAULT_TIMEOUT, Settings

        cli = self.cli
        # Ruff's layering: a --select on the command line starts over, dropping the file's ignore too
        select = self.listed("select", _upper(cli.select), "--select", keep_file=not cli.select, selectors=True)
        ignore = self.listed("ignore", _upper(cli.ignore), "--ignore", keep_file=not cli.select, selectors=True)
        extend = self.listed("extend-select", _upper(cli.extend_select), "--extend-select", selectors=True)
        if not select:
            self.entries["select"] = ([], Origin("default: every rule"))
        per_file = self.table("per-file-ignores")
        severities = self.table("severity")
        self.selectors += [(selector, self._origin(_dotted(("per-file-ignores", glob))))
                           for glob, selectors in per_file.items() for selector in selectors]
        self.selectors += [(selector, self._origin(_dotted(("severity", selector)))) for selector in severities]
        settings = Settings(
            paths=list(cli.paths) or ["."],
            default_excludes=self._default_excludes(),
            exclude=list(self.values.get("exclude", [])) + self.listed("extend-exclude", list(cli.exclude), "--exclude"),
            include_tests=self.scalar("include-tests", cli.include_tests, False),
            respect_gitignore=self.scalar("respect-gitignore", cli.respect_gitignore, True),
            force_exclude=self.scalar("force-exclude", cli.force_exclude, False),
            profile=self.scalar("profile", cli.profile, DEFAULT_PROFILE),
            rule_dirs=self._rule_dirs(),
            select=select + extend if select else [],
            ignore=ignore,
            prefilter=cli.prefilter,
            cache=cli.cache,
            jobs=cli.jobs,
            max_file_size=self.scalar("max-file-size", cli.max_file_size, DEFAULT_MAX_FILE_SIZE),
            timeout=self.scalar("timeout", cli.timeout, DEFAULT_TIMEOUT),
            root=self._root(),
        )
        return Resolved(
            settings=settings,
            per_file_ignores=tuple((pattern, tuple(ids)) for pattern, ids in per_file.items()),
            severities=tuple(severities.items()),
            fail_on=self.scalar("fail-on", cli.fail_on, DEFAULT_FAIL_ON),
            warn_unused_ignores=self.scalar("warn-unused-ignores", cli.warn_unused_ignores, False),
            redact=self.scalar("redact", cli.redact, True),
            config_file=self.file.path if self.file else None,
            entries=self.entries,
            selectors=tuple(self.selectors),
        )

    def _default_excludes(self) -> tuple[str, ...]:
        """A configured `exclude` replaces the built-in list, as Ruff's does; extend-exclude adds."""
        if "exclude" in self.values:
            self.entries["exclude"] = (list(self.values["exclude"]), self._origin("exclude"))
            return ()
        self.entries["exclude"] = (list(DEFAULT_EXCLUDES), DEFAULT)
        return DEFAULT_EXCLUDES

    def _rule_dirs(self) -> list[Path]:
        """Folders in the file are relative to it and must exist; --rules folders are checked by the loader."""
        folders = []
        if self.file is not None:
            home = self.file.path.parent
            for folder in self.values.get("rules", []):
                if not (home / folder).is_dir():
                    raise self._origin("rules").error(f"no such folder {folder!r} (relative to {_display(home)})")
                folders.append(home / folder)
        self.listed("rules", [str(p) for p in self.cli.rules], "--rules")
        return folders + [Path(p) for p in self.cli.rules]

    def _root(self) -> Optional[Path]:
        """The file's directory when it holds every scanned path; otherwise discovery decides."""
        if self.file is None:
            return None
        home = self.file.path.parent
        common = common_directory(self.cli.paths)
        return home if common is not None and (common == home or home in common.parents) else None


def _upper(values: Sequence[str]) -> list[str]:
    return [value.upper() for value in values]


# -- --show-settings ---------------------------------------------------------------------------

def describe(resolved: Resolved, root: Path) -> str:
    """The resolved settings as TOML lines, each commented with where its value came from."""
    config = str(resolved.config_file) if resolved.config_file else ""
    root_origin = ("the configuration file's directory" if resolved.settings.root
                   else "nearest directory above the paths with .git or pyproject.toml, else the current one")
    rows: list[tuple[str, Any, Origin]] = [
        ("config-file", config, Origin("found from the scanned paths upwards" if config else "none found")),
        ("root", str(root), Origin(root_origin)),
        ("paths", list(resolved.settings.paths), Origin("command line")),
        *((key, *resolved.entries[key]) for key in _KEYS),
    ]
    lines = [f"{key} = {_toml(value)}" for key, value, _ in rows]
    width = min(max(len(line) for line in lines), _COMMENT_COLUMN)
    return "".join(f"{line.ljust(width)}  # {origin.label}\n" for line, (_, _, origin) in zip(lines, rows))


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_quote_key(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)
