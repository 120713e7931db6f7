"""What a scan keeps between runs, in `.pwlint_cache/` at the project root.

A whole scan's findings, keyed by pwlint's own code (and the libcst and Python versions), the rules
(their files' bytes), the profile and settings that change findings, and every scanned file's
path and bytes. A run in which nothing changed is answered from here without building an engine
or importing libcst. Any change to any file, a helper included, misses: rules always run over
the whole project, so flows across modules stay right (editing a helper changes the findings in
the modules that call it). Parsed models are not kept; see `modelling.py` for why.

Entries are written through a temporary file and renamed, so two runs that overlap (two
pre-commit hooks) never see half an entry; the last writer wins. A repository could ship a crafted
`.pwlint_cache/`, and unpickling runs code, so every entry is signed with HMAC-SHA256 under a
per-user key kept outside the project (`$XDG_CACHE_HOME/pwlint/key`, mode 0600): an entry whose
signature, format or content does not check out is a miss, never an error.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import shutil
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional

import pwlint

CACHE_DIR = ".pwlint_cache"
_FORMAT = b"pwlint-cache-1\n"
_KEEP_RESULTS = 32  # results kept (two a scan: by every file, by the files kept); older ones are pruned


class Cache:
    """One project's cache directory, or nothing at all when it cannot be used."""

    def __init__(self, directory: Path, key: bytes) -> None:
        self.directory = directory
        self._key = key

    @classmethod
    def open(cls, root: Path) -> Optional["Cache"]:
        """The cache under `root`, created on first use; None if it or the signing key cannot be made."""
        key = _signing_key()
        directory = root / CACHE_DIR
        if key is None:
            return None
        try:
            (directory / "results").mkdir(parents=True, exist_ok=True)
            ignore = directory / ".gitignore"
            if not ignore.exists():
                _write_atomic(ignore, b"# written by pwlint: the whole folder is a cache\n*\n")
        except OSError:
            return None
        return cls(directory, key)

    # -- results ------------------------------------------------------------------------------
    def result_key(self, rule_files: Iterable[str], settings: Mapping[str, Any], files: Mapping[str, bytes]) -> str:
        parts: list[bytes] = [code_digest(), repr(sorted(settings.items())).encode("utf-8")]
        for name in sorted(set(rule_files)):
            parts += [name.encode("utf-8"), _read(Path(name))]
        for path in sorted(files):
            parts += [path.encode("utf-8"), hashlib.sha256(files[path]).digest()]
        return _digest(*parts)

    def load_result(self, key: str) -> Any:
        return self._load(self.directory / "results" / f"{key}.pickle")

    def store_result(self, key: str, value: Any) -> None:
        pickled = _pickle(value)
        if pickled is not None:
            self._store(self.directory / "results" / f"{key}.pickle", pickled)
            self._prune(self.directory / "results")

    # -- entries ------------------------------------------------------------------------------
    def _load(self, path: Path) -> Any:
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        if not blob.startswith(_FORMAT) or len(blob) < len(_FORMAT) + 32:
            return None
        signature, body = blob[len(_FORMAT):len(_FORMAT) + 32], blob[len(_FORMAT) + 32:]
        if not hmac.compare_digest(signature, hmac.new(self._key, body, hashlib.sha256).digest()):
            return None
        try:
            return pickle.loads(body)
        except Exception:  # noqa: BLE001 - a damaged entry is a miss, whatever unpickling raises
            return None

    def _store(self, path: Path, pickled: bytes) -> None:
        signature = hmac.new(self._key, pickled, hashlib.sha256).digest()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(path, _FORMAT + signature + pickled)
        except OSError:
            pass  # a cache that cannot be written only costs time

    def _prune(self, directory: Path) -> None:
        try:
            entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
            for stale in entries[_KEEP_RESULTS:]:
                stale.unlink(missing_ok=True)
        except OSError:
            pass


def clean(root: Path) -> bool:
    """Remove the cache under `root`; whether there was one."""
    directory = root / CACHE_DIR
    if not directory.is_dir():
        return False
    shutil.rmtree(directory)
    return True


def _pickle(value: Any) -> Optional[bytes]:
    """Pickled bytes, or None for a value too deeply nested to pickle (then it is not cached)."""
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (RecursionError, pickle.PicklingError, TypeError):
        return None


@lru_cache(maxsize=1)
def code_digest() -> bytes:
    """pwlint's own code and the versions results depend on: a change to any retires every entry."""
    parts = [pwlint.__version__.encode(), sys.version.encode(), _libcst_version().encode()]
    package = Path(pwlint.__file__).parent
    for source in sorted(package.rglob("*.py")):
        parts += [str(source.relative_to(package)).encode(), _read(source)]
    return hashlib.sha256(b"\0".join(parts)).digest()


def _libcst_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("libcst")
    except PackageNotFoundError:
        return "unknown"


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _signing_key() -> Optional[bytes]:
    """The per-user key that signs entries, created on first use outside any project."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = base / "pwlint" / "key"
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
    except OSError:
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomic(path, os.urandom(32), mode=0o600)
        return path.read_bytes()
    except OSError:
        return None


def _write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
