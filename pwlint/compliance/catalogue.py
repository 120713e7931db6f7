"""Load the catalogues: one YAML file per standard and version in `pwlint/catalogues/`.

A catalogue is data, like a rule: it names a standard's controls, quotes them and says where each
quote was read. Which rules speak to a control is not written here but in each rule's `standards:`
mapping, so adding a rule's mapping never touches a catalogue. A broken catalogue stops the run
with its file, line and key, before any scanning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from pwlint.compliance.records import Catalogue, Control
from pwlint.ruleset import RuleError, line_of, load_yaml

_REQUIRED = ("standard", "title", "version", "source", "url", "controls")
_OPTIONAL = ("published", "language", "levels")
_CONTROL_REQUIRED = ("id", "section", "title", "text")
_CONTROL_OPTIONAL = ("title-zh", "gloss", "level", "note", "outside", "source")


def catalogues_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "catalogues"


def catalogue_paths() -> dict[str, Path]:
    """Catalogue files by standard id (the file name), without reading them."""
    return {path.stem: path for path in sorted(catalogues_dir().glob("*.yaml"))}


def load_catalogue(standard: str) -> Catalogue:
    """The catalogue for `standard`; RuleError naming `--standard` for an unknown id."""
    paths = catalogue_paths()
    if standard not in paths:
        raise RuleError("--standard", 0, "", f"unknown standard {standard!r} (known: {', '.join(paths)})")
    return read_catalogue(paths[standard])


def load_catalogues() -> list[Catalogue]:
    return [read_catalogue(path) for path in catalogue_paths().values()]


def read_catalogue(path: Path) -> Catalogue:
    raw = load_yaml(path)
    if not isinstance(raw, Mapping):
        raise RuleError(path, line_of(raw), "", "a catalogue file holds one mapping")
    _keys(path, raw, _REQUIRED, _OPTIONAL)
    standard = _text(path, raw, "standard")
    if standard != path.stem:
        raise RuleError(path, line_of(raw, "standard"), "standard", f"must match the file name ({path.stem})")
    levels = _levels(path, raw)
    controls = raw["controls"]
    if not isinstance(controls, list) or not controls:
        raise RuleError(path, line_of(raw, "controls"), "controls", "a non-empty list of controls")
    source = _text(path, raw, "source")
    built = [_control(path, item, levels, source) for item in controls]
    seen: set[str] = set()
    for item, control in zip(controls, built):
        if control.id in seen:
            raise RuleError(path, line_of(item, "id"), "id", f"duplicate control {control.id!r}")
        seen.add(control.id)
    language = raw.get("language", "en")
    if language not in ("en", "zh"):
        raise RuleError(path, line_of(raw, "language"), "language", "must be en or zh")
    return Catalogue(
        id=standard, title=_text(path, raw, "title"), version=_text(path, raw, "version"), source=source,
        url=_text(path, raw, "url"), controls=tuple(built), path=str(path),
        published=_text(path, raw, "published") if "published" in raw else "", language=language, levels=levels,
    )


def _control(path: Path, raw: Any, levels: tuple[int, ...], source: str) -> Control:
    if not isinstance(raw, Mapping):
        raise RuleError(path, line_of(raw), "controls", "each control is a mapping")
    _keys(path, raw, _CONTROL_REQUIRED, _CONTROL_OPTIONAL)
    level = raw.get("level")
    if levels and level not in levels:
        raise RuleError(path, line_of(raw, "level") or line_of(raw), "level",
                        f"must be one of the catalogue's levels ({', '.join(map(str, levels))})")
    if not levels and level is not None:
        raise RuleError(path, line_of(raw, "level"), "level", "the catalogue declares no `levels`")
    optional = {key: _text(path, raw, key) if key in raw else "" for key in ("title-zh", "gloss", "note", "outside")}
    return Control(
        id=_text(path, raw, "id"), section=_text(path, raw, "section"), title=_text(path, raw, "title"),
        text=_text(path, raw, "text"), source=_text(path, raw, "source") if "source" in raw else source,
        title_zh=optional["title-zh"], gloss=optional["gloss"], level=level, note=optional["note"],
        outside=optional["outside"],
    )


def _keys(path: Path, raw: Mapping[str, Any], required: tuple[str, ...], optional: tuple[str, ...]) -> None:
    for key in required:
        if key not in raw:
            raise RuleError(path, line_of(raw), key, f"required key missing (required: {', '.join(required)})")
    unknown = sorted(set(raw) - set(required) - set(optional), key=str)
    if unknown:
        raise RuleError(path, line_of(raw, unknown[0]), str(unknown[0]), "unknown key")


def _text(path: Path, raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise RuleError(path, line_of(raw, key) or line_of(raw), key, "must be a non-empty string")
    return value.strip()


def _levels(path: Path, raw: Mapping[str, Any]) -> tuple[int, ...]:
    value = raw.get("levels", [])
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise RuleError(path, line_of(raw, "levels"), "levels", "a list of level numbers, e.g. [1, 2, 3]")
    return tuple(sorted(value))
