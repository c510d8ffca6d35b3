"""The runner's state: executions, task runs, attempts, outputs and logs in SQLite (WAL).

One database file under the state directory (`KFLOW_HOME`, default `~/.kflow`). Every write is its
own short transaction, so a process killed at any point leaves the database consistent: what was
committed stays, a task run that was RUNNING is found RUNNING and is run again on resume.
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
    error TEXT
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
"""


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


class StateStore:
    """Thread-safe access to the state database."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / "state.db"
        self._local = threading.local()
        self._lock = threading.RLock()
        with self._tx() as db:
            db.executescript(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    # -- executions ------------------------------------------------------------------------------

    def create_execution(self, record: ExecutionRecord) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO executions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    record.id,
                    record.namespace,
                    record.flow_id,
                    record.flow_path,
                    record.state,
                    _dump(record.inputs),
                    _dump(record.outputs) if record.outputs is not None else None,
                    _dump(record.labels),
                    _dump(record.trigger) if record.trigger is not None else None,
                    record.parent_id,
                    record.start_date,
                    record.end_date,
                    record.error,
                ),
            )

    def update_execution(self, execution_id: str, **changes: Any) -> None:
        """Set columns of an execution (dict/list values are stored as JSON)."""
        if not changes:
            return
        columns = ", ".join(f"{name} = ?" for name in changes)
        values = [_dump(v) if isinstance(v, (dict, list)) else v for v in changes.values()]
        with self._tx() as db:
            db.execute(f"UPDATE executions SET {columns} WHERE id = ?", (*values, execution_id))

    def execution(self, execution_id: str) -> ExecutionRecord | None:
        row = (
            self._db().execute("SELECT * FROM executions WHERE id = ?", (execution_id,)).fetchone()
        )
        return _execution(row) if row else None

    def executions(
        self, namespace: str | None = None, flow_id: str | None = None, state: str | None = None
    ) -> list[ExecutionRecord]:
        sql = "SELECT * FROM executions WHERE 1=1"
        args: list[Any] = []
        for column, value in (("namespace", namespace), ("flow_id", flow_id), ("state", state)):
            if value is not None:
                sql += f" AND {column} = ?"
                args.append(value)
        rows = self._db().execute(sql + " ORDER BY start_date", args).fetchall()
        return [_execution(row) for row in rows]

    # -- task runs -------------------------------------------------------------------------------

    def save_task_run(self, run: TaskRunRecord) -> None:
        """Insert or replace a task run (keyed by its execution and run key)."""
        with self._tx() as db:
            if not run.seq:
                row = db.execute(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM task_runs WHERE execution_id = ?",
                    (run.execution_id,),
                ).fetchone()
                run.seq = int(row[0])
            db.execute(
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

    def task_runs(self, execution_id: str) -> list[TaskRunRecord]:
        rows = (
            self._db()
            .execute("SELECT * FROM task_runs WHERE execution_id = ? ORDER BY seq", (execution_id,))
            .fetchall()
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
        with self._tx() as db:
            db.execute(
                "INSERT INTO logs (execution_id, task_run_id, task_id, level, timestamp, message)"
                " VALUES (?,?,?,?,?,?)",
                (execution_id, task_run_id, task_id, level, now(), message),
            )

    def logs(self, execution_id: str, after: int = 0) -> list[dict[str, Any]]:
        rows = (
            self._db()
            .execute(
                "SELECT * FROM logs WHERE execution_id = ? AND seq > ? ORDER BY seq",
                (execution_id, after),
            )
            .fetchall()
        )
        return [dict(row) for row in rows]

    # -- key/value store ---------------------------------------------------------------------------

    def kv_set(self, namespace: str, key: str, value: Any, expires: str | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO kv VALUES (?,?,?,?)",
                (namespace, key, _dump(value), expires),
            )

    def kv_get(self, namespace: str, key: str) -> tuple[bool, Any]:
        row = (
            self._db()
            .execute(
                "SELECT value, expires FROM kv WHERE namespace = ? AND key = ?", (namespace, key)
            )
            .fetchone()
        )
        if row is None or (row["expires"] and row["expires"] < now()):
            return False, None
        return True, json.loads(row["value"])

    def kv_delete(self, namespace: str, key: str) -> bool:
        with self._tx() as db:
            cursor = db.execute("DELETE FROM kv WHERE namespace = ? AND key = ?", (namespace, key))
            return cursor.rowcount > 0


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


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
