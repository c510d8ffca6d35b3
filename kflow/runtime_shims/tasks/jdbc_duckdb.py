"""DuckDB: the duckdb.Query task (the `duckdb` package, a dependency of kflow).

- `url`: `jdbc:duckdb:` (the default; in memory, or the file `databaseFile` when given),
  `jdbc:duckdb:/abs/file.db`, `jdbc:duckdb:file.db` (relative to the task's working directory),
  `jdbc:duckdb:md:…` (MotherDuck, passed as is).
- `databaseUri`: a `kestra://` database file, copied into the working directory and opened (when
  the url names no file). `outputDbFile: true` stores the database file afterwards (in memory
  becomes a file for that) as output `databaseUri`, so a later task or flow can open it again.
- `inputFiles` (name → text, or a `kestra://` URI whose file is copied) are written into the
  working directory, which is DuckDB's `file_search_path`, so `read_csv('data.csv')` finds them.
- The SQL may use `{{ workingDir }}`, `{{ outputFiles.<name> }}` (the path where the SQL writes
  that output file, in the working directory) and, for a database file, `{{ dbFilePath }}`.
- `outputFiles`: names of files the SQL writes; each is stored → `outputFiles` (name → URI). A
  listed file the SQL did not write fails the task.
- INSERT, UPDATE, DELETE and DDL give `size` = rows changed, not a one-row `Count` result.
- Stopping the task interrupts the running statement.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kflow.runtime_shims.context import TaskContext
from kflow.runtime_shims.tasks._common import (
    as_text,
    failure,
    flag,
    rendered,
    storage_path,
    text,
    workdir,
)
from kflow.runtime_shims.tasks.files import inside, write_files
from kflow.runtime_shims.tasks.jdbc_run import Database, query
from kflow.runtime_shims.tasks.jdbc_sql import DUCKDB
from kflow.runtime_shims.tasks.jdbc_urls import credentials, scrub, scrubbed

__all__ = ["DuckdbDatabase", "run_query"]

DEFAULT_URL = "jdbc:duckdb:"
MEMORY = ":memory:"
DATABASE_FILE = "database.duckdb"  # the name a stored (or reopened) database file gets
# the one-column results DuckDB gives for statements that return no rows
_STATUS_COLUMNS = (["Count"], ["Success"])


class DuckdbDatabase(Database):
    """A duckdb connection (autocommit; `begin` opens a transaction). It is its own cursor,
    so that `interrupt` reaches the statement it runs."""

    syntax = DUCKDB

    def __init__(self, connection: Any) -> None:
        import duckdb

        super().__init__(connection)
        self.errors = (duckdb.Error,)

    def begin(self) -> None:
        self.connection.begin()

    def cancel(self) -> None:
        self.connection.interrupt()

    def cursor(self) -> Any:
        return self.connection

    def columns(self, cursor: Any, sql: str) -> list[str] | None:
        import duckdb

        names = super().columns(cursor, sql)
        if names in _STATUS_COLUMNS:
            statements = duckdb.extract_statements(sql)
            if statements and statements[0].type != duckdb.StatementType.SELECT:
                return None
        return names

    def message(self, error: BaseException) -> str:
        # DuckDB adds suggestions and the SQL after a blank line
        return " ".join(str(error).split("\n\n")[0].split())


def run_query(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """duckdb.Query."""
    try:
        import duckdb
    except ImportError:
        raise failure(
            ctx, "needs the duckdb package, which is not installed here: pip install duckdb"
        ) from None
    creds = credentials(ctx, props, "duckdb")
    secrets = creds.secrets()
    with scrubbed(ctx, secrets):
        url = creds.url or DEFAULT_URL
        if not url.lower().startswith(DEFAULT_URL):
            raise failure(
                ctx, f"url must be a JDBC URL like jdbc:duckdb:file.db, not {scrub(url, [])!r}"
            )
        root = workdir(ctx).resolve()
        keep = flag(ctx, props, "outputDbFile", False)
        database = _database(ctx, props, url[len(DEFAULT_URL) :], root, keep)
        write_files(ctx, rendered(ctx, props, "inputFiles"), root)
        outputs_wanted = _output_names(ctx, props)
        extra: dict[str, Any] = {
            "workingDir": str(root),
            "outputFiles": {name: str(inside(ctx, root, name)) for name in outputs_wanted},
        }
        if database != MEMORY and not database.startswith(("md:", "motherduck:")):
            extra["dbFilePath"] = database
        # the SQL renders with these variables too, as Kestra's additional variables
        local = dataclasses.replace(ctx, variables={**ctx.variables, **extra})

        def connect() -> DuckdbDatabase:
            try:
                connection = duckdb.connect(database)
            except duckdb.Error as error:
                raise failure(ctx, f"cannot open {database}: {error}") from None
            literal = "'" + str(root).replace("'", "''") + "'"
            connection.execute(f"SET file_search_path = {literal}")
            return DuckdbDatabase(connection)

        outputs = query(local, props, DUCKDB, connect)
        stored: dict[str, str] = {}
        for name in outputs_wanted:
            path = inside(ctx, root, name)
            if not path.is_file():
                raise failure(ctx, f"the SQL wrote no output file '{name}' (at {path})")
            stored[name] = ctx.storage.put(ctx.storage_key(name), path)
        outputs["outputFiles"] = stored
        if keep:
            outputs["databaseUri"] = ctx.storage.put(
                ctx.storage_key(Path(database).name), Path(database)
            )
        return outputs


def _database(
    ctx: TaskContext, props: Mapping[str, Any], target: str, root: Path, keep: bool
) -> str:
    if target.startswith(("md:", "motherduck:")):
        if keep:
            raise failure(ctx, "outputDbFile needs a local database file, not MotherDuck")
        return target
    if target in ("", MEMORY):
        target = (text(ctx, props, "databaseFile") or "").strip()
    if target in ("", MEMORY):
        source = (text(ctx, props, "databaseUri") or "").strip()
        if not source and not keep:
            return MEMORY
        target = str(root / DATABASE_FILE)
        if source:
            shutil.copyfile(storage_path(ctx, source, "databaseUri"), target)
    path = Path(target).expanduser()
    if not path.is_absolute():
        path = root / path
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path)


def _output_names(ctx: TaskContext, props: Mapping[str, Any]) -> list[str]:
    names = rendered(ctx, props, "outputFiles")
    if names is None:
        return []
    if isinstance(names, str):
        try:
            names = json.loads(names)
        except json.JSONDecodeError:
            names = [names]
    if not isinstance(names, list):
        raise failure(ctx, "'outputFiles' must be a list of file names")
    return [as_text(name).strip() for name in names]
