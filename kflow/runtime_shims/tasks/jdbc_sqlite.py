"""SQLite through the standard library: the sqlite.Query task.

- `url`: `jdbc:sqlite:/abs/path.db`, `jdbc:sqlite:name.db` (relative to the task's working
  directory: the WorkingDirectory's, else a fresh one for the task, as in Kestra, so a database
  meant to outlive the task needs an absolute path, `outputDbFile` or a WorkingDirectory),
  `jdbc:sqlite::memory:` or `jdbc:sqlite:` (in memory), `jdbc:sqlite:file:…?mode=ro` (an SQLite
  URI, passed as is). Text after `?` in a plain path is ignored, with a warning.
- `sqliteFile`: a `kestra://` database file copied to the url's (relative) path before the query.
- `outputDbFile: true`: the database file afterwards is stored, as `databaseUri`.
- `username`/`password` are not used. Stopping the task interrupts the running statement.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kflow.runtime_shims.context import TaskContext
from kflow.runtime_shims.tasks._common import failure, flag, storage_path, text, workdir
from kflow.runtime_shims.tasks.jdbc_run import Database, query
from kflow.runtime_shims.tasks.jdbc_sql import SQLITE
from kflow.runtime_shims.tasks.jdbc_urls import credentials, scrub

__all__ = ["SqliteDatabase", "run_query"]

MEMORY = ":memory:"


class SqliteDatabase(Database):
    """An sqlite3 connection in autocommit mode (`isolation_level=None`)."""

    syntax = SQLITE
    native_lists = False

    def __init__(self, connection: Any) -> None:
        import sqlite3

        super().__init__(connection)
        self.errors = (sqlite3.Error,)

    def begin(self) -> None:
        self.connection.execute("BEGIN")

    def cancel(self) -> None:
        self.connection.interrupt()


def run_query(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """sqlite.Query."""
    import sqlite3

    url = credentials(ctx, props, "sqlite").url
    if not url:
        raise failure(
            ctx, "no 'url': set it in the task, in pluginDefaults, or in KFLOW_JDBC_SQLITE_URL"
        )
    if not url.lower().startswith("jdbc:sqlite:"):
        raise failure(
            ctx, f"url must be a JDBC URL like jdbc:sqlite:file.db, not {scrub(url, [])!r}"
        )
    database, path, is_uri = _database(ctx, url[len("jdbc:sqlite:") :])
    source = text(ctx, props, "sqliteFile")
    if source and source.strip():
        if path is None or not _relative(url):
            raise failure(ctx, "sqliteFile needs a relative file path in url (jdbc:sqlite:file.db)")
        shutil.copyfile(storage_path(ctx, source.strip(), "sqliteFile"), path)
    keep = flag(ctx, props, "outputDbFile", False)
    if keep and path is None:
        raise failure(ctx, "outputDbFile needs a database file, not an in-memory database")

    def connect() -> SqliteDatabase:
        try:
            connection = sqlite3.connect(
                database, uri=is_uri, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise failure(ctx, f"cannot open {database}: {error}") from None
        return SqliteDatabase(connection)

    outputs = query(ctx, props, SQLITE, connect)
    if keep and path is not None:
        outputs["databaseUri"] = ctx.storage.put(ctx.storage_key(path.name), path)
    return outputs


def _database(ctx: TaskContext, target: str) -> tuple[str, Path | None, bool]:
    """(what sqlite3 opens, the file path when it is a plain file, whether it is a URI)."""
    if target.startswith("file:"):
        return target, None, True
    target, _, ignored = target.partition("?")
    if ignored:
        ctx.log("WARN", f"url parameters '{ignored}' are not used by kflow and are ignored")
    if target in ("", MEMORY):
        return MEMORY, None, False
    path = Path(target).expanduser()
    if not path.is_absolute():
        path = workdir(ctx) / path
        path.parent.mkdir(parents=True, exist_ok=True)
    return str(path), path, False


def _relative(url: str) -> bool:
    target = url[len("jdbc:sqlite:") :].partition("?")[0]
    return not Path(target).expanduser().is_absolute()
