"""Dagster's SQLite event log with one open connection per database file, for the
runs `agglo run` executes.

Dagster's `SqliteEventLogStorage` opens a new SQLite connection for every event
it stores and closes it afterwards; closing the last connection to a WAL database
checkpoints the log into the main file and syncs it to disk. A year of the demo
study stores about 400 events (and reads the index for every asset input's data
version), and profiling `agglo run` showed that connection churn as the largest
single cost of a run after the analysis itself (2.8 of 13.5 CPU-s per year).
Dagster has no setting for it, hence this subclass: same files, same schema, same
queries - the UI, the daemon and `dagster` commands read what it writes with the
stock class - but each process keeps its connection to a file open.

Three things the stock class gets from closing connections are kept by hand:

- **live run logs in the UI**: the UI watches ``<run id>.db`` for changes; with
  an open connection new events land in ``<run id>.db-wal`` until a checkpoint,
  so after a transaction that wrote to a run's file its modification time is
  touched (reads never touch it: the watcher reads the file when it changes);
- **forked processes**: a SQLite connection must not be used, nor closed, in a
  child forked while it was open (the child does not hold the parent's locks; a
  close there could checkpoint and delete the log under the parent). Connections
  are therefore kept per process id, and those inherited from a parent are never
  touched, not even released;
- **a long-lived process** (the webserver, a notebook) keeps at most
  ``MAX_OPEN_FILES`` files open, closing the least recently used.

A new run's file is a copy of an empty one made once per Dagster release
(``.run-template-<release>.db`` beside the run files; a dot file, which the stock
class's listing of ``*.db`` never sees): creating the tables and stamping the
schema revision with Alembic, as the stock class does for every run, took 0.13 s.

Commits use ``PRAGMA synchronous=NORMAL``, SQLite's recommended setting in WAL
mode: a commit survives a crash of the process; a power cut may lose the last
commits before the next checkpoint, never the database. Dagster's stock class
uses FULL (a sync on every commit).

Which instance uses it: `agglo run`, when ``dagster.yaml`` leaves the storage at
its SQLite default (see `pooled_event_log_overrides`). An instance on PostgreSQL
(the documented option in ``dagster.yaml``) keeps its own storage.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as db
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    create_db_conn_string,
)
from dagster.version import __version__ as DAGSTER_VERSION
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool, QueuePool

INDEX_SHARD = "index"
MAX_OPEN_FILES = 8
"""Database files one process keeps open: the index and the runs it writes."""
STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that keeps one connection per database file open
    in each process, instead of one per event.

    Parameters
    ----------
    base_dir : str
        Folder of the run-sharded databases (``$DAGSTER_HOME/history/runs``).
    inst_data : ConfigurableClassData, optional
        Set by Dagster when the class is named in an instance's configuration.

    Examples
    --------
    >>> import tempfile
    >>> storage = PooledSqliteEventLogStorage(tempfile.mkdtemp())
    >>> storage.get_all_run_ids()
    []
    >>> storage.dispose()
    """

    def __init__(self, base_dir: str, inst_data=None) -> None:
        # before the parent's __init__: it may connect to create the index
        self._engines: OrderedDict[tuple[int, str], Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        self._tables_found: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(
        cls, inst_data, config_value: Mapping[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        """This process's engine for ``shard``, opened on first use."""
        key = (os.getpid(), shard)
        with self._engines_lock:
            engine = self._engines.get(key)
            if engine is not None:
                self._engines.move_to_end(key)
                return engine
            engine = create_engine(
                self.conn_string_for_shard(shard),
                # one connection: `_connect` holds the storage's lock while it is used
                poolclass=QueuePool,
                pool_size=1,
                max_overflow=0,
                connect_args={
                    "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                    "check_same_thread": False,
                },
            )
            db.event.listen(engine, "connect", _sqlite_pragmas)
            self._engines[key] = engine
            own = [k for k in self._engines if k[0] == key[0]]
            for stale in own[: max(0, len(own) - MAX_OPEN_FILES)]:
                self._engines.pop(stale).dispose()
            return engine

    def _initdb_file(self, folder: str, stem: str) -> None:
        """Tables and schema revision in ``<folder>/<stem>.db``, as the stock class
        makes them, on a connection of its own (creating the tables inspects the
        file on a second one)."""
        setup = create_engine(
            create_db_conn_string(folder, stem),
            poolclass=NullPool,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        )
        self._initdb(setup)
        setup.dispose()

    def run_template(self) -> str:
        """Path of the empty run database new runs' files are copied from (made
        on first use, for the installed Dagster release)."""
        stem = f".run-template-{DAGSTER_VERSION}"
        template = os.path.join(self._base_dir, f"{stem}.db")
        if not os.path.exists(template):
            staged = f"{stem}-{os.getpid()}-{threading.get_ident()}"
            self._initdb_file(self._base_dir, staged)
            staged_path = os.path.join(self._base_dir, f"{staged}.db")
            # everything into the file itself: the copies take the file alone
            with sqlite3.connect(staged_path) as raw:
                raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            raw.close()
            os.replace(staged_path, template)
        return template

    def _new_run_file(self, shard: str) -> bool:
        """Create ``<shard>.db`` as a copy of `run_template`; False when the file
        exists already (a run resumed, or written by another process)."""
        path = self.path_for_shard(shard)
        if os.path.exists(path):
            return False
        staged = f"{path}.{os.getpid()}.tmp"
        shutil.copyfile(self.run_template(), staged)
        try:
            os.link(staged, path)  # never over a file another process made
        except FileExistsError:
            return False
        finally:
            os.unlink(staged)
        return True

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            if shard not in self._initialized_dbs:
                if shard == INDEX_SHARD or not self._new_run_file(shard):
                    self._initdb_file(self._base_dir, shard)
                self._initialized_dbs.add(shard)
            engine = self._engine(shard)
            with engine.connect() as conn:
                raw = conn.connection.dbapi_connection
                changes = raw.total_changes
                with conn.begin():
                    yield conn
                wrote = raw.total_changes != changes
            if wrote and shard != INDEX_SHARD:
                # the UI's live log watches the run's .db file, not its -wal
                os.utime(self.path_for_shard(shard))

    def has_table(self, table_name: str) -> bool:
        # asked on every asset event (on a new connection each time); a table,
        # once there, stays for the life of the instance
        if table_name not in self._tables_found and super().has_table(table_name):
            self._tables_found.add(table_name)
        return table_name in self._tables_found

    def close_files(self) -> None:
        """Close this process's connections (never a parent's: see the module).

        The last connection to close checkpoints the write-ahead log into the
        database file and deletes it; `agglo run` closes them after each run.
        """
        pid = os.getpid()
        with self._engines_lock:
            for key in [k for k in self._engines if k[0] == pid]:
                self._engines.pop(key).dispose()

    def wipe(self) -> None:
        self.close_files()
        self._tables_found.clear()
        super().wipe()

    def dispose(self) -> None:
        self.close_files()
        super().dispose()


def pooled_event_log_overrides(dagster_home: str | Path) -> dict[str, Any]:
    """Instance-config overrides that store the event log with
    `PooledSqliteEventLogStorage`, or ``{}`` when ``dagster.yaml`` in
    ``dagster_home`` configures a storage of its own (PostgreSQL, say).

    Parameters
    ----------
    dagster_home : str or pathlib.Path
        The instance folder (``$DAGSTER_HOME``).

    Returns
    -------
    dict
        For ``dagster.InstanceRef.from_dir(..., overrides=...)``.

    Examples
    --------
    >>> import tempfile
    >>> home = Path(tempfile.mkdtemp())
    >>> overrides = pooled_event_log_overrides(home)
    >>> overrides["event_log_storage"]["class"]
    'PooledSqliteEventLogStorage'
    >>> _ = (home / "dagster.yaml").write_text("storage:\\n  postgres: {}\\n")
    >>> pooled_event_log_overrides(home)
    {}
    """
    import yaml

    config_file = Path(dagster_home) / "dagster.yaml"
    config = {}
    if config_file.is_file():
        config = yaml.safe_load(config_file.read_text(encoding="utf-8")) or {}
    if any(config.get(key) for key in STORAGE_KEYS):
        return {}
    return {
        "event_log_storage": {
            "module": __name__,
            "class": PooledSqliteEventLogStorage.__name__,
            # where Dagster's default SQLite storage keeps the event log
            "config": {"base_dir": str(Path(dagster_home) / "history" / "runs")},
        }
    }
