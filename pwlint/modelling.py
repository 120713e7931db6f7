"""Turn the chosen files into module models, in worker processes or here.

Parsing with libcst is the costly part of a scan and each file's model depends only on its own
bytes, so this is the stage that runs in parallel (`--jobs`). Workers send a model back pickled.
Results come back in path order whatever the number of workers, so output never depends on `--jobs`.

Models are not kept between runs: pickling one costs about half its parse and loading it back a
third, so a cache of models made a first run 60% slower (Django 5.1.4: 12.0 s instead of 7.3 s)
to save a tenth on the next partial run. The result cache (`cache.py`) keeps whole scans instead.
"""

from __future__ import annotations

import os
import pickle
from typing import TYPE_CHECKING, Callable, Mapping, Optional, Union

from pwlint.findings import FileProblem
from pwlint.isolation import Lost, Started, supervise

if TYPE_CHECKING:
    from pwlint.names import ModuleModel
    from pwlint.prefilter import Focus

Outcome = Union["ModuleModel", FileProblem]
Progress = Callable[[int, int], None]

# Below this many files to parse, a pool of workers costs more than it saves.
PARALLEL_FROM = 8


def default_jobs() -> int:
    """One worker per CPU, from three CPUs up. A parsed tree goes back to the main process pickled,
    which costs about half its parse; on two CPUs that eats the gain (Django 5.1.4: 1.7 s with one
    worker, 2.1 s with two; with its tests 8.2 s and 9.1 s), so there one worker does it all."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cpus if cpus >= 3 else 1


def model_files(files: Mapping[str, bytes], focus: Optional["Focus"], jobs: int, timeout: float,
                progress: Optional[Progress] = None) -> list[Outcome]:
    """A model or a problem for each file, in path order, each file parsed in an isolated worker
    (`isolation.py`) so that a parser crash or hang costs that file alone."""
    paths = sorted(files)
    if progress is not None:
        progress(0, len(paths))
    tasks = [(path, (path, files[path], focus)) for path in paths]
    made = supervise(tasks, model_bytes, workers=min(jobs, len(paths)), timeout=timeout,
                     started=counter(progress, len(paths)))
    outcomes = [_outcome(path, files[path], focus, made[path]) for path in paths]
    if progress is not None:
        progress(len(paths), len(paths))
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


def _prepare(path: str, data: bytes, focus: Optional["Focus"]) -> Outcome:
    from pwlint.scan import prepare

    return prepare(path, data, focus)
