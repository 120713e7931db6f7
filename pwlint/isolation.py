"""Run the work that may crash or hang on one file in worker processes, under a deadline per file.

libcst's parser is native code. Deep nesting overflows its stack and kills the whole process with
SIGSEGV (libcst issue 980), and nothing inside the process can interrupt it while it runs. So
during a scan it never runs in pwlint's own process: a worker tells the supervisor which file it
starts on, and when the worker dies or passes that file's deadline, the supervisor kills it,
records the file as `Lost` with the reason, and starts a fresh worker for the tasks still to do.
The other files' results are kept.

A task is either one file (the pool of `modelling.model_files`) or a whole analysis that names
each file as it starts on it (`scan`'s single worker); the deadline restarts at every file named,
and work that names no file ("") has none.
"""

from __future__ import annotations

import faulthandler
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence, TypeVar

Started = Callable[[str], None]  # the work calls it with each file it starts on; "" for work past the files
Work = Callable[[Any, Started], Any]  # (payload, started) -> a picklable result, in the worker
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")
_PIPE_BYTES = 1 << 20  # what a feed's pipe may hold: Linux's default limit for unprivileged processes


@dataclass(frozen=True)
class Lost:
    """A task whose worker died or ran out of time, and the file it was on ("" if none)."""

    path: str
    reason: str


def can_fork() -> bool:
    """Forked workers inherit compiled rules as they are, which cannot be pickled. Not on macOS,
    where forking a process that has touched system frameworks is unsafe."""
    return sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods()


def supervise(tasks: Sequence[tuple[str, Any]], work: Work, *, workers: int, timeout: float,
              started: Optional[Started] = None, standby: Optional["Standby"] = None) -> dict[str, Any]:
    """Each task's result by key, or `Lost`. `work` must be a module-level function unless
    `can_fork()`; `started` hears of every file a worker starts on. A `standby` worker (forked
    with the same `work`) takes the first task."""
    supervisor = _Supervisor(work, timeout, started)
    if standby is not None and standby.worker is not None:
        supervisor.workers.append(standby.worker)
        standby.worker = None  # the supervisor stops it now
    try:
        return supervisor.run(list(tasks), max(1, workers))
    finally:
        supervisor.close()


class Standby:
    """A worker forked before its task is known, which runs `warm` (imports libcst, builds the
    engine) while pwlint is still choosing the files to parse: on two CPUs the import no longer
    waits for the prefilter. `supervise` gives it the first task; `close` stops it if none comes."""

    def __init__(self, work: Work, warm: Callable[[], None], feed: Optional["Feed"] = None) -> None:
        self.worker: Optional[_Worker] = _start(_context(), work, warm, feed)

    def close(self) -> None:
        if self.worker is not None:
            _stop(self.worker)
            self.worker = None


class Feed:
    """Items made in a helper process and read in order by a `Standby` worker: work that can run
    beside the worker's own. The single worker of a scan parses with libcst while the helper
    slices the next files with `ast` (`slicing.py`), which on two CPUs takes a third of the work
    off the worker. The helper is forked from pwlint's process once its inputs are known, after
    the worker; a helper that dies or fails only ends the stream early, and the worker does the
    rest itself, so a feed changes how long a scan takes, never its result."""

    def __init__(self) -> None:  # before the worker is forked, which inherits the reading end
        self._reader, self._writer = _context().Pipe(duplex=False)
        _widen(self._writer)
        self._process: Any = None
        self._attached = False

    def attach(self) -> None:
        """In the worker: only the helper may hold the writing end, so its death ends the stream."""
        self._writer.close()
        self._attached = True

    def start(self, items: Callable[[], Iterable[Any]]) -> None:
        """In pwlint's process: fork the helper, which sends what `items()` yields."""
        self._process = _context().Process(target=_produce, args=(self._reader, self._writer, items), daemon=True)
        self._process.start()
        self._writer.close()
        self._reader.close()

    def receive(self) -> Optional[Any]:
        """The next item; None once the stream has ended, and in any process but the attached worker."""
        if not self._attached:
            return None
        try:
            return self._reader.recv()
        except Exception:  # noqa: BLE001 - an end, a cut message or a helper's failure: the stream is over
            self._attached = False
            return None

    def close(self) -> None:
        self._writer.close()
        self._reader.close()
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join()


def _widen(end: Connection) -> None:
    """Let the pipe hold up to 1 MiB (Linux; elsewhere it stays as it is). A slice is often larger
    than the default 64 KiB, so the helper could run only one item ahead: where the worker met a
    run of files it parses faster than they are sliced (large test modules sliced to a fifth), it
    waited, 0.2 s on Django with its tests, though the helper's work is a third of its own."""
    try:
        import fcntl  # not on Windows, which never forks a feed

        fcntl.fcntl(end.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
    except (ImportError, AttributeError, OSError):  # not Linux, or above `/proc/sys/fs/pipe-max-size`
        pass


def _produce(reader: Connection, writer: Connection, items: Callable[[], Iterable[Any]]) -> None:
    """A feed's helper: sends each item, and ends the stream at the first failure, which the
    worker then meets (and reports) itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    faulthandler.disable()
    reader.close()
    collect_rarely()  # `ast` trees are as many small objects as libcst's, if shorter-lived
    try:
        for item in items():
            writer.send(item)
    except Exception:  # noqa: BLE001,S110 - see the docstring: the worker does this item again
        pass


@dataclass
class _Worker:
    process: Any  # multiprocessing.Process
    connection: Connection
    key: Optional[str] = None  # the task it works on; None when idle
    path: str = ""  # the file it said it started on
    deadline: Optional[float] = None


class _Supervisor:
    def __init__(self, work: Work, timeout: float, started: Optional[Started]) -> None:
        self.work, self.timeout, self.started = work, timeout, started
        self.context = _context()
        self.workers: list[_Worker] = []
        self.results: dict[str, Any] = {}

    def run(self, todo: list[tuple[str, Any]], size: int) -> dict[str, Any]:
        todo.reverse()
        while todo or self._busy():
            for worker in [w for w in self.workers if w.key is None][: len(todo)]:
                self._assign(worker, todo.pop())
            while todo and len(self.workers) < size:
                self._assign(self._spawn(), todo.pop())
            self._wait()
        return self.results

    def _busy(self) -> list[_Worker]:
        return [worker for worker in self.workers if worker.key is not None]

    def _spawn(self) -> _Worker:
        worker = _start(self.context, self.work, None)
        self.workers.append(worker)
        return worker

    def _assign(self, worker: _Worker, task: tuple[str, Any]) -> None:
        worker.key, worker.path, worker.deadline = task[0], "", None
        try:
            worker.connection.send(task)
        except OSError:  # it died idle; the wait below notices and the task is retried on another
            pass

    def _wait(self) -> None:
        busy = self._busy()
        now = time.monotonic()
        deadlines = [w.deadline for w in busy if w.deadline is not None]
        pause = max(0.0, min(deadlines) - now) if deadlines else None
        ready = set(wait([w.connection for w in busy] + [w.process.sentinel for w in busy], pause))
        for worker in busy:
            if worker.connection in ready or worker.process.sentinel in ready:
                self._hear(worker)
            elif worker.deadline is not None and time.monotonic() >= worker.deadline:
                self._end(worker, f"took longer than {self.timeout:g} s (the `timeout` setting)")

    def _hear(self, worker: _Worker) -> None:
        """Read what the worker said; a worker whose pipe ends has died, on its current file."""
        try:
            while worker.connection.poll():
                kind, *said = worker.connection.recv()
                if kind == "start":
                    self._starts(worker, said[0])
                else:  # "done" or "failed": the worker now waits for its next task
                    key, value = said
                    self.results[key] = value if kind == "done" else Lost(worker.path, value)
                    worker.key, worker.path, worker.deadline = None, "", None
        except (EOFError, OSError):
            pass
        if not worker.process.is_alive():
            worker.process.join()
            self._end(worker, _death(worker.process.exitcode or 0))

    def _starts(self, worker: _Worker, path: str) -> None:
        worker.path = path
        worker.deadline = time.monotonic() + self.timeout if path else None
        if self.started is not None:
            self.started(path)

    def _end(self, worker: _Worker, reason: str) -> None:
        """Record the worker's task as lost on its current file, and retire the worker."""
        if worker.key is not None:
            self.results[worker.key] = Lost(worker.path, reason)
        _stop(worker)
        self.workers.remove(worker)

    def close(self) -> None:
        for worker in self.workers:
            _stop(worker)
        self.workers.clear()


def cpus() -> int:
    """The CPUs this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def halved(items: Sequence[_Item], work: Callable[[Sequence[_Item]], list[_Result]],
           weight: Callable[[_Item], int], least: int) -> list[_Result]:
    """`work(items)`: one result per item, in their order. When two CPUs are free and the items
    weigh at least `least`, about half the weight is done in a forked child, which inherits the
    items and all they refer to as they are (the rules over every model, which cannot be
    pickled cheaply) and sends back only its results. A child that fails or dies leaves its half
    to be done here, so halving changes how long the work takes, never its results."""
    weights = [weight(item) for item in items]
    if len(items) < 2 or sum(weights) < least or cpus() < 2 or not can_fork():
        return work(items)
    ours: list[int] = []
    theirs: list[int] = []
    loads = [0, 0]
    for index in sorted(range(len(items)), key=lambda index: -weights[index]):
        side = 0 if loads[0] <= loads[1] else 1
        (ours, theirs)[side].append(index)
        loads[side] += weights[index]
    ours.sort()
    theirs.sort()
    reading, writing = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's coverage is not collected
        _serve_half(reading, writing, lambda: work([items[index] for index in theirs]))
    os.close(writing)
    with os.fdopen(reading, "rb") as stream:
        try:
            done = work([items[index] for index in ours])
            sent = stream.read()
        except BaseException:  # Ctrl-C, or a bug the child would meet too: stop it
            os.kill(child, signal.SIGKILL)
            raise
        finally:
            os.waitpid(child, 0)
    received = _unpickled(sent)
    if not isinstance(received, list) or len(received) != len(theirs):
        received = work([items[index] for index in theirs])
    results: dict[int, _Result] = dict(zip(ours, done))
    results.update(zip(theirs, received))
    return [results[index] for index in range(len(items))]


def _serve_half(reading: int, writing: int, work: Callable[[], Any]) -> None:
    """The forked child of `halved`: its results down the pipe, then out, whatever happens."""
    status = 1
    try:
        os.close(reading)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        collect_rarely()
        payload = pickle.dumps(work(), pickle.HIGHEST_PROTOCOL)
        with os.fdopen(writing, "wb") as stream:
            stream.write(payload)
        status = 0
    finally:
        os._exit(status)


def _unpickled(sent: bytes) -> Any:
    try:
        return pickle.loads(sent) if sent else None
    except Exception:  # noqa: BLE001 - a cut or garbled message: the half is done again here
        return None


def collect_rarely() -> None:
    """For a process that holds libcst trees. They are millions of small nodes that live until the
    scan ends and form almost no cycles, and at the default threshold (700 allocations) the
    collector ran some 3,000 times, 15 of them over the whole heap: 36 % of a scan of Django 5.1.4
    with its tests (2.6 s of 7.4 s), 15 % in the default scope. mypy, which holds trees the same
    way, collects after 200,000 allocations; so does pwlint, for a few MB of cycles kept longer
    (peak RSS 181 MB before, 183 MB after, with the tests)."""
    gc.set_threshold(200_000, 30, 30)


@contextmanager
def uncollected() -> Iterator[None]:
    """No garbage collection while the models are made: each file's tree and model live until the
    scan ends, so a collection in between only walks objects that stay (Django 5.1.4 with its
    tests: 0.2 s of 2.5 s), and parsing leaves next to no cycles to wait for the end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _context() -> Any:
    return multiprocessing.get_context("fork" if can_fork() else "spawn")


def _start(context: Any, work: Work, warm: Optional[Callable[[], None]], feed: Optional[Feed] = None) -> _Worker:
    sys.stdout.flush()  # a forked child must not inherit, and later flush, half a report
    sys.stderr.flush()
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs, work, warm, feed), daemon=True)
    process.start()
    theirs.close()  # else our copy keeps the pipe open and a dead worker is never noticed
    return _Worker(process, ours)


def _stop(worker: _Worker) -> None:
    try:
        worker.connection.close()
    except OSError:
        pass
    if worker.process.is_alive():
        worker.process.kill()
    worker.process.join()


def _death(exitcode: int) -> str:
    if exitcode < 0:
        try:
            return f"the parser process was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"the parser process was killed by signal {-exitcode}"
    return f"the parser process exited with code {exitcode}"


def _serve(connection: Connection, work: Work, warm: Optional[Callable[[], None]] = None,
           feed: Optional[Feed] = None) -> None:
    """A worker's loop: a task in, its result out, until the supervisor closes the pipe."""
    if feed is not None:
        feed.attach()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the supervisor's to handle; it ends us
    faulthandler.disable()  # a crash is the supervisor's to report, in one line, not as a traceback
    collect_rarely()
    if warm is not None:
        warm()

    def started(path: str) -> None:
        connection.send(("start", path))

    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return
        key, payload = task
        try:
            connection.send(("done", key, work(payload, started)))
        except Exception as error:  # noqa: BLE001 - a bug on one file must not cost the others
            connection.send(("failed", key, f"pwlint failed: {type(error).__name__}: {error}"))
