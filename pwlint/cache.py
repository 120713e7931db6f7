"""What a scan keeps between runs, in `.pwlint_cache/` at the project root.

A whole scan's findings, keyed by pwlint's own code (and the libcst and Python versions), the rules
(their files' bytes), the profile and settings that change findings, and every scanned file's
path and bytes. A run in which nothing changed is answered from here without building an engine
or importing libcst. Any change to any file, a helper included, misses: rules always run over
the whole project, so flows across modules stay right (editing a helper changes the findings in
the modules that call it).

Each file's model (`names.ModuleModel`, its libcst tree included) is kept too, keyed by the code,
the file's path and bytes and what of the prefilter's focus its slice depends on
(`slicing.dependence`), which is all a model depends on, so a run after an edit parses only what
changed, and the rules still run over every model. Pickling a model costs a third of its parse, so models are written only once a project is
scanned again (`established`): a first scan, such as a CI job's on a fresh checkout, never pays
for models nobody will read. The prefilter's facts about each file (`prefilter.Facts`), keyed by
the file's digest and the rules' tokens, let a run after an edit search only the changed files.

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
_KEEP_FACTS = 8  # prefilter facts kept: one entry for each set of rules (and pwlint version) a project uses
_KEEP_MODELS = 3  # models kept: this many times the files a scan parses (branches, undone edits), at least 100


class Cache:
    """One project's cache directory, or nothing at all when it cannot be used."""

    def __init__(self, directory: Path, key: bytes, established: bool = False) -> None:
        self.directory = directory
        self._key = key
        self.established = established  # it held results before this run: the project is scanned again

    @classmethod
    def open(cls, root: Path) -> Optional["Cache"]:
        """The cache under `root`, created on first use; None if it or the signing key cannot be made."""
        key = _signing_key()
        directory = root / CACHE_DIR
        if key is None:
            return None
        try:
            established = (directory / "results").is_dir()
            (directory / "results").mkdir(parents=True, exist_ok=True)
            ignore = directory / ".gitignore"
            if not ignore.exists():
                _write_atomic(ignore, b"# written by pwlint: the whole folder is a cache\n*\n")
        except OSError:
            return None
        return cls(directory, key, established)

    # -- results ------------------------------------------------------------------------------
    @staticmethod
    def digests(files: Mapping[str, bytes]) -> dict[str, bytes]:
        """Each file's SHA-256, computed once a scan for every key that names files."""
        return {path: hashlib.sha256(data).digest() for path, data in files.items()}

    def result_key(self, rule_files: Iterable[str], settings: Mapping[str, Any], digests: Mapping[str, bytes]) -> str:
        """The key of a result over the files `digests` names."""
        parts: list[bytes] = [code_digest(), repr(sorted(settings.items())).encode("utf-8")]
        for name in sorted(set(rule_files)):
            parts += [name.encode("utf-8"), _read(Path(name))]
        for path in sorted(digests):
            parts += [path.encode("utf-8"), digests[path]]
        return _digest(*parts)

    def load_result(self, key: str) -> Any:
        return self._load(self.directory / "results" / f"{key}.pickle")

    def store_result(self, key: str, value: Any) -> None:
        blob = pickled(value)
        if blob is not None:
            self._store(self.directory / "results" / f"{key}.pickle", blob)
            self._prune(self.directory / "results", _KEEP_RESULTS)

    # -- models -------------------------------------------------------------------------------
    def model_key(self, path: str, digest: bytes, dependence: bytes) -> str:
        """A model's key: the file's path and bytes (their digest), and what else its slice depends on."""
        return _digest(code_digest(), path.encode("utf-8"), digest, dependence)

    def holds_model(self, key: str) -> bool:
        return (self.directory / "models" / f"{key}.pickle").is_file()

    def load_model(self, key: str) -> Any:
        path = self.directory / "models" / f"{key}.pickle"
        model = self._load(path)
        if model is not None:
            try:
                os.utime(path)  # in use: pruned last
            except OSError:
                pass
        return model

    def store_model(self, key: str, pickled_model: bytes) -> None:
        self._store(self.directory / "models" / f"{key}.pickle", pickled_model)

    def prune_models(self, files: int) -> None:
        self._prune(self.directory / "models", max(100, _KEEP_MODELS * files))

    # -- prefilter facts ----------------------------------------------------------------------
    def load_facts(self, fingerprint: bytes) -> dict[bytes, Any]:
        """What the prefilter learnt of each file's bytes (by digest) with these rules' tokens."""
        facts = self._load(self._facts_path(fingerprint))
        return facts if isinstance(facts, dict) else {}

    def store_facts(self, fingerprint: bytes, facts: Mapping[bytes, Any]) -> None:
        blob = pickled(dict(facts))
        if blob is not None:
            self._store(self._facts_path(fingerprint), blob)
            self._prune(self.directory / "facts", _KEEP_FACTS)

    def _facts_path(self, fingerprint: bytes) -> Path:
        return self.directory / "facts" / f"{_digest(code_digest(), fingerprint)}.pickle"

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

    def _prune(self, directory: Path, keep: int) -> None:
        try:
            entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
            for stale in entries[keep:]:
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


def pickled(value: Any) -> Optional[bytes]:
    """Pickled bytes, or None for a value too deeply nested to pickle (then it is not cached)."""
    try:
        return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (RecursionError, pickle.PicklingError, TypeError):
        return None


@lru_cache(maxsize=1)
def code_digest() -> bytes:
    """pwlint's own code and the versions results depend on: a change to any retires every entry."""
    parts = [pwlint.__version__.encode(), sys.version.encode(), _libcst_version()]
    package = Path(pwlint.__file__).parent
    for source in sorted(package.rglob("*.py")):
        parts += [str(source.relative_to(package)).encode(), _read(source)]
    return hashlib.sha256(b"\0".join(parts)).digest()


def _libcst_version() -> bytes:
    """What identifies the installed libcst: its `_version.py`, found without importing libcst.
    `importlib.metadata` would tell the same but costs 20 to 35 ms to import, a tenth of a warm run."""
    from importlib.util import find_spec

    spec = find_spec("libcst")
    if spec is None or spec.origin is None:
        return b"none"
    return _read(Path(spec.origin).parent / "_version.py") or spec.origin.encode()


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
