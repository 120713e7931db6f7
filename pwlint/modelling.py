"""Turn the chosen files into module models, in worker processes or here.

Parsing with libcst is the costly part of a scan and each file's model depends only on its own
bytes, so this is the stage that runs in parallel (`--jobs`). Workers send a model back pickled.
Results come back in path order whatever the number of workers, so output never depends on `--jobs`.

A `Shelf` reads a file's model from the cache when the same bytes were sliced for the same focus
before, and keeps the ones parsed once the project is scanned again (`cache.Cache.established`):
on Django 5.1.4, pickling the 57 models costs 0.27 s and loading them back 0.16 s, against 0.68 s
to parse them.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping, Optional, Union

from pwlint.findings import FileProblem
from pwlint.isolation import Lost, Started, cpus, supervise

if TYPE_CHECKING:
    from pwlint.cache import Cache
    from pwlint.names import ModuleModel
    from pwlint.prefilter import Focus

Outcome = Union["ModuleModel", FileProblem]
Progress = Callable[[int, int], None]

# Below this many files to parse, a pool of workers costs more than it saves.
PARALLEL_FROM = 8


def default_jobs() -> int:
    """One worker per CPU, from three CPUs up. A parsed tree goes back to the main process pickled,
    which costs a third of its parse; on two CPUs that eats the gain, and one worker with a helper
    that slices ahead of it (`isolation.Feed`) does better (Django 5.1.4: 1.00 s against 1.39 s
    with two workers; ansible-core 2.61 s against 3.60 s)."""
    available = cpus()
    return available if available >= 3 else 1


def model_files(files: Mapping[str, bytes], focus: Optional["Focus"], jobs: int, timeout: float,
                progress: Optional[Progress] = None, shelf: Optional["Shelf"] = None) -> list[Outcome]:
    """A model or a problem for each file, in path order: from the `shelf` where it holds one,
    else parsed in an isolated worker (`isolation.py`) so that a parser crash or hang costs that
    file alone, and then kept on the shelf as the worker pickled it."""
    paths = sorted(files)
    shelved = {path: shelf.load(path) for path in paths} if shelf is not None else {}
    todo = [path for path in paths if shelved.get(path) is None]
    if progress is not None:
        progress(0, len(todo))
    tasks = [(path, (path, files[path], focus)) for path in todo]
    made = supervise(tasks, model_bytes, workers=max(1, min(jobs, len(todo))), timeout=timeout,
                     started=counter(progress, len(todo)))
    if shelf is not None:
        for path in todo:
            shelf.keep(path, made[path] if isinstance(made[path], bytes) else None)
        shelf.prune()
    outcomes = [shelved.get(path) or _outcome(path, files[path], focus, made[path]) for path in paths]
    if progress is not None:
        progress(len(todo), len(todo))
    return outcomes


def counter(progress: Optional[Progress], total: int) -> Optional[Started]:
    """Progress counts files as workers start on them; "" (past the files) is the analysis."""
    if progress is None:
        return None
    done = [0]

    def started(path: str) -> None:
        progress(done[0] if path else total, total)
        done[0] += 1

    return started


def _outcome(path: str, data: bytes, focus: Optional["Focus"], made: Union[bytes, Outcome, Lost, None]) -> Outcome:
    if isinstance(made, Lost):
        return lost_problem(path, made.reason)
    if isinstance(made, bytes):
        return pickle.loads(made)
    # a problem, or a model too deeply nested to pickle: it parsed in time in the worker, so it is made again here
    return made or _prepare(path, data, focus)


def lost_problem(path: str, reason: str) -> FileProblem:
    return FileProblem(path, 1, 1, f"cannot parse: {reason}")


def model_bytes(item: tuple[str, bytes, Optional["Focus"]], started: Started) -> Union[bytes, FileProblem, None]:
    """One file's model, pickled; a problem as it is; None for a model too deeply nested to pickle."""
    path, data, focus = item
    started(path)
    outcome = _prepare(path, data, focus)
    if isinstance(outcome, FileProblem):
        return outcome
    try:
        return pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except RecursionError:
        return None


@dataclass(frozen=True)
class Shelf:
    """Where the cache keeps each chosen file's model, and which of them it holds. Keys are made
    before parsing, from what the model depends on (`slicing.dependence`), so a file whose model
    is kept is neither sliced nor parsed."""

    cache: "Cache"
    keys: dict[str, str]
    stored: frozenset[str]

    @classmethod
    def of(cls, cache: "Cache", files: Mapping[str, bytes], digests: Mapping[str, bytes],
           focus: Optional["Focus"]) -> "Shelf":
        from pwlint.slicing import dependence

        keys = {path: cache.model_key(path, digests[path], dependence(data, focus)) for path, data in files.items()}
        return cls(cache, keys, frozenset(path for path, key in keys.items() if cache.holds_model(key)))

    def load(self, path: str) -> Optional["ModuleModel"]:
        return self.cache.load_model(self.keys[path]) if path in self.stored else None

    def keep(self, path: str, outcome: Union[Outcome, bytes, None]) -> None:
        """Keep a parsed model (or one a worker pickled), once the project is scanned again
        (`cache.Cache.established`)."""
        from pwlint.cache import pickled

        if not self.cache.established or outcome is None or isinstance(outcome, FileProblem):
            return
        blob = outcome if isinstance(outcome, bytes) else pickled(outcome)
        if blob is not None:
            self.cache.store_model(self.keys[path], blob)

    def prune(self) -> None:
        if self.cache.established:
            self.cache.prune_models(len(self.keys))


def _prepare(path: str, data: bytes, focus: Optional["Focus"]) -> Outcome:
    from pwlint.scan import prepare

    return prepare(path, data, focus)
