"""Running SQL statements on an open connection, the same way for every database.

A `Database` wraps one DB-API connection (psycopg, PyMySQL, sqlite3, duckdb) and says what differs:
quoting, the parameter placeholder, transactions, how to cancel, how to word an error.
`run_statements` runs a script statement by statement, binding `parameters`, reading what each
statement returns by the task's fetch type:

- `FETCH` → `rows` (a list of mappings) and `size`; `FETCH_ONE` → `row` (absent when there is no
  row) and `size` (1 or 0); `STORE` → `uri`, a file of internal storage with one JSON object per
  line (valid Ion text; Kestra writes Ion) and `size`; `NONE` → `size`, the number of rows the
  driver reports, when it reports one.
- A statement that returns no rows (INSERT, CREATE, …) → `size`, the rows it changed, when known.
- The deprecated booleans `fetch`, `fetchOne`, `store` win over `fetchType`, as in Kestra.

`fetchSize` is how many rows are read from the driver at a time. The task stops between
statements and between batches of rows once `ctx.cancelled` is set, and `Database.cancel` (called
from the kill hook) interrupts a statement the database is still running.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kflow.runtime_shims.context import TaskContext, TaskFailure
from kflow.runtime_shims.tasks._common import (
    failure,
    flag,
    integer,
    rendered,
    required_text,
    text,
)
from kflow.runtime_shims.tasks.jdbc_sql import Syntax, bind_named, split_statements
from kflow.runtime_shims.tasks.jdbc_values import row_mapping, write_json_line

__all__ = [
    "FETCH_TYPES",
    "Database",
    "Fetch",
    "Result",
    "fetch_settings",
    "parameters",
    "queries",
    "query",
    "run_statements",
]

FETCH_TYPES = ("NONE", "FETCH", "FETCH_ONE", "STORE")
DEFAULT_FETCH_SIZE = 10000


@dataclass(frozen=True)
class Fetch:
    """How the task reads results: its fetch type, batch size and time zone."""

    kind: str
    size: int = DEFAULT_FETCH_SIZE
    zone: tzinfo = timezone.utc


@dataclass(frozen=True)
class Result:
    """What one statement gave: outputs, and whether it returned rows at all."""

    outputs: dict[str, Any]
    has_rows: bool


class Database:
    """One open DB-API connection. Subclasses set the class attributes and override what their
    driver does differently; the defaults are plain DB-API."""

    syntax: Syntax
    placeholder = "?"
    clock_timedelta = False  # a timedelta is a time of day (MySQL TIME), not a duration
    native_lists = True  # lists are bound as lists (arrays); else as JSON text
    errors: tuple[type[BaseException], ...] = ()  # the driver's errors

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def begin(self) -> None:
        """Start a transaction (the connection is in autocommit mode otherwise)."""
        raise NotImplementedError

    def commit(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

    def cancel(self) -> None:
        """Interrupt what runs now; called from another thread."""
        raise NotImplementedError

    def close(self) -> None:
        self.connection.close()

    def cursor(self) -> Any:
        return self.connection.cursor()

    def execute(self, cursor: Any, sql: str, values: list[Any] | None) -> None:
        if values is None:
            cursor.execute(sql)
        else:
            cursor.execute(sql, values)

    def columns(self, cursor: Any, sql: str) -> list[str] | None:
        """The labels of the result columns, or None when the statement returned no rows."""
        if cursor.description is None:
            return None
        return [str(column[0]) for column in cursor.description]

    def rowcount(self, cursor: Any) -> int:
        count = cursor.rowcount
        return count if isinstance(count, int) else -1

    def adapt(self, value: Any) -> Any:
        """A parameter value as the driver takes it: mappings as JSON text."""
        if isinstance(value, Mapping):
            return json.dumps(value, ensure_ascii=False)
        if isinstance(value, (list, tuple)) and not self.native_lists:
            return json.dumps(list(value), ensure_ascii=False)
        return value

    def message(self, error: BaseException) -> str:
        """The database's own words for `error`, on one line where possible."""
        return " ".join(str(error).split())


def query(
    ctx: TaskContext, props: Mapping[str, Any], syntax: Syntax, connect: Callable[[], Database]
) -> dict[str, Any]:
    """A Query task: `sql` (one statement or several, `;`-separated), then `afterSQL`.

    Without `afterSQL` each statement commits on its own (autocommit, as Kestra's Query);
    with it, `sql` and `afterSQL` run in one transaction. The outputs are those of the last
    statement of `sql` that returned rows, else of its last statement.
    """
    fetch = fetch_settings(ctx, props)
    statements = _statements(ctx, props, "sql", syntax, required=True)
    after = _statements(ctx, props, "afterSQL", syntax, required=False)
    params = parameters(ctx, props)
    with _session(ctx, connect()) as db:
        names = ["query.ion"] * len(statements) + ["after.ion"] * len(after)
        results = run_statements(
            ctx,
            db,
            [*statements, *after],
            params,
            fetch,
            transaction=bool(after),
            store_names=names,
        )
    main = results[: len(statements)]
    with_rows = [result for result in main if result.has_rows]
    return (with_rows[-1] if with_rows else main[-1]).outputs


def queries(
    ctx: TaskContext, props: Mapping[str, Any], syntax: Syntax, connect: Callable[[], Database]
) -> dict[str, Any]:
    """A Queries task: the statements of `sql`, in one transaction unless `transaction: false`.

    `outputs` holds one entry per statement that returned rows, in order (as Kestra).
    """
    fetch = fetch_settings(ctx, props)
    statements = _statements(ctx, props, "sql", syntax, required=True)
    transaction = flag(ctx, props, "transaction", True)
    params = parameters(ctx, props)
    with _session(ctx, connect()) as db:
        names = [f"query-{n + 1}.ion" for n in range(len(statements))]
        results = run_statements(ctx, db, statements, params, fetch, transaction, names)
    return {"outputs": [result.outputs for result in results if result.has_rows]}


def fetch_settings(ctx: TaskContext, props: Mapping[str, Any]) -> Fetch:
    """The task's fetch type (deprecated booleans first), `fetchSize` and `timeZoneId`."""
    if flag(ctx, props, "fetch", False):
        kind = "FETCH"
    elif flag(ctx, props, "fetchOne", False):
        kind = "FETCH_ONE"
    elif flag(ctx, props, "store", False):
        kind = "STORE"
    else:
        kind = (text(ctx, props, "fetchType", default="NONE") or "NONE").strip().upper()
        if kind not in FETCH_TYPES:
            raise failure(ctx, f"fetchType must be one of {', '.join(FETCH_TYPES)}, not {kind!r}")
    size = integer(ctx, props, "fetchSize") or DEFAULT_FETCH_SIZE
    zone_name = (text(ctx, props, "timeZoneId") or "").strip()
    zone: tzinfo = timezone.utc
    if zone_name:
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):
            raise failure(ctx, f"timeZoneId: unknown time zone {zone_name!r}") from None
    return Fetch(kind=kind, size=size if size > 0 else DEFAULT_FETCH_SIZE, zone=zone)


def parameters(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any] | None:
    """The `parameters` mapping rendered (a JSON object text is read), or None."""
    value = rendered(ctx, props, "parameters")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = None
    if not isinstance(value, dict):
        raise failure(ctx, "'parameters' must be a mapping of names to values")
    return {str(name): item for name, item in value.items()}


def run_statements(
    ctx: TaskContext,
    db: Database,
    statements: Sequence[str],
    params: Mapping[str, Any] | None,
    fetch: Fetch,
    transaction: bool,
    store_names: Sequence[str],
) -> list[Result]:
    """Run `statements` in order (in one transaction when `transaction`): each one's Result.

    `store_names[i]` names the file STORE writes for statement i. A failure rolls the
    transaction back and raises a TaskFailure with the database's message.
    """
    results: list[Result] = []
    cursor = db.cursor()
    index = 0
    try:
        if transaction:
            db.begin()
        for index, statement in enumerate(statements):
            _check_cancelled(ctx)
            ctx.log("DEBUG", f"Starting query: {statement}")
            sql, values = _bound(ctx, db, statement, params)
            db.execute(cursor, sql, values)
            results.append(_read(ctx, db, cursor, statement, fetch, store_names[index]))
        _check_cancelled(ctx)
        if transaction:
            db.commit()
    except BaseException as error:
        if transaction:
            _quietly(db.rollback)
        if isinstance(error, TaskFailure):
            raise
        if ctx.cancelled.is_set():
            raise failure(ctx, "stopped while the database was running a statement") from None
        if not isinstance(error, db.errors):
            raise
        where = f"statement {index + 1} of {len(statements)}: " if len(statements) > 1 else ""
        raise failure(ctx, where + db.message(error)) from None
    finally:
        _quietly(cursor.close)
    return results


@contextmanager
def _session(ctx: TaskContext, db: Database) -> Iterator[Database]:
    """`db`, cancelled when the task is stopped, closed at the end."""
    try:
        ctx.on_kill(lambda: _quietly(db.cancel))
        yield db
    finally:
        _quietly(db.close)


def _statements(
    ctx: TaskContext, props: Mapping[str, Any], name: str, syntax: Syntax, required: bool
) -> list[str]:
    sql = required_text(ctx, props, name) if required else text(ctx, props, name)
    found = split_statements(sql or "", syntax)
    if required and not found:
        raise failure(ctx, f"'{name}' holds no SQL statement")
    return found


def _bound(
    ctx: TaskContext, db: Database, statement: str, params: Mapping[str, Any] | None
) -> tuple[str, list[Any] | None]:
    if params is None:
        return statement, None
    sql, names = bind_named(statement, db.syntax, db.placeholder)
    if not names:
        return statement, None
    for name in names:
        if name not in params:
            known = ", ".join(sorted(params)) or "none"
            raise failure(
                ctx, f"the SQL uses :{name} but 'parameters' has no '{name}' (it has: {known})"
            )
    return sql, [db.adapt(params[name]) for name in names]


def _read(
    ctx: TaskContext, db: Database, cursor: Any, sql: str, fetch: Fetch, store_name: str
) -> Result:
    columns = db.columns(cursor, sql)
    if columns is None:
        count = db.rowcount(cursor)
        return Result({"size": count} if count >= 0 else {}, has_rows=False)
    if fetch.kind == "NONE":
        count = db.rowcount(cursor)
        return Result({"size": count} if count >= 0 else {}, has_rows=True)
    if fetch.kind == "FETCH_ONE":
        row = cursor.fetchone()
        if row is None:
            return Result({"size": 0}, has_rows=True)
        found = row_mapping(columns, row, fetch.zone, db.clock_timedelta)
        return Result({"row": found, "size": 1}, has_rows=True)
    if fetch.kind == "FETCH":
        rows = [
            row_mapping(columns, row, fetch.zone, db.clock_timedelta)
            for batch in _batches(ctx, cursor, fetch.size)
            for row in batch
        ]
        return Result({"rows": rows, "size": len(rows)}, has_rows=True)
    with tempfile.TemporaryDirectory(prefix="kflow-jdbc-") as scratch:
        path = Path(scratch) / store_name
        size = 0
        with path.open("w", encoding="utf-8") as out:
            for batch in _batches(ctx, cursor, fetch.size):
                for row in batch:
                    write_json_line(out, row_mapping(columns, row, fetch.zone, db.clock_timedelta))
                size += len(batch)
        uri = ctx.storage.put(ctx.storage_key(store_name), path)
    return Result({"uri": uri, "size": size}, has_rows=True)


def _batches(ctx: TaskContext, cursor: Any, size: int) -> Any:
    while True:
        _check_cancelled(ctx)
        batch = cursor.fetchmany(size)
        if not batch:
            return
        yield batch


def _check_cancelled(ctx: TaskContext) -> None:
    if ctx.cancelled.is_set():
        raise failure(ctx, "stopped")


def _quietly(action: Any) -> None:
    # closing or rolling back a broken connection: the first error is the one that matters
    with suppress(Exception):
        action()
