"""Command line: ``agglo run`` materialises a study in the persistent Dagster instance;
``agglo validate`` checks a study file and its inputs without running."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import gc
import io
import os
import sys
import time
from functools import cache
from pathlib import Path

from data_sources.study import StudyError, load_study, missing_inputs

EXIT_BAD_STUDY = 2
EXIT_RUN_FAILED = 1
MIN_TREND_YEARS = 3  # the Mann-Kendall trend of emerging hot spots needs 3 steps
# One year worker more than cores: the years pack better (5 demo years on 2 cores:
# 58-60 s with 3 workers, 66-75 s with 2, 63 s with 5) and a worker waiting on its
# SQLite writes leaves the core to another; at most 4 (memory, SQLite locks).
DEFAULT_JOBS = min(4, (os.cpu_count() or 1) + 1)


def _validate(study_file: str) -> int:
    """Check the study, then open every input with its reader (nothing is computed)."""
    from data_sources.interactions import read_interactions
    from data_sources.presets import read_industry_statistics
    from data_sources.regions import read_regions
    from data_sources.registry import read_registry
    from data_sources.statistics import read_statistics

    def statistics(study):
        if study.statistics is None:
            return None
        if study.industry_statistics:
            return read_industry_statistics(
                study.statistics,
                year=study.year,
                level=study.classification.level,
                scheme=study.classification.scheme,
            )
        return read_statistics(study.statistics, year=study.year)

    try:
        study = load_study(study_file)
    except StudyError as exc:
        print(exc, file=sys.stderr)
        return EXIT_BAD_STUDY
    problems = missing_inputs(study)
    if not problems:
        for label, read in (
            ("regions", lambda: read_regions(study.regions)),
            ("registry", lambda: study.registry and read_registry(study.registry)),
            ("statistics", lambda: statistics(study)),
            (
                "interactions",
                lambda: study.interactions and read_interactions(study.interactions),
            ),
        ):
            try:
                read()
            except ValueError as exc:
                problems.append(f"{label}: {exc}")
    if problems:
        print(
            f"{study_file}: the study is valid but its inputs are not:", file=sys.stderr
        )
        for line in problems:
            print(f"  - {line}", file=sys.stderr)
        return EXIT_BAD_STUDY
    print(f"{study_file}: study {study.name!r} and its inputs are valid")
    return 0


def _summary(result, elapsed: float) -> None:
    path = result.output_for_node("published_layers")
    clusters = result.output_for_node("localized_clusters")
    rejected = result.output_for_node("validate_firms", "firms_rejected")
    print(f"\nagglo: run {result.run_id} succeeded in {elapsed:.0f} s.")
    print(f"  published: {Path(path).parent}")
    print(
        f"  latest: {Path(path).parent.parent / 'latest'}  (open agglomeration.qgz "
        "in QGIS; report/index.html in a browser)"
    )
    print(f"  clusters found: {len(clusters)}")
    for row in clusters.itertuples():
        print(f"    {row.cluster_id}  industry {row.industry}  regions {row.regions}")
    print(
        f"  registry rows quarantined with a reason: {len(rejected)} "
        "(asset firms_rejected in the UI)"
    )
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            print(f"  warning: check {evaluation.check_name} did not pass")


def _failure(result, elapsed: float) -> None:
    print(
        f"\nagglo: run {result.run_id} FAILED after {elapsed:.0f} s.", file=sys.stderr
    )
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            # Dagster wraps the asset's own exception: show the innermost message
            while error is not None and error.cause is not None:
                error = error.cause
            message = error.message.strip() if error else "unknown error"
            print(f"  - step {event.step_key}: {message}", file=sys.stderr)
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed:
            print(f"  - check {evaluation.check_name} failed", file=sys.stderr)
    print("The last published layers, if any, are untouched.", file=sys.stderr)


def _execute(job, instance, partition_key: str, check_names):
    """One in-process run with the step-progress logger; a failure is reported.
    Returns the result and its seconds."""
    started = time.perf_counter()
    progress = {"total_steps": len(job.graph.nodes), "check_names": check_names}
    result = job.execute_in_process(
        instance=instance,
        partition_key=partition_key,
        raise_on_error=False,
        run_config={"loggers": {"progress": {"config": progress}}},
    )
    elapsed = time.perf_counter() - started
    if not result.success:
        _failure(result, elapsed)
    return result, elapsed


def _run_trends(defs, instance, name: str, years: list[int], check_names) -> int:
    """Cross-year assets (emerging hot spots) once every year is materialised."""
    print(f"\n== {name} trends across {years} ==", flush=True)
    job = defs.resolve_job_def("trends_job")
    result, elapsed = _execute(job, instance, name, check_names)
    if not result.success:
        return EXIT_RUN_FAILED
    patterns = result.output_for_node("emerging_hot_spots")["pattern"]
    hot = patterns[patterns.str.contains("hot", na=False)].value_counts()
    print(f"agglo: emerging hot spots in {elapsed:.0f} s: {hot.to_dict()}")
    return 0


def _ensure_partitions_know(name: str, years: list[int]) -> None:
    """Partitions are fixed when the definitions are imported. When this process
    imported them before the study was named (a notebook, a test calling `main`
    twice), import them again so the study and its years are partitions."""
    import importlib
    import sys as _sys

    partitions = _sys.modules.get("pipelines.partitions")
    if partitions is None:
        return  # not imported yet: discovery will see $AGGLO_STUDY
    keys = set(partitions.study_year_partitions.get_partition_keys())
    if {partitions.partition_key_for(name, y) for y in years} <= keys:
        return
    importlib.reload(partitions)
    # every module that decorated assets with the old partitions, then the defs
    for module in (
        "pipelines.resources",
        "pipelines.assets.ingest",
        "pipelines.assets.geocode",
        "pipelines.assets.indicators",
        "pipelines.assets.clusters",
        "pipelines.assets.ecosystem",
        "pipelines.assets.points",
        "pipelines.assets.publish",
        "pipelines.assets.trends",
        "pipelines.checks",
        "pipelines.sensors",
        "pipelines.definitions",
    ):
        if module in _sys.modules:
            importlib.reload(_sys.modules[module])


@cache
def _process_instance(pid: int, home: str):
    """The Dagster instance at ``home`` (``$DAGSTER_HOME``) of process ``pid``; its
    event log keeps its SQLite files open (`PooledSqliteEventLogStorage`) unless
    ``dagster.yaml`` configures a storage of its own."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    from pipelines.event_log import pooled_event_log_overrides

    ref = InstanceRef.from_dir(home, overrides=pooled_event_log_overrides(home))
    return dg.DagsterInstance.from_ref(ref)


def _close_event_log_files(instance) -> None:
    """Checkpoint and close the event log files this process keeps open, so a
    finished run leaves no write-ahead log beside its database."""
    close = getattr(instance.event_log_storage, "close_files", None)
    if close is not None:
        close()


def _run_year(job, name: str, check_names, instance, year: int, key: str) -> int:
    """One Dagster run of one study year, with its progress lines and summary."""
    print(f"\n== {name} {year} ==", flush=True)
    result, elapsed = _execute(job, instance, key, check_names)
    if not result.success:
        return EXIT_RUN_FAILED
    _summary(result, elapsed)
    return 0


def _can_fork() -> bool:
    """Whether year workers can be forked from this process.

    Forked workers inherit the imported pipeline, the definitions and the prepared
    study instead of paying for them again. Forking is only safe from a process
    with one thread and without a started numba thread pool (GNU OpenMP's does not
    survive a fork), which is how `agglo` starts; else the years run in turn.
    """
    import multiprocessing
    import threading

    if not sys.platform.startswith("linux"):
        return False
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    return threading.active_count() == 1 and not getattr(
        parallel, "_is_initialized", False
    )


def _warm_compiled_code() -> None:
    """Compile the analysis' numba kernels on tiny inputs, or load them from the
    cache (their first call in a process costs ~15 s without a cache, ~1 s with).

    The calls go through the same functions as the pipeline, so the compiled
    signatures are the ones the year runs look up in the cache.
    """
    import warnings

    import geopandas as gpd
    import numpy as np
    import pandas as pd
    from shapely.geometry import box

    from geo.autocorrelation import lisa_table
    from geo.points import k_density
    from geo.weights import build_weights

    ids = [f"r{i}" for i in range(16)]
    cells = gpd.GeoDataFrame(
        {"region_id": ids},
        geometry=[box(i % 4, i // 4, i % 4 + 1, i // 4 + 1) for i in range(16)],
        crs="EPSG:32616",
    )
    lq = pd.DataFrame(
        {
            "region_id": ids * 2,
            "industry": ["a"] * 16 + ["b"] * 16,
            "lq": np.random.default_rng(0).uniform(0.1, 3.0, 32),
        }
    )
    xy = np.random.default_rng(1).uniform(0, 1e4, (40, 2))
    firms = gpd.GeoDataFrame(
        {"industry": ["a"] * 10 + ["b"] * 30},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs="EPSG:32616",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        graph = build_weights(cells, "queen")
        lisa_table(lq, graph, value="lq", permutations=99, seed=1)
        k_density(firms, "a", simulations=19, seed=1)


def _warm_in_child() -> None:
    gc.enable()  # forked while `_run` imports with the collector paused
    _warm_compiled_code()


def _start_warming_compiled_code():
    """Warm the numba cache in a forked child while this process imports the
    pipeline and prepares the study: on a first run (empty cache) the year
    workers then load the kernels instead of each compiling them. Returns the
    child process, or None when this process cannot fork."""
    import multiprocessing

    if not _can_fork():
        return None
    context = multiprocessing.get_context("fork")
    child = context.Process(target=_warm_in_child, daemon=True)
    child.start()
    return child


class _Lines(io.TextIOBase):
    """A year worker's stdout or stderr: whole lines go to the parent, tagged."""

    def __init__(self, events, stream: str) -> None:
        self.events, self.stream, self.year, self._buffer = events, stream, None, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._buffer += text
        if "\n" in self._buffer:
            done, _, self._buffer = self._buffer.rpartition("\n")
            self.events.put(("text", self.year, self.stream, done + "\n"))
        return len(text)

    def flush(self) -> None:
        if self._buffer:
            self.events.put(("text", self.year, self.stream, self._buffer))
            self._buffer = ""


def _orphan_watch(events, parent: int) -> None:
    """Stop this worker's run (as Ctrl-C would) if the agglo process is gone."""
    import signal
    import threading

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        events.cancel_join_thread()  # nobody reads the queue any more
        os.kill(os.getpid(), signal.SIGINT)  # Dagster ends the run as interrupted
        time.sleep(30.0)
        os._exit(EXIT_RUN_FAILED)

    # a shell starting agglo in the background ignores SIGINT; the watch needs it
    signal.signal(signal.SIGINT, signal.default_int_handler)

    threading.Thread(target=watch, name="agglo-orphan-watch", daemon=True).start()


def _year_worker(run_year, tasks, events, stop, parent: int, threads: int) -> None:
    _orphan_watch(events, parent)
    # The workers share the cores: numba's parallel LISA kernel gets the worker's
    # share, not a thread per core in every worker (3 workers on 2 cores:
    # 55 -> 52 CPU-s for the demo).
    import numba

    numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))
    out, err = _Lines(events, "out"), _Lines(events, "err")
    sys.stdout, sys.stderr = out, err
    while (year := tasks.get()) is not None:
        if stop.is_set():  # an earlier year failed: start nothing new
            events.put(("skipped", year, os.getpid()))
            continue
        out.year = err.year = year
        events.put(("started", year, os.getpid()))
        try:
            status = run_year(year)
        except Exception as exc:  # reported; the parent decides what runs next
            print(f"agglo: year {year} stopped: {exc!r}", file=sys.stderr)
            status = EXIT_RUN_FAILED
        if status:
            stop.set()  # before taking the next year
        out.flush()
        err.flush()
        events.put(("done", year, status))


def _run_years_side_by_side(
    run_year, years: list[int], workers: int, meanwhile=None
) -> int:
    """``run_year(year)`` for every year in ``workers`` forked processes; this
    process runs ``meanwhile()`` (if given) in a thread once they are started.

    Output is shown as if the years ran one after the other: the earliest
    unfinished year streams live; later years are held back and shown, complete,
    when their turn comes. After a failed year no new year starts (years already
    running finish) and the first failure's status is returned.
    """
    import multiprocessing
    import queue
    import threading

    context = multiprocessing.get_context("fork")
    tasks, events, stop = context.SimpleQueue(), context.Queue(), context.Event()
    for year in years:
        tasks.put(year)
    for _ in range(workers):
        tasks.put(None)
    sys.stdout.flush()
    sys.stderr.flush()  # else a child would print the parent's buffer again
    threads = max(1, len(os.sched_getaffinity(0)) // workers)
    processes = [
        context.Process(
            target=_year_worker,
            args=(run_year, tasks, events, stop, os.getpid(), threads),
            daemon=True,
        )
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    helper = None
    if meanwhile is not None:
        helper = threading.Thread(target=meanwhile, name="agglo-meanwhile", daemon=True)
        helper.start()
    order = list(years)
    held: dict[int, list[tuple[str, str]]] = {year: [] for year in order}
    status: dict[int, int] = {}
    running: dict[int, int] = {}  # worker pid -> year
    shown = 0  # years before order[shown] are complete on screen

    def show(year: int, stream: str, text: str) -> None:
        if order.index(year) > shown:  # an earlier year is still on screen
            held[year].append((stream, text))
            return
        target = sys.stdout if stream == "out" else sys.stderr
        target.write(text)
        target.flush()

    try:
        while len(status) < len(order):
            try:
                kind, year, value, *text = events.get(timeout=1.0)
            except queue.Empty:
                # a worker that exited with an error (killed, out of memory) says
                # nothing more: its year failed
                for process in processes:
                    year = running.get(process.pid)
                    if process.exitcode and year is not None:
                        running.pop(process.pid)
                        show(
                            year,
                            "err",
                            f"agglo: the process of year {year} "
                            f"died (exit code {process.exitcode})\n",
                        )
                        status[year] = EXIT_RUN_FAILED
                        stop.set()
                if not any(p.is_alive() for p in processes):
                    for year in order:
                        status.setdefault(year, EXIT_RUN_FAILED)
            else:
                if kind == "text":
                    show(year, value, text[0])
                elif kind == "started":
                    running[value] = year
                elif kind == "skipped":
                    status[year] = None
                else:  # done
                    status[year] = value
                    running = {p: y for p, y in running.items() if y != year}
                    if value:
                        stop.set()
            while shown < len(order) and order[shown] in status:
                shown += 1
                if shown < len(order):
                    for stream, line in held[order[shown]]:
                        show(order[shown], stream, line)
                    held[order[shown]].clear()
    finally:
        stop.set()
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.terminate()
        if helper is not None:
            helper.join()
    failed = [code for code in status.values() if code]
    return failed[0] if failed else 0


def _run(
    study_file: str, out_dir: str, years: list[int], jobs: int = DEFAULT_JOBS
) -> int:
    if study_file:
        study_file = str(Path(study_file).resolve())
        status = _validate(study_file)
        if status:
            return status
        # the definitions discover studies when imported: make this one of them
        os.environ["AGGLO_STUDY"] = study_file
    warming = _start_warming_compiled_code()
    # One persistent instance shared with `dagster dev`, so the run shows in the UI.
    from pipelines.paths import dagster_home

    os.environ["DAGSTER_HOME"] = str(dagster_home())
    import warnings

    import dagster as dg

    # partitioned checks are "preview" in dagster 1.13; tested on the pinned release
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    from pipelines.resources import _load

    study = _load(study_file)
    _ensure_partitions_know(study.name, study.analysis_years)
    from pipelines.definitions import ALL_CHECKS, build_definitions
    from pipelines.partitions import partition_key_for

    defs = build_definitions(
        study_file, str(Path(out_dir).resolve()) if out_dir else ""
    )
    wanted = years or study.analysis_years
    unknown = sorted(set(wanted) - set(study.analysis_years))
    if unknown:
        print(
            f"agglo: study {study.name!r} has no year(s) {unknown}; its years are "
            f"{study.analysis_years}",
            file=sys.stderr,
        )
        return EXIT_BAD_STUDY
    job = defs.resolve_job_def("refresh_clusters_job")
    # made before any worker is forked: a fresh instance's tables are created once
    instance = _process_instance(os.getpid(), os.environ["DAGSTER_HOME"])
    _close_event_log_files(instance)  # workers open their own
    # The imported libraries and definitions are a few million long-lived objects
    # that every full garbage collection would scan again: frozen, they are skipped
    # (a year's run: 19.4 -> 16 CPU-s), and forked workers share their pages.
    gc.freeze()
    gc.enable()  # paused by `main` while this process imported the pipeline
    print(
        f"agglo: running study {study.name!r}, year(s) {wanted}, in the Dagster "
        f"instance at {os.environ['DAGSTER_HOME']}",
        flush=True,
    )
    check_names = [spec.name for checks in ALL_CHECKS for spec in checks.check_specs]

    def run_year(year: int) -> int:
        key = partition_key_for(study.name, year)
        # the instance of this process: a forked year worker opens its own
        here = _process_instance(os.getpid(), os.environ["DAGSTER_HOME"])
        try:
            return _run_year(job, study.name, check_names, here, year, key)
        finally:
            _close_event_log_files(here)

    trends = len(study.analysis_years) >= MIN_TREND_YEARS and set(
        study.analysis_years
    ) <= set(wanted)

    def load_kernels() -> None:
        # The trends run here needs the numba kernels; load them while the
        # workers run (after they are forked: a numba thread pool must not be),
        # from the cache the warming child wrote, not compiling them a second time.
        if warming is not None:
            warming.join()
        with contextlib.suppress(Exception):  # a head start; trends load them anyway
            _warm_compiled_code()

    workers = min(jobs, len(wanted)) if _can_fork() else 1
    if workers > 1:
        status = _run_years_side_by_side(
            run_year, wanted, workers, meanwhile=load_kernels if trends else None
        )
    else:
        status = next(filter(None, map(run_year, wanted)), 0)
    if status:
        return status
    if len(study.analysis_years) < MIN_TREND_YEARS:
        print(
            f"\nagglo: trends across years skipped: study {study.name!r} has "
            f"{len(study.analysis_years)} year(s); emerging hot spots need "
            f"{MIN_TREND_YEARS} or more (study field 'years')"
        )
    elif trends:
        status = _run_trends(defs, instance, study.name, wanted, check_names)
        _close_event_log_files(instance)
        if status:
            return status
    print(
        "\nOpen the UI on the same instance: make ui   (or: "
        f"DAGSTER_HOME={os.environ['DAGSTER_HOME']} dagster dev)"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``agglo`` command."""
    parser = argparse.ArgumentParser(
        prog="agglo", description="Localized industrial clusters from firm registries."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a study (default: the built-in demo)")
    run.add_argument("--study", default="", help="study YAML file")
    run.add_argument(
        "--out", default="", help="publication folder (overrides the study)"
    )
    run.add_argument(
        "--year",
        type=int,
        action="append",
        default=[],
        help="year to run (repeatable); default: every year of the study",
    )
    run.add_argument(
        "--jobs",
        type=int,
        default=DEFAULT_JOBS,
        help="years run side by side, one process each (default: %(default)s, the "
        "cores + 1, at most 4; 1 runs them one after the other, with less memory)",
    )
    validate = commands.add_parser("validate", help="check a study and its inputs")
    validate.add_argument("--study", required=True, help="study YAML file")
    args = parser.parse_args(argv)
    if args.command == "validate":
        return _validate(args.study)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1; got {args.jobs}")
    # Before GNU OpenMP loads (with scikit-learn, under libpysal; numba's parallel
    # layer): its idle threads spin after every parallel region, taking the
    # cycles of the other year workers (demo, second run: 62 -> 60 CPU-s).
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    # The imports ahead allocate a few million objects that live as long as the
    # process: collecting garbage among them finds none and costs ~0.6 s of a
    # run's start. `_run` turns the collector back on once they are frozen.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(args.study, args.out, args.year, args.jobs)
    finally:
        if collecting:
            gc.enable()


def entry() -> None:
    """The ``agglo`` command: `main`, then a quick exit.

    Python's own exit tears down every imported module and object one by one,
    ~1 s after a run with nothing left to do. Output is flushed and the exit
    handlers run, as at a normal exit; then the process ends at once.
    """
    status = main()
    with contextlib.suppress(OSError):  # a closed pipe: nothing more to say
        sys.stdout.flush()
        sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(status or 0)


if __name__ == "__main__":
    entry()
