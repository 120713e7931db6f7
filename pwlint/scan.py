"""The pipeline, in one direction: find files, prefilter, parse, evaluate, suppress.

`Settings` is everything a scan depends on; `build_engine` loads and validates rules once;
`scan` runs the stages and hands a `ScanResult` to whichever reporter was asked for.

Two phases, because passwords cross modules: first every file the prefilter keeps is parsed and
modelled on its own (`prepare`, which depends only on the file's bytes: what worker processes and
a cache key on), then the rules run over the whole `Program` at once (`analyse_project`), so a
helper in one module sees the passwords its callers in other modules hand it.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Optional, Sequence, Union

from pwlint.discovery import (DEFAULT_EXCLUDES, DEFAULT_TEST_PATTERNS, FileSet, describe_error, discover, not_regular,
                              find_root, is_test_support, relative_posix)
from pwlint.findings import FileProblem, Finding, Observation, ScanResult
from pwlint.prefilter import Focus, Prefilter, Selection
from pwlint.ruleset import LISTS_FILE, Rule, RuleError, builtin_rules_dir, load_profiles, load_rules

if TYPE_CHECKING:  # importing the engine pulls in libcst
    from pwlint.cache import Cache
    from pwlint.isolation import Feed, Standby, Started
    from pwlint.modelling import Progress, Shelf
    from pwlint.engine import Engine, Located
    from pwlint.names import ModuleModel
    from pwlint.program import Program
    from pwlint.slicing import Slice

DEFAULT_PROFILE = "owasp-2026"
# libcst needs about 7 s and 1 GB of memory per MB of dense generated code (measured), and files
# over 1 MB are almost always generated data; Semgrep's default limit is the same.
DEFAULT_MAX_FILE_SIZE = 1_000_000
DEFAULT_TIMEOUT = 60.0  # seconds; 1 MB of dense code parses in about 8 s


@dataclass
class Settings:
    paths: Sequence[str] = (".",)
    exclude: Sequence[str] = ()
    include_tests: bool = False
    test_patterns: Sequence[str] = DEFAULT_TEST_PATTERNS
    respect_gitignore: bool = True
    force_exclude: bool = False
    profile: str = DEFAULT_PROFILE
    rule_dirs: Sequence[Path] = ()
    builtin_rules: bool = True
    select: Sequence[str] = ()  # rule ids or id prefixes; empty means all
    ignore: Sequence[str] = ()
    prefilter: bool = True
    root: Optional[Path] = None  # finding paths are relative to it; None: discovery.find_root
    default_excludes: Sequence[str] = DEFAULT_EXCLUDES  # a configured `exclude` replaces them
    observe: bool = False  # collect evidence of compliant sites (compliance reports); never changes findings
    cache: bool = True  # keep scan results in .pwlint_cache/ at the root
    jobs: int = 0  # worker processes for parsing; 0: one per CPU
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # bytes; larger files are skipped unread; 0: no limit
    timeout: float = DEFAULT_TIMEOUT  # seconds one file may take to parse and model


@dataclass
class LoadedRules:
    """Rules and thresholds after validation, ready to build an engine from."""

    rules: list[Rule]
    thresholds: dict[str, object]
    profile: str
    profiles: list[str] = field(default_factory=list)
    known: tuple[str, ...] = ()  # every loaded rule's id, selected or not: what selectors may name


def load(settings: Settings) -> LoadedRules:
    """Load, validate and select rules and the threshold profile. Raises RuleError."""
    directories = ([builtin_rules_dir()] if settings.builtin_rules else []) + [Path(d) for d in settings.rule_dirs]
    every = load_rules(directories)
    rules = [rule for rule in every if _selected(rule.id, settings)]
    profiles = load_profiles()
    if settings.profile not in profiles:
        raise RuleError("--profile", 0, "", f"unknown profile {settings.profile!r} (known: {', '.join(profiles)})")
    for rule in rules:
        for name, line in rule.thresholds:
            if name not in profiles[settings.profile]:
                known = ", ".join(sorted(key for key in profiles[settings.profile] if key != "source"))
                raise RuleError(rule.meta.source, line, name,
                                f"profile {settings.profile} defines no threshold {name!r} (it has: {known})")
    return LoadedRules(rules, profiles[settings.profile], settings.profile, sorted(profiles),
                       tuple(sorted(rule.id for rule in every)))


def _selected(rule_id: str, settings: Settings) -> bool:
    chosen = not settings.select or any(rule_id.startswith(prefix) for prefix in settings.select)
    return chosen and not any(rule_id.startswith(prefix) for prefix in settings.ignore)


def build_engine(loaded: LoadedRules) -> "Engine":
    from pwlint.engine import Engine  # libcst comes with it; `rules` and `explain` never need it

    return Engine(loaded.rules, loaded.thresholds, loaded.profile)


def prepare(path: str, data: bytes, focus: Optional["Focus"] = None,
            sliced: Optional["Slice"] = None) -> Union["ModuleModel", FileProblem]:
    """Parse one file and build its model; depends on nothing but the bytes, the path and the
    prefilter's focus (what within the file is worth parsing), of which `sliced` is made."""
    from pwlint import parsing
    from pwlint.names import build_model

    source = parsing.parse(path, data, focus, sliced)
    if isinstance(source, FileProblem):
        return source
    try:
        return build_model(source.module, path, source.lines, source.layout)
    except RecursionError:
        return FileProblem(path, 1, 1, "cannot analyse: expressions nested too deeply")


def analyse_project(models: Sequence["ModuleModel"], engine: "Engine",
                    observations: Optional[list[Observation]] = None,
                    problems: Optional[list[FileProblem]] = None) -> list[Finding]:
    """Run the rules over every parsed module at once, so flows between them are seen. Evidence of
    compliant sites goes to `observations` when a list is given; rule patterns that ran out of time
    on a file (`rule_regex.py`) and files nested too deeply to evaluate go to `problems`.

    A finding may sit in another module than the one whose rule site matched (where a password was
    handed to a helper), so suppression comments are read per finding's own file."""
    from pwlint import suppressions
    from pwlint.isolation import halved
    from pwlint.program import Program

    program = Program(models)
    located = {}
    evaluated = halved(models, lambda part: _evaluate(part, engine, program, observations is not None),
                       lambda model: len(model.sites), _HALVED_FROM)
    for items, observed, failures in evaluated:
        for item in items:
            located.setdefault((item.finding.path, item.finding.region, item.finding.rule_id), item)
        if observations is not None:
            observations += observed
        if problems is not None:
            problems += [FileProblem(path, 1, 1, message) for path, message in failures]
    lines = {model.path: model.lines for model in models}
    by_path: dict[str, list[Located]] = {}
    for item in located.values():
        by_path.setdefault(item.finding.path, []).append(item)
    aliases = {rule.meta.id: rule.meta.aliases for rule in engine.rules}
    return [finding for path, items in by_path.items() for finding in suppressions.apply(items, lines[path], aliases)]


# Sites from which the rules run in two processes on two CPUs (`isolation.halved`): Django 5.1.4
# has about 4,700 in its default scope and 18,000 with its tests; forking costs some 10 ms.
_HALVED_FROM = 4000


def _evaluate(models: Sequence["ModuleModel"], engine: "Engine", program: "Program", observe: bool,
              ) -> list[tuple[list[Located], list[Observation], list[tuple[str, str]]]]:
    """Each module's findings, observations (if `observe`) and problems: rule patterns that ran out
    of time on it (`rule_regex.py`), or expressions nested too deeply to evaluate."""
    from pwlint.rule_regex import bounded

    results = []
    with bounded() as watch:
        for model in models:
            watch.enter(model.path)
            known = len(watch.problems)
            observed: list[Observation] = []
            try:
                items = engine.evaluate(model, program, observed if observe else None)
            except RecursionError:  # an expression nested past what the rules (or libcst) can walk
                items = []
                watch.problems.append((model.path, "cannot analyse: expressions nested too deeply"))
            results.append((items, observed, watch.problems[known:]))
    return results


def analyse(path: str, data: bytes, engine: "Engine", prefilter: Prefilter,
            observations: Optional[list[Observation]] = None) -> Union[list[Finding], FileProblem, None]:
    """Findings for one file on its own; None when the prefilter proves there can be none."""
    selection = prefilter.select({path: data})
    if path not in selection.paths:
        return None
    model = prepare(path, data, selection.focus)
    return model if isinstance(model, FileProblem) else analyse_project([model], engine, observations)


def discover_files(settings: Settings) -> FileSet:
    """The files a scan with `settings` reads; `FileSet.root` is what finding paths are relative to."""
    return discover(
        settings.paths, root=settings.root or find_root(settings.paths), exclude=settings.exclude,
        include_tests=settings.include_tests, test_patterns=settings.test_patterns,
        respect_gitignore=settings.respect_gitignore, force_exclude=settings.force_exclude,
        default_excludes=settings.default_excludes,
    )


def scan(settings: Settings, loaded: LoadedRules, progress: Optional["Progress"] = None) -> ScanResult:
    """Scan the files `settings` names. `progress(done, total)` hears about files being parsed."""
    ahead = _Ahead(settings, loaded)
    try:
        return _scan(settings, loaded, progress, ahead)
    finally:
        ahead.close()


def _scan(settings: Settings, loaded: LoadedRules, progress: Optional["Progress"], ahead: "_Ahead") -> ScanResult:
    files = discover_files(settings)
    root = files.root
    result = ScanResult(str(root), [], [rule.meta for rule in loaded.rules], list(files.problems),
                        skipped_tests=len(files.skipped_tests), excluded=files.excluded, profile=loaded.profile)
    contents: dict[str, bytes] = {}
    for path in files.files:
        relative = relative_posix(path, root)
        read = read_source(path, settings.max_file_size)
        if isinstance(read, bytes) and not settings.include_tests and is_test_support(read):
            result.skipped_tests += 1
        elif isinstance(read, bytes):
            contents[relative] = read
        else:
            result.problems.append(FileProblem(relative, 0, 0, read))
    result.files_scanned = len(contents)
    result.sources = contents
    cache = _open_cache(settings, root) if contents else None
    digests = cache.digests(contents) if cache is not None else {}
    key = cache.result_key(_rule_files(loaded), _result_settings(settings, loaded), digests) if cache else ""
    cached = cache.load_result(key) if cache is not None else None
    if isinstance(cached, _Analysed):
        cached.fill(result)
    elif contents:
        analysed = _analyse_files(settings, loaded, contents, progress, ahead, cache, digests)
        analysed.fill(result)
        if cache is not None:
            cache.store_result(key, analysed)
    result.findings.sort()
    result.problems.sort()
    result.observations.sort()
    return result


def read_source(path: Path, limit: int) -> Union[bytes, str]:
    """The file's bytes, or why they were not read. Opened without blocking and checked after
    opening, so a FIFO or device put in a file's place never stalls the scan, and a file is read
    at most to the size limit (`limit` 0: none), even one that grows while it is read."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    try:
        handle = os.open(path, flags)
    except OSError as error:
        return f"cannot read: {describe_error(error)}"
    try:
        status = os.fstat(handle)
        if not stat.S_ISREG(status.st_mode):
            return not_regular(status.st_mode)
        if limit and status.st_size > limit:
            return too_large(status.st_size, limit)
        chunks, size = [], 0
        while not limit or size <= limit:
            chunk = os.read(handle, (limit + 1 - size) if limit else 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks) if not limit or size <= limit else too_large(size, limit)
    except OSError as error:
        return f"cannot read: {describe_error(error)}"
    finally:
        os.close(handle)


def too_large(size: int, limit: int) -> str:
    return f"{format_size(size)}, over the size limit of {format_size(limit)} (max-file-size)"


def format_size(size: int) -> str:
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


@dataclass
class _Analysed:
    """What the analysis of a set of files produced: the part of a scan the result cache keeps."""

    findings: list[Finding]
    problems: list[FileProblem]
    files_parsed: int
    observations: list[Observation]

    def fill(self, result: ScanResult) -> None:
        result.findings += self.findings
        result.problems += self.problems
        result.files_parsed = self.files_parsed
        result.observations += self.observations


class _Ahead:
    """The single worker and its feed, started before the scan knows it will need them: with one
    job (and `fork`), the worker is forked as the scan starts and imports libcst (a fifth of a
    second) while pwlint finds, reads and chooses the files. `close` stops what went unused (a
    scan answered from the cache, or with nothing to parse)."""

    def __init__(self, settings: Settings, loaded: LoadedRules) -> None:
        from pwlint.isolation import Feed, Standby, can_fork
        from pwlint.modelling import default_jobs

        one = can_fork() and (settings.jobs or default_jobs()) == 1
        self.feed = Feed() if one else None
        self.single = _SingleWorker(loaded, settings.observe, self.feed)
        self.standby = Standby(self.single.work, self.single.warm, self.feed) if one else None

    def close(self) -> None:
        if self.standby is not None:
            self.standby.close()
        if self.feed is not None:
            self.feed.close()


def _analyse_files(settings: Settings, loaded: LoadedRules, contents: dict[str, bytes],
                   progress: Optional["Progress"], ahead: _Ahead, cache: Optional["Cache"] = None,
                   digests: Optional[dict[str, bytes]] = None) -> _Analysed:
    """Parse and analyse the files the prefilter keeps, never in this process (`isolation.py`).

    The analysis depends on nothing but the files kept and what the prefilter hands the slicing,
    so it is also cached under those: an edit to a file that names no password and no token (most
    edits) is answered from the cache after the prefilter, without a parse.

    A few files, or one job: the whole analysis runs in one forked worker, which hands back only
    findings, so nothing costs more than a fork. If that worker crashes or hangs on a file, the
    file is recorded and the others are parsed again, one isolated worker per file. Many files
    and several jobs: a pool of workers parses them and the rules run here. With one job, the
    worker was forked as the scan started (`_Ahead`); once the files are chosen, a helper process
    slices them with `ast` and feeds the worker, which parses them with libcst as they come
    (`isolation.Feed`)."""
    from pwlint.isolation import can_fork
    from pwlint.modelling import PARALLEL_FROM, Shelf, default_jobs

    jobs = settings.jobs or default_jobs()
    patterns = [pattern for rule in loaded.rules for pattern in rule.patterns]
    if settings.observe:
        patterns += [observer.pattern for rule in loaded.rules for observer in rule.observers]
    selection = _select(Prefilter(patterns, enabled=settings.prefilter), contents, cache, digests or {})
    files = {path: contents[path] for path in sorted(selection.paths)}
    if not files:
        return _Analysed([], [], 0, [])
    focus = selection.focus
    chosen = {**_result_settings(settings, loaded), "called": sorted(focus.called) if focus else None,
              "bases": sorted(focus.bases) if focus else None, "setters": sorted(focus.setters) if focus else None}
    chosen_digests = {path: digests[path] for path in files} if digests else {}
    key = cache.result_key(_rule_files(loaded), chosen, chosen_digests) if cache is not None else ""
    cached = cache.load_result(key) if cache is not None else None
    if isinstance(cached, _Analysed):
        return cached
    shelf = Shelf.of(cache, files, chosen_digests, focus) if cache is not None else None
    if can_fork() and (jobs == 1 or len(files) < PARALLEL_FROM):
        if ahead.feed is not None:
            ahead.feed.start(partial(_slices, {path: data for path, data in files.items()
                                               if shelf is None or path not in shelf.stored}, focus))
        analysed = _analyse_in_worker(settings, loaded, files, focus, shelf, progress, ahead.single, ahead.standby)
    else:
        analysed = _analyse_pooled(settings, loaded, files, focus, shelf, jobs, progress)
    if cache is not None:
        cache.store_result(key, analysed)
    return analysed


def _select(prefilter: Prefilter, contents: dict[str, bytes], cache: Optional["Cache"],
            digests: dict[str, bytes]) -> Selection:
    """The prefilter's choice, with the facts of unchanged files from the cache, which keeps those
    of this run's files for the next."""
    if cache is None or not prefilter.enabled:
        return prefilter.select(contents)
    fingerprint = prefilter.fingerprint
    known = cache.load_facts(fingerprint)
    before = len(known)
    selection = prefilter.select(contents, known, digests)
    if len(known) != before or len(known) != len(set(digests.values())):  # new facts, or those of files gone
        cache.store_facts(fingerprint, {digest: known[digest] for digest in digests.values()})
    return selection


def _slices(files: dict[str, bytes], focus: Optional[Focus]) -> Iterator[tuple[str, Optional["Slice"]]]:
    """What a feed's helper sends the single worker: each file's slice, in the worker's order."""
    from pwlint.parsing import slice_file

    for path, data in files.items():
        yield path, slice_file(data, focus)


class _SingleWorker:
    """What the single worker runs: the whole analysis of the files a task names. Its engine is
    built by `warm`, in a worker forked ahead of its task (`isolation.Standby`), or on first need.
    Slices come from the `feed` while it lasts; the worker makes the others itself."""

    def __init__(self, loaded: LoadedRules, observe: bool, feed: Optional["Feed"] = None) -> None:
        self.loaded, self.observe, self.feed = loaded, observe, feed
        self.engine: Optional["Engine"] = None

    def warm(self) -> None:
        self.engine = build_engine(self.loaded)

    def work(self, task: tuple[dict[str, bytes], Optional[Focus], Optional["Shelf"]],
             started: "Started") -> _Analysed:
        if self.engine is None:
            self.warm()
        files, focus, shelf = task
        return _analyse_here(self.engine, files, focus, self.observe, started, self._sliced, shelf)

    def _sliced(self, path: str) -> Optional["Slice"]:
        """The feed's next slice, which must be `path`'s: it slices the files the shelf lacks, in order."""
        item = self.feed.receive() if self.feed is not None else None
        if item is None or item[0] != path:
            self.feed = None
            return None
        return item[1]


def _analyse_in_worker(settings: Settings, loaded: LoadedRules, files: dict[str, bytes], focus: Optional[Focus],
                       shelf: Optional["Shelf"], progress: Optional["Progress"], single: _SingleWorker,
                       standby: Optional["Standby"]) -> _Analysed:
    from pwlint.isolation import Lost, supervise
    from pwlint.modelling import counter, lost_problem

    if progress is not None:
        progress(0, len(files))
    outcome = supervise([("scan", (files, focus, shelf))], single.work, workers=1, timeout=settings.timeout,
                        started=counter(progress, len(files)), standby=standby)["scan"]
    if not isinstance(outcome, Lost):
        return outcome
    rest = {path: data for path, data in files.items() if path != outcome.path}
    analysed = _analyse_pooled(settings, loaded, rest, focus, shelf, 1, progress)
    if outcome.path:
        analysed.problems.append(lost_problem(outcome.path, outcome.reason))
    return analysed


def _analyse_here(engine: "Engine", files: dict[str, bytes], focus: Optional[Focus], observe: bool,
                  started: "Started", sliced: Callable[[str], Optional["Slice"]],
                  shelf: Optional["Shelf"]) -> _Analysed:
    """The whole analysis in this process: what the single worker runs. Models come from the
    `shelf` where it holds them, and the others are parsed (and kept there), with the slice
    `sliced` gives if it was made elsewhere."""
    from pwlint.isolation import uncollected

    models, problems = [], []
    with uncollected():
        for path, data in files.items():
            started(path)
            outcome = shelf.load(path) if shelf is not None else None
            if outcome is None:
                damaged = shelf is not None and path in shelf.stored  # the feed did not slice it: it was to be loaded
                outcome = prepare(path, data, focus, None if damaged else sliced(path))
                if shelf is not None:
                    shelf.keep(path, outcome)
            (problems if isinstance(outcome, FileProblem) else models).append(outcome)
    started("")
    if shelf is not None:
        shelf.prune()
    observations: list[Observation] = []
    findings = analyse_project(models, engine, observations if observe else None, problems)
    return _Analysed(findings, problems, len(models), observations)


def _analyse_pooled(settings: Settings, loaded: LoadedRules, files: dict[str, bytes], focus: Optional[Focus],
                    shelf: Optional["Shelf"], jobs: int, progress: Optional["Progress"]) -> _Analysed:
    from pwlint.isolation import collect_rarely
    from pwlint.modelling import model_files

    collect_rarely()  # the models come back here, and the rules run over them here
    engine = build_engine(loaded)  # before the workers start, so forked ones inherit libcst
    outcomes = model_files(files, focus, jobs, settings.timeout, progress, shelf)
    models = [outcome for outcome in outcomes if not isinstance(outcome, FileProblem)]
    problems = [outcome for outcome in outcomes if isinstance(outcome, FileProblem)]
    observations: list[Observation] = []
    findings = analyse_project(models, engine, observations if settings.observe else None, problems)
    return _Analysed(findings, problems, len(models), observations)


def _open_cache(settings: Settings, root: Path) -> Optional["Cache"]:
    if not settings.cache:
        return None
    from pwlint.cache import Cache

    return Cache.open(root)


def _rule_files(loaded: LoadedRules) -> list[str]:
    """The files a result depends on besides the scanned ones: each rule and its folder's name lists."""
    sources = [rule.meta.source for rule in loaded.rules]
    return sources + [str(Path(source).parent / LISTS_FILE) for source in sources]


def _result_settings(settings: Settings, loaded: LoadedRules) -> dict[str, object]:
    """The settings that change findings, beyond the file set and the rule files."""
    return {"rules": [rule.id for rule in loaded.rules], "profile": loaded.profile,
            "thresholds": repr(sorted(loaded.thresholds.items())), "prefilter": settings.prefilter,
            "observe": settings.observe}
