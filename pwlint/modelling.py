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
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Callable, Mapping, Optional, Union

from pwlint.findings import FileProblem

if TYPE_CHECKING:
    from pwlint.names import ModuleModel

Outcome = Union["ModuleModel", FileProblem]
Progress = Callable[[int, int], None]

# Below this many files to parse, starting worker processes costs more than it saves.
_PARALLEL_FROM = 8


def default_jobs() -> int:
    """One worker per CPU, from three CPUs up. A parsed tree goes back to the main process pickled,
    which costs about half its parse; on two CPUs that eats the gain (Django 5.1.4: 7.3 s in one
    process, 8.8 s with two workers), so there the default is to parse in-process."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cpus if cpus >= 3 else 1


def model_files(files: Mapping[str, bytes], jobs: int, progress: Optional[Progress] = None) -> list[Outcome]:
    """A model or a problem for each file, in path order."""
    paths = sorted(files)
    outcomes: list[Outcome] = []
    if progress is not None:
        progress(0, len(paths))
    for path, made in zip(paths, _parse(paths, files, jobs)):
        if isinstance(made, bytes):
            outcomes.append(pickle.loads(made))
        else:  # a model made here, a problem, or a model too deeply nested to pickle (made again here)
            outcomes.append(made or _prepare(path, files[path]))
        if progress is not None:
            progress(len(outcomes), len(paths))
    return outcomes


def _parse(paths: list[str], files: Mapping[str, bytes], jobs: int) -> list[Union[bytes, Outcome, None]]:
    """Parse in worker processes, or here for a handful of files or one job."""
    items = [(path, files[path]) for path in paths]
    if jobs <= 1 or len(items) < _PARALLEL_FROM:
        return [_prepare(*item) for item in items]
    with ProcessPoolExecutor(max_workers=min(jobs, len(items))) as pool:
        return list(pool.map(model_bytes, items, chunksize=max(1, len(items) // (jobs * 4))))


def model_bytes(item: tuple[str, bytes]) -> Union[bytes, FileProblem, None]:
    """One file's model, pickled; a problem as it is; None for a model too deeply nested to pickle."""
    path, data = item
    outcome = _prepare(path, data)
    if isinstance(outcome, FileProblem):
        return outcome
    try:
        return pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except RecursionError:
        return None


def _prepare(path: str, data: bytes) -> Outcome:
    from pwlint.scan import prepare

    return prepare(path, data)
