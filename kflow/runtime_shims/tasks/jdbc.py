"""The JDBC tasks: queries on PostgreSQL, MySQL/MariaDB, SQLite and DuckDB, and PostgreSQL COPY.

Each is `run(ctx, props) -> outputs`, Kestra's task of the same name (the seed notes' `Load` is
kflow's), run through a Python driver: psycopg, PyMySQL, the standard sqlite3, and duckdb (the
`duckdb` package, a dependency of kflow). The parts:

- `jdbc_urls`: the JDBC `url`, `username`, `password` (with the `KFLOW_JDBC_<DB>_*` environment
  fallback) as driver arguments; passwords masked in every message.
- `jdbc_sql`: statements split at `;` and `:name` parameters bound, dialect-aware.
- `jdbc_run`: Query and Queries on any driver; fetch types and their outputs.
- `jdbc_values`: database values as JSON outputs.
- `jdbc_postgres`, `jdbc_mysql`, `jdbc_sqlite`, `jdbc_duckdb`: one module per database.

Common behaviour:

- `sql` is rendered first; `parameters` (a mapping, rendered) are bound to `:name` placeholders
  by the driver, never pasted into the SQL text. A `:name` without a value fails the task.
- `fetchType` NONE / FETCH / FETCH_ONE / STORE (and the deprecated `fetch`, `fetchOne`, `store`)
  choose the outputs: `size` and `rows`, `row`, or `uri` (a JSON Lines file).
- A Query may hold several statements: they run in order, each committed (a transaction with
  `afterSQL`), and the outputs come from the last one that returned rows.
- A database error fails the task with the database's message; a server that cannot be reached
  fails it after the connection timeout (10 s, `connectTimeout` in the URL).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kflow.runtime_shims.context import TaskContext

__all__ = [
    "duckdb_query",
    "mysql_query",
    "postgres_copy_in",
    "postgres_load",
    "postgres_queries",
    "postgres_query",
    "sqlite_query",
]


def postgres_query(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """postgresql.Query: run `sql` (and `afterSQL`) on PostgreSQL."""
    from kflow.runtime_shims.tasks import jdbc_postgres

    return jdbc_postgres.run_query(ctx, props)


def postgres_queries(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """postgresql.Queries: run the statements of `sql` on PostgreSQL → `outputs`."""
    from kflow.runtime_shims.tasks import jdbc_postgres

    return jdbc_postgres.run_queries(ctx, props)


def postgres_copy_in(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """postgresql.CopyIn: COPY a storage file into a table → `rowCount`."""
    from kflow.runtime_shims.tasks import jdbc_postgres

    return jdbc_postgres.copy_in(ctx, props)


def postgres_load(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """postgresql.Load (seed notes): a CSV file with a header into a table → `rowCount`."""
    from kflow.runtime_shims.tasks import jdbc_postgres

    return jdbc_postgres.load(ctx, props)


def mysql_query(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """mysql.Query: run `sql` on MySQL or MariaDB."""
    from kflow.runtime_shims.tasks import jdbc_mysql

    return jdbc_mysql.run_query(ctx, props)


def sqlite_query(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """sqlite.Query: run `sql` on an SQLite database."""
    from kflow.runtime_shims.tasks import jdbc_sqlite

    return jdbc_sqlite.run_query(ctx, props)


def duckdb_query(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """duckdb.Query: run `sql` on DuckDB (needs the `duckdb` package)."""
    from kflow.runtime_shims.tasks import jdbc_duckdb

    return jdbc_duckdb.run_query(ctx, props)
