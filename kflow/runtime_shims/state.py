"""The runner's state: executions, task runs, attempts, outputs and logs in SQLite (WAL).

One database file under the state directory (`KFLOW_HOME`, default `~/.kflow`). Every change is
one short transaction, so a process killed at any point leaves the database consistent: what was
committed stays, and a task run that was RUNNING is found RUNNING and is run again on resume.
One connection per store, shared by the engine's threads behind a lock: SQLite serializes
writers anyway, and one connection avoids a connection per worker thread.

What `kflow server` keeps is here too: the last date each Schedule trigger handled, the state of
Flow trigger preconditions, and the log of execution state changes that Flow triggers read. That
log is filled by SQLite triggers on `executions`, so every process that writes the database
(`kflow run`, `kflow flows execute`, a server) feeds it; its `seq` follows commit order, because
SQLite has one writer at a time, so a reader that remembers the last `seq` it saw misses nothing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 3

SCHEMA = """
CREATE TABLE IF NOT EXISTS executions (
    id TEXT PRIMARY KEY,
    namespace TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    flow_path TEXT,
    state TEXT NOT NULL,
    inputs TEXT NOT NULL DEFAULT '{}',
    outputs TEXT,
    labels TEXT NOT NULL DEFAULT '{}',
    trigger TEXT,
    parent_id TEXT,
    start_date TEXT NOT NULL,
    end_date TEXT,
    error TEXT,
    flow_source TEXT,
    flows_dir TEXT,
    pid INTEGER,
    host TEXT
);
CREATE INDEX IF NOT EXISTS executions_flow ON executions(namespace, flow_id);
CREATE TABLE IF NOT EXISTS task_runs (
    id TEXT PRIMARY KEY,
    execution_id TEXT NOT NULL REFERENCES executions(id),
    task_id TEXT NOT NULL,
    run_key TEXT NOT NULL,
    parent_task_run_id TEXT,
    value TEXT,
    iteration INTEGER,
    state TEXT NOT NULL,
    attempts TEXT NOT NULL DEFAULT '[]',
    outputs TEXT,
    seq INTEGER NOT NULL,
    start_date TEXT,
    end_date TEXT,
    UNIQUE (execution_id, run_key)
);
CREATE TABLE IF NOT EXISTS logs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id TEXT NOT NULL,
    task_run_id TEXT,
    task_id TEXT,
    level TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_execution ON logs(execution_id, seq);
CREATE TABLE IF NOT EXISTS kv (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    expires TEXT,
    PRIMARY KEY (namespace, key)
);
CREATE TABLE IF NOT EXISTS schedule_state (
    namespace TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    trigger_id TEXT NOT NULL,
    since TEXT NOT NULL,
    handled_until TEXT,
    last_fired TEXT,
    PRIMARY KEY (namespace, flow_id, trigger_id)
);
CREATE TABLE IF NOT EXISTS execution_transitions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    execution_id TEXT NOT NULL,
    state TEXT NOT NULL,
    date TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cursors (
    name TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS flow_trigger_state (
    namespace TEXT NOT NULL,
    flow_id TEXT NOT NULL,
    trigger_id TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (namespace, flow_id, trigger_id)
);
"""

#: The execution states a Flow trigger reacts to (Kestra: the terminal ones and PAUSED).
TRANSITION_STATES = (
    "SUCCESS",
    "WARNING",
    "FAILED",
    "KILLED",
    "SKIPPED",
    "CANCELLED",
    "RETRIED",
    "PAUSED",
)
_TRANSITION_IN = ", ".join(f"'{state}'" for state in TRANSITION_STATES)
_TRANSITION_ROW = (
    "INSERT INTO execution_transitions (execution_id, state, date) VALUES "
    "(NEW.id, NEW.state, COALESCE(NEW.end_date, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
)
# Created one by one: a trigger's body holds a ';', so these cannot go through SCHEMA's split.
SQL_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS executions_transition_update
    AFTER UPDATE OF state ON executions
    WHEN NEW.state IN ({_TRANSITION_IN}) AND NEW.state IS NOT OLD.state
    BEGIN {_TRANSITION_ROW}; END""",
    f"""CREATE TRIGGER IF NOT EXISTS executions_transition_insert
    AFTER INSERT ON executions
    WHEN NEW.state IN ({_TRANSITION_IN})
    BEGIN {_TRANSITION_ROW}; END""",
)

# Columns added after the first schema: added in place to a database that lacks them.
_ADDED_COLUMNS = {
    "executions": (
        ("flow_source", "TEXT"),
        ("flows_dir", "TEXT"),
        ("pid", "INTEGER"),
        ("host", "TEXT"),
    ),
}

_EXECUTION_COLUMNS = (
    "id",
    "namespace",
    "flow_id",
    "flow_path",
    "state",
    "inputs",
    "outputs",
    "labels",
    "trigger",
    "parent_id",
    "start_date",
    "end_date",
    "error",
    "flow_source",
    "flows_dir",
    "pid",
    "host",
)
_JSON_COLUMNS = frozenset({"inputs", "outputs", "labels", "trigger", "attempts"})


def now() -> str:
    """The current time, ISO-8601 UTC with microseconds (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def state_dir(override: str | None = None) -> Path:
    """The state directory: `override`, else `KFLOW_HOME`, else `~/.kflow`."""
    path = Path(override or os.environ.get("KFLOW_HOME") or Path.home() / ".kflow")
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class TaskRunRecord:
    """One run of one task: its place in the tree (`run_key`), state, attempts and outputs."""

    id: str
    execution_id: str
    task_id: str
    run_key: str
    parent_task_run_id: str | None
    value: str | None
    iteration: int | None
    state: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    outputs: dict[str, Any] | None = None
    seq: int = 0
    start_date: str | None = None
    end_date: str | None = None


@dataclass
class ExecutionRecord:
    """One run of a flow, with what resuming it needs (the flow's source and flows directory)."""

    id: str
    namespace: str
    flow_id: str
    flow_path: str | None
    state: str
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    labels: dict[str, Any]
    trigger: dict[str, Any] | None
    parent_id: str | None
    start_date: str
    end_date: str | None
    error: str | None
    flow_source: str | None = None
    flows_dir: str | None = None
    pid: int | None = None
    host: str | None = None


class StateStore:
    """Thread-safe access to the state database."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "state.db"
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.path, timeout=30, isolation_level=None, check_same_thread=False
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        # Fewer checkpoints (each one syncs the database file): a WAL of up to ~40 MB.
        self._conn.execute("PRAGMA wal_autocheckpoint=10000")
        with self._tx() as db:
            if db.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                for statement in SQL_TRIGGERS:
                    db.execute(statement)
                self._add_columns(db)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the connection (the store is unusable afterwards)."""
        with self._lock:
            self._conn.close()

    @staticmethod
    def _add_columns(db: sqlite3.Connection) -> None:
        for table, columns in _ADDED_COLUMNS.items():
            present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            for name, decl in columns:
                if name not in present:
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {decl}")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction around every store call made inside it by this thread: all of them
        are committed together, or none if the block raises. Other threads wait meanwhile."""
        with self._tx():
            yield

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._conn
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def _write(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> int:
        # One statement in autocommit mode is its own transaction: no BEGIN/COMMIT round trips.
        with self._lock:
            return self._conn.execute(sql, args).rowcount

    def _read(self, sql: str, args: tuple[Any, ...] | list[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

    # -- executions ------------------------------------------------------------------------------

    def create_execution(self, record: ExecutionRecord) -> None:
        """Insert a new execution."""
        values = [_column(name, getattr(record, name)) for name in _EXECUTION_COLUMNS]
        marks = ",".join("?" * len(values))
        self._write(
            f"INSERT INTO executions ({','.join(_EXECUTION_COLUMNS)}) VALUES ({marks})", values
        )

    def update_execution(self, execution_id: str, **changes: Any) -> None:
        """Set columns of an execution (dict/list values are stored as JSON)."""
        if not changes:
            return
        unknown = set(changes) - set(_EXECUTION_COLUMNS)
        if unknown:
            raise ValueError(f"no such execution column: {', '.join(sorted(unknown))}")
        columns = ", ".join(f"{name} = ?" for name in changes)
        values = [_column(name, value) for name, value in changes.items()]
        self._write(f"UPDATE executions SET {columns} WHERE id = ?", (*values, execution_id))

    def execution(self, execution_id: str) -> ExecutionRecord | None:
        """The execution with this id, or None."""
        rows = self._read("SELECT * FROM executions WHERE id = ?", (execution_id,))
        return _execution(rows[0]) if rows else None

    def executions(
        self, namespace: str | None = None, flow_id: str | None = None, state: str | None = None
    ) -> list[ExecutionRecord]:
        """Executions matching every filter given, oldest first."""
        sql = "SELECT * FROM executions WHERE 1=1"
        args: list[Any] = []
        for column, value in (("namespace", namespace), ("flow_id", flow_id), ("state", state)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        return [_execution(row) for row in self._read(sql + " ORDER BY start_date", args)]

    def namespaces(self) -> list[str]:
        """Every namespace that has an execution."""
        rows = self._read("SELECT DISTINCT namespace FROM executions ORDER BY namespace")
        return [row[0] for row in rows]

    # -- task runs -------------------------------------------------------------------------------

    def next_seq(self, execution_id: str) -> int:
        """The start-order number the next task run of an execution gets."""
        rows = self._read(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM task_runs WHERE execution_id = ?",
            (execution_id,),
        )
        return int(rows[0][0])

    def save_task_run(self, run: TaskRunRecord) -> None:
        """Insert or replace a task run (keyed by its execution and run key), in one transaction.

        A run without `seq` gets the next one of its execution.
        """
        with self._lock:
            if not run.seq:
                run.seq = self.next_seq(run.execution_id)
            self._write(
                "INSERT OR REPLACE INTO task_runs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    run.id,
                    run.execution_id,
                    run.task_id,
                    run.run_key,
                    run.parent_task_run_id,
                    run.value,
                    run.iteration,
                    run.state,
                    _dump(run.attempts),
                    _dump(run.outputs) if run.outputs is not None else None,
                    run.seq,
                    run.start_date,
                    run.end_date,
                ),
            )

    def update_task_run(self, run: TaskRunRecord) -> None:
        """Write a task run's state, attempts, outputs and dates (the run must exist)."""
        self._write(
            "UPDATE task_runs SET state = ?, attempts = ?, outputs = ?, start_date = ?,"
            " end_date = ? WHERE id = ?",
            (
                run.state,
                _dump(run.attempts),
                _dump(run.outputs) if run.outputs is not None else None,
                run.start_date,
                run.end_date,
                run.id,
            ),
        )

    def task_runs(self, execution_id: str) -> list[TaskRunRecord]:
        """The task runs of an execution, in start order."""
        rows = self._read(
            "SELECT * FROM task_runs WHERE execution_id = ? ORDER BY seq", (execution_id,)
        )
        return [_task_run(row) for row in rows]

    # -- logs ------------------------------------------------------------------------------------

    def log(
        self,
        execution_id: str,
        level: str,
        message: str,
        task_run_id: str | None = None,
        task_id: str | None = None,
    ) -> None:
        """Append a log line to an execution."""
        self._write(
            "INSERT INTO logs (execution_id, task_run_id, task_id, level, timestamp, message)"
            " VALUES (?,?,?,?,?,?)",
            (execution_id, task_run_id, task_id, level, now(), message),
        )

    def logs(
        self,
        execution_id: str,
        after: int = 0,
        levels: tuple[str, ...] | None = None,
        task_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """Log lines of an execution after `seq` `after`, optionally of some levels or a task."""
        sql = "SELECT * FROM logs WHERE execution_id = ? AND seq > ?"
        args: list[Any] = [execution_id, after]
        if levels is not None:
            sql += f" AND level IN ({','.join('?' * len(levels))})"
            args.extend(levels)
        if task_id is not None:
            sql += " AND task_id = ?"
            args.append(task_id)
        return [dict(row) for row in self._read(sql + " ORDER BY seq", args)]

    # -- key/value store ---------------------------------------------------------------------------

    def kv_set(self, namespace: str, key: str, value: Any, expires: str | None = None) -> None:
        """Set a key of a namespace's KV store (`expires`: an ISO-8601 UTC time, or None)."""
        self._write(
            "INSERT OR REPLACE INTO kv VALUES (?,?,?,?)",
            (namespace, key, _dump(value), expires),
        )

    def kv_get(self, namespace: str, key: str) -> tuple[bool, Any]:
        """`(found, value)` of a key; an expired key is not found."""
        rows = self._read(
            "SELECT value, expires FROM kv WHERE namespace = ? AND key = ?", (namespace, key)
        )
        if not rows or (rows[0]["expires"] and rows[0]["expires"] < now()):
            return False, None
        return True, json.loads(rows[0]["value"])

    def kv_delete(self, namespace: str, key: str) -> bool:
        """Delete a key; True if it existed."""
        return self._write("DELETE FROM kv WHERE namespace = ? AND key = ?", (namespace, key)) > 0

    # -- schedules (kflow server) ---------------------------------------------------------------

    def schedule_state(self, namespace: str, flow_id: str, trigger_id: str) -> ScheduleState | None:
        """What the scheduler recorded for one Schedule trigger, or None if it never saw it."""
        rows = self._read(
            "SELECT * FROM schedule_state WHERE namespace = ? AND flow_id = ? AND trigger_id = ?",
            (namespace, flow_id, trigger_id),
        )
        return _schedule_state(rows[0]) if rows else None

    def schedule_states(self) -> list[ScheduleState]:
        """Every Schedule trigger the scheduler has seen."""
        rows = self._read("SELECT * FROM schedule_state ORDER BY namespace, flow_id, trigger_id")
        return [_schedule_state(row) for row in rows]

    def start_schedule(
        self, namespace: str, flow_id: str, trigger_id: str, since: str, until: str | None
    ) -> bool:
        """Record that the scheduler watches a trigger from `since` on, every date up to
        `until` handled (None: none yet, a backfill is to come); False if it already did (the
        row is left as it is)."""
        return (
            self._write(
                "INSERT OR IGNORE INTO schedule_state VALUES (?,?,?,?,?,NULL)",
                (namespace, flow_id, trigger_id, since, until),
            )
            > 0
        )

    def advance_schedule(
        self,
        namespace: str,
        flow_id: str,
        trigger_id: str,
        previous: str | None,
        until: str,
        fired: str | None = None,
    ) -> bool:
        """Record that every date of a trigger up to `until` is handled (and that the date
        `fired` started an execution), if the mark still is `previous`; False when another
        writer moved it first (compare-and-set: a date is never handled twice)."""
        return (
            self._write(
                "UPDATE schedule_state SET handled_until = ?, last_fired = COALESCE(?, last_fired)"
                " WHERE namespace = ? AND flow_id = ? AND trigger_id = ? AND handled_until IS ?",
                (until, fired, namespace, flow_id, trigger_id, previous),
            )
            > 0
        )

    # -- execution state changes, for Flow triggers (kflow server) ------------------------------

    def transitions(self, after: int, limit: int = 500) -> list[Transition]:
        """State changes (into a terminal state or PAUSED) committed after `seq` `after`, oldest
        first, with what their execution holds now."""
        rows = self._read(
            "SELECT t.seq, t.execution_id, t.state, t.date, e.namespace, e.flow_id, e.outputs,"
            " e.labels, e.start_date FROM execution_transitions t"
            " JOIN executions e ON e.id = t.execution_id"
            " WHERE t.seq > ? ORDER BY t.seq LIMIT ?",
            (after, limit),
        )
        return [
            Transition(
                seq=row["seq"],
                execution_id=row["execution_id"],
                namespace=row["namespace"],
                flow_id=row["flow_id"],
                state=row["state"],
                date=row["date"],
                start_date=row["start_date"],
                outputs=_load(row["outputs"]) or {},
                labels=_load(row["labels"]) or {},
            )
            for row in rows
        ]

    def last_transition(self) -> int:
        """The `seq` of the latest state change (0 when there is none)."""
        return int(self._read("SELECT COALESCE(MAX(seq), 0) FROM execution_transitions")[0][0])

    def forget_transitions(self, upto: int) -> int:
        """Delete the state changes up to `seq` `upto` (read by every reader); how many."""
        return self._write("DELETE FROM execution_transitions WHERE seq <= ?", (upto,))

    def cursor(self, name: str) -> int | None:
        """A reader's position in the state changes, or None if it never read."""
        rows = self._read("SELECT seq FROM cursors WHERE name = ?", (name,))
        return int(rows[0][0]) if rows else None

    def move_cursor(self, name: str, previous: int | None, seq: int) -> bool:
        """Move a cursor to `seq` if it still is at `previous` (None: not created yet); False when
        another reader moved it first."""
        if previous is None:
            return self._write("INSERT OR IGNORE INTO cursors VALUES (?, ?)", (name, seq)) > 0
        return (
            self._write(
                "UPDATE cursors SET seq = ? WHERE name = ? AND seq = ?", (seq, name, previous)
            )
            > 0
        )

    def flow_trigger_state(self, namespace: str, flow_id: str, trigger_id: str) -> Any:
        """The stored preconditions state of a Flow trigger (JSON data), or None."""
        rows = self._read(
            "SELECT state FROM flow_trigger_state WHERE namespace = ? AND flow_id = ?"
            " AND trigger_id = ?",
            (namespace, flow_id, trigger_id),
        )
        return json.loads(rows[0][0]) if rows else None

    def save_flow_trigger_state(
        self, namespace: str, flow_id: str, trigger_id: str, state: Any
    ) -> None:
        """Store the preconditions state of a Flow trigger (JSON data)."""
        self._write(
            "INSERT OR REPLACE INTO flow_trigger_state VALUES (?,?,?,?)",
            (namespace, flow_id, trigger_id, _dump(state)),
        )


@dataclass(frozen=True)
class ScheduleState:
    """What the scheduler recorded for one Schedule trigger: when it first saw it, the instant
    up to which every date is handled (started, or left out by conditions or by
    `recoverMissedSchedules`; None while a first backfill is to come), and the last date that
    started an execution. ISO-8601 text."""

    namespace: str
    flow_id: str
    trigger_id: str
    since: str
    handled_until: str | None
    last_fired: str | None


@dataclass(frozen=True)
class Transition:
    """An execution reaching a terminal state or PAUSED (at `date`), with its start date,
    outputs and labels."""

    seq: int
    execution_id: str
    namespace: str
    flow_id: str
    state: str
    date: str
    start_date: str
    outputs: dict[str, Any]
    labels: dict[str, Any]


def _schedule_state(row: sqlite3.Row) -> ScheduleState:
    return ScheduleState(
        row["namespace"],
        row["flow_id"],
        row["trigger_id"],
        row["since"],
        row["handled_until"],
        row["last_fired"],
    )


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, default=str)


def _dump(value: Any) -> str:
    if not value and isinstance(value, list):
        return "[]"
    return _ENCODER.encode(value)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _column(name: str, value: Any) -> Any:
    if name in _JSON_COLUMNS and value is not None:
        return _dump(value)
    return value


def _execution(row: sqlite3.Row) -> ExecutionRecord:
    return ExecutionRecord(
        id=row["id"],
        namespace=row["namespace"],
        flow_id=row["flow_id"],
        flow_path=row["flow_path"],
        state=row["state"],
        inputs=_load(row["inputs"]) or {},
        outputs=_load(row["outputs"]),
        labels=_load(row["labels"]) or {},
        trigger=_load(row["trigger"]),
        parent_id=row["parent_id"],
        start_date=row["start_date"],
        end_date=row["end_date"],
        error=row["error"],
        flow_source=row["flow_source"],
        flows_dir=row["flows_dir"],
        pid=row["pid"],
        host=row["host"],
    )


def _task_run(row: sqlite3.Row) -> TaskRunRecord:
    return TaskRunRecord(
        id=row["id"],
        execution_id=row["execution_id"],
        task_id=row["task_id"],
        run_key=row["run_key"],
        parent_task_run_id=row["parent_task_run_id"],
        value=row["value"],
        iteration=row["iteration"],
        state=row["state"],
        attempts=_load(row["attempts"]) or [],
        outputs=_load(row["outputs"]),
        seq=row["seq"],
        start_date=row["start_date"],
        end_date=row["end_date"],
    )
