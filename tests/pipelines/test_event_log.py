"""The pooled SQLite event log `agglo run` writes with: the stock storage (the UI,
the daemon) reads it, live; forked processes and closing leave the files sound."""

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef
from dagster._core.storage.event_log import SqliteEventLogStorage

from pipelines.event_log import PooledSqliteEventLogStorage, pooled_event_log_overrides


@dg.asset
def numbers() -> list[int]:
    return [1, 2, 3]


@dg.asset
def total(numbers: list[int]) -> int:
    return sum(numbers)


def _pooled_instance(home: Path) -> dg.DagsterInstance:
    ref = InstanceRef.from_dir(str(home), overrides=pooled_event_log_overrides(home))
    return dg.DagsterInstance.from_ref(ref)


def _stock_instance(home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


def _run(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([numbers, total], instance=instance)
    assert result.success
    return result.run_id


def test_runs_written_pooled_read_the_same_with_the_stock_storage(tmp_path):
    pooled = _pooled_instance(tmp_path)
    assert isinstance(pooled.event_log_storage, PooledSqliteEventLogStorage)
    run_id = _run(pooled)
    written = [e.dagster_event_type for e in pooled.all_logs(run_id)]
    stock = _stock_instance(tmp_path)
    assert type(stock.event_log_storage) is SqliteEventLogStorage
    # while the writer still holds its files open, then after it closes them
    for _ in range(2):
        read = [e.dagster_event_type for e in stock.all_logs(run_id)]
        assert read == written and len(read) > 10
        event = stock.get_latest_materialization_event(dg.AssetKey("total"))
        assert event is not None and event.run_id == run_id
        assert stock.get_run_by_id(run_id).is_success
        pooled.event_log_storage.close_files()
    runs_dir = tmp_path / "history" / "runs"
    # the last connection closed: the log is checkpointed into the file, no WAL left
    assert not (runs_dir / f"{run_id}.db-wal").exists()
    check = sqlite3.connect(runs_dir / f"{run_id}.db").execute("PRAGMA integrity_check")
    assert check.fetchone() == ("ok",)


def test_no_pooling_when_dagster_yaml_configures_a_storage(tmp_path):
    (tmp_path / "dagster.yaml").write_text(
        "event_log_storage:\n  module: dagster._core.storage.event_log\n"
        "  class: SqliteEventLogStorage\n  config:\n"
        f"    base_dir: {tmp_path / 'elsewhere'}\n"
    )
    assert pooled_event_log_overrides(tmp_path) == {}
    assert type(_pooled_instance(tmp_path).event_log_storage) is SqliteEventLogStorage


GATE = {"event": None}


@dg.asset
def gated() -> int:
    """Waits for the test's watch to be in place before the run goes on."""
    assert GATE["event"].wait(60)
    return 1


def _materialize_and_hold(home: str, gate, release) -> None:
    GATE["event"] = gate
    instance = _pooled_instance(Path(home))
    assert dg.materialize([gated], instance=instance).success
    release.wait(60)  # the files stay open while the parent watches
    instance.event_log_storage.close_files()


def test_the_ui_watch_sees_events_of_a_run_in_another_process_live(tmp_path):
    # The UI follows a run with the stock storage's watch: it reads the run's
    # file when the file changes. Events written on a connection that stays open
    # land in the WAL, so the writer touches the file after every write.
    _stock_instance(tmp_path)  # the instance's tables, before two processes race
    context = multiprocessing.get_context("fork")
    gate, release = context.Event(), context.Event()
    writer = context.Process(
        target=_materialize_and_hold, args=(str(tmp_path), gate, release)
    )
    writer.start()
    try:
        stock = _stock_instance(tmp_path)
        deadline = time.monotonic() + 60
        while not stock.get_runs() and time.monotonic() < deadline:
            time.sleep(0.05)
        run_id = stock.get_runs()[0].run_id
        seen: list = []
        done = threading.Event()

        def on_event(entry, _cursor):
            seen.append(entry.dagster_event_type)
            if entry.dagster_event_type == dg.DagsterEventType.RUN_SUCCESS:
                done.set()

        stock.event_log_storage.watch(run_id, None, on_event)
        gate.set()  # the run goes on: its steps and its end come after the watch
        # the run's end arrives through the watch while the writer holds its
        # connection (no checkpoint yet, so no change of the file but the touch)
        assert done.wait(60), f"watch saw only {seen}"
        assert dg.DagsterEventType.STEP_SUCCESS in seen
        assert (tmp_path / "history" / "runs" / f"{run_id}.db-wal").exists()
        stock.event_log_storage.end_watch(run_id, on_event)
        stock.event_log_storage.dispose()
    finally:
        release.set()
        writer.join(60)
    assert writer.exitcode == 0


def _write_in_child(instance: dg.DagsterInstance, queue) -> None:
    # the parent's instance, inherited with the parent's open connections: the
    # child's writes open connections of its own and never touch the inherited
    queue.put(_run(instance))


def test_a_forked_child_writes_on_connections_of_its_own(tmp_path):
    parent = _pooled_instance(tmp_path)
    storage = parent.event_log_storage
    first = _run(parent)  # the parent's connections are open across the fork
    assert storage._engines  # noqa: SLF001
    context = multiprocessing.get_context("fork")
    queue = context.SimpleQueue()
    child = context.Process(target=_write_in_child, args=(parent, queue))
    child.start()
    child.join(120)
    assert child.exitcode == 0
    second = queue.get()
    third = _run(parent)  # the parent's connections still work after the child
    stock = _stock_instance(tmp_path)
    for run_id in (first, second, third):
        assert stock.get_run_by_id(run_id).is_success
        assert stock.all_logs(run_id)
    totals = stock.fetch_materializations(dg.AssetKey("total"), limit=10).records
    assert len(totals) == 3
    storage.close_files()
    index = sqlite3.connect(tmp_path / "history" / "runs" / "index.db")
    assert index.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_wipe_closes_the_files_first(tmp_path):
    instance = _pooled_instance(tmp_path)
    run_id = _run(instance)
    instance.event_log_storage.wipe()
    assert not (tmp_path / "history" / "runs" / f"{run_id}.db").exists()
    assert instance.all_logs(run_id) == []
    _run(instance)  # usable again


@pytest.mark.parametrize("keep", [2])
def test_a_long_lived_process_keeps_few_files_open(tmp_path, monkeypatch, keep):
    monkeypatch.setattr("pipelines.event_log.MAX_OPEN_FILES", keep)
    instance = _pooled_instance(tmp_path)
    runs = [_run(instance) for _ in range(4)]
    assert len(instance.event_log_storage._engines) <= keep  # noqa: SLF001
    stock = _stock_instance(tmp_path)
    assert all(stock.all_logs(run_id) for run_id in runs)


def _schema(path: Path) -> tuple[list, list]:
    with sqlite3.connect(path) as con:
        tables = con.execute(
            "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()
        revision = con.execute("SELECT version_num FROM alembic_version").fetchall()
    con.close()
    return tables, revision


def test_a_new_run_file_is_the_stock_empty_file_copied(tmp_path):
    stock_home, pooled_home = tmp_path / "stock", tmp_path / "pooled"
    stock_home.mkdir()
    pooled_home.mkdir()
    stock_run = _run(_stock_instance(stock_home))
    pooled = _pooled_instance(pooled_home)
    pooled_run = _run(pooled)
    storage = pooled.event_log_storage
    template = Path(storage.run_template())
    assert template.name.startswith(".run-template-") and template.is_file()
    # the same tables, indexes and schema revision as the stock class creates
    stock_file = stock_home / "history" / "runs" / f"{stock_run}.db"
    pooled_file = pooled_home / "history" / "runs" / f"{pooled_run}.db"
    assert _schema(template) == _schema(stock_file) == _schema(pooled_file)
    assert _schema(template)[1]  # stamped with a revision
    # nothing was written to the template itself, and it is not a run
    with sqlite3.connect(template) as con:
        assert con.execute("SELECT count(*) FROM event_logs").fetchone() == (0,)
    con.close()
    assert storage.get_all_run_ids() == [pooled_run]
    assert _stock_instance(pooled_home).event_log_storage.get_all_run_ids() == [
        pooled_run
    ]
    # a run file that exists already is kept, not copied over
    assert not storage._new_run_file(pooled_run)  # noqa: SLF001
    assert [e.dagster_event_type for e in pooled.all_logs(pooled_run)]
