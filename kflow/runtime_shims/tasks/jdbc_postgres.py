"""PostgreSQL through psycopg: Query, Queries, CopyIn, and the seed notes' Load.

- Connection: `jdbc_urls.postgres_server` (URL, credentials, environment fallback), plus the
  task's TLS properties: `ssl: true` means `sslmode=require` unless `sslMode` says otherwise;
  `sslRootCert`, `sslCert`, `sslKey` hold PEM text (or a file path) and `sslKeyPassword` the key's
  password. Server notices (`RAISE NOTICE`) are logged at INFO.
- Stopping the task sends PostgreSQL a cancel request for the running statement.
- `CopyIn`: `COPY table [(columns)] FROM STDIN [WITH (…)]` fed with the file at `from` (a
  `kestra://` URI); options are added only when set (`FORMAT` when not TEXT, `HEADER` when
  `header` is given, `DELIMITER`, `NULL` from `nullString`, `QUOTE`, `ESCAPE`, `FORCE_NOT_NULL`,
  `FORCE_NULL`, `ENCODING`, `FREEZE`, `OIDS`); `delimiter: "\\t"` means a tab. Output `rowCount`.
- `Load` (seed notes): CopyIn of a CSV file with a header line (`format: CSV`, `header: true` by
  default). The table must exist; kflow creates nothing. Unless `columns` is given, the header's
  names choose the table columns (matched without regard to case), so the file's column order
  does not matter; a name the table lacks fails the task.

Table and column names are checked (`name`, `schema.name`, `"Quoted Name"`) and written as given,
so unquoted names fold to lower case as in any SQL; option values are quoted literals.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from kflow.runtime_shims.context import TaskContext
from kflow.runtime_shims.tasks._common import (
    failure,
    flag,
    rendered,
    required_text,
    storage_path,
    text,
)
from kflow.runtime_shims.tasks.jdbc_run import Database, queries, query
from kflow.runtime_shims.tasks.jdbc_sql import POSTGRES
from kflow.runtime_shims.tasks.jdbc_urls import credentials, postgres_server, scrubbed

__all__ = ["copy_in", "load", "run_queries", "run_query"]

_SSL_MODES = ("DISABLE", "ALLOW", "PREFER", "REQUIRE", "VERIFY_CA", "VERIFY_FULL")
_FORMATS = ("TEXT", "CSV", "BINARY")
_IDENTIFIER = r'(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")'
_COLUMN = re.compile(_IDENTIFIER)
_TABLE = re.compile(rf"{_IDENTIFIER}(?:\.{_IDENTIFIER}){{0,2}}")
_CHUNK = 1 << 16


class PostgresDatabase(Database):
    """A psycopg connection, in autocommit mode between transactions."""

    syntax = POSTGRES
    placeholder = "%s"

    def __init__(self, connection: Any) -> None:
        import psycopg

        super().__init__(connection)
        self.errors = (psycopg.Error,)

    def begin(self) -> None:
        # psycopg opens the transaction with the next statement
        self.connection.autocommit = False

    def commit(self) -> None:
        self.connection.commit()
        self.connection.autocommit = True

    def rollback(self) -> None:
        self.connection.rollback()
        self.connection.autocommit = True

    def cancel(self) -> None:
        import psycopg

        # a cancel that fails (the statement just ended, the server is gone) changes nothing
        with suppress(psycopg.Error):
            if not self.connection.closed:
                self.connection.cancel_safe(timeout=5.0)

    def message(self, error: BaseException) -> str:
        return _message(error)


def run_query(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """postgresql.Query."""
    secrets: list[str] = []
    with scrubbed(ctx, secrets):
        return query(ctx, props, POSTGRES, lambda: _connect(ctx, props, secrets))


def run_queries(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """postgresql.Queries."""
    secrets: list[str] = []
    with scrubbed(ctx, secrets):
        return queries(ctx, props, POSTGRES, lambda: _connect(ctx, props, secrets))


def copy_in(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """postgresql.CopyIn: COPY the file at `from` into `table`; `rowCount` rows copied."""
    secrets: list[str] = []
    with scrubbed(ctx, secrets):
        return _copy(ctx, props, secrets, load=False)


def load(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """postgresql.Load (seed notes): a CSV file with a header line into `table`, by column name."""
    secrets: list[str] = []
    with scrubbed(ctx, secrets):
        return _copy(ctx, props, secrets, load=True)


# -- connecting -----------------------------------------------------------------------------------


def _connect(ctx: TaskContext, props: Mapping[str, Any], secrets: list[str]) -> PostgresDatabase:
    import psycopg

    creds = credentials(ctx, props, "postgresql")
    secrets.extend(creds.secrets())
    server = postgres_server(ctx, creds)
    secrets.extend(server.secrets)
    for name in server.ignored:
        ctx.log("WARN", f"url parameter '{name}' is not used by kflow and is ignored")
    key_password = text(ctx, props, "sslKeyPassword")
    if key_password:
        secrets.append(key_password)
    with tempfile.TemporaryDirectory(prefix="kflow-pg-") as scratch:
        arguments = {**server.arguments, **_tls(ctx, props, Path(scratch), key_password)}
        try:
            connection = psycopg.connect(**arguments, autocommit=True)
        except psycopg.Error as error:
            reason = " ".join(str(error).split()).removeprefix("connection failed: ")
            raise failure(ctx, f"cannot connect to {server.where}: {reason}") from None
    connection.add_notice_handler(lambda diag: ctx.log("INFO", diag.message_primary or ""))
    return PostgresDatabase(connection)


def _tls(
    ctx: TaskContext, props: Mapping[str, Any], scratch: Path, key_password: str | None
) -> dict[str, str]:
    """libpq TLS arguments from the task's ssl properties (PEM texts written to `scratch`)."""
    found: dict[str, str] = {}
    mode = (text(ctx, props, "sslMode") or "").strip().upper()
    if mode:
        if mode not in _SSL_MODES:
            raise failure(ctx, f"sslMode must be one of {', '.join(_SSL_MODES)}, not {mode!r}")
        found["sslmode"] = mode.lower().replace("_", "-")
    elif flag(ctx, props, "ssl", False):
        found["sslmode"] = "require"
    for prop, argument in (
        ("sslRootCert", "sslrootcert"),
        ("sslCert", "sslcert"),
        ("sslKey", "sslkey"),
    ):
        value = text(ctx, props, prop)
        if not value:
            continue
        if "-----BEGIN" in value:
            path = scratch / argument
            # libpq refuses a private key that others can read
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(value if value.endswith("\n") else value + "\n")
            found[argument] = str(path)
        else:
            found[argument] = value.strip()
    if key_password:
        found["sslpassword"] = key_password
    return found


def _message(error: BaseException) -> str:
    """PostgreSQL's message, detail, hint and first context line, and the SQLSTATE."""
    diag: Any = getattr(error, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if diag is None or not primary:
        return " ".join(str(error).split())
    parts = [primary]
    if diag.message_detail:
        parts.append(diag.message_detail)
    if diag.message_hint:
        parts.append(f"hint: {diag.message_hint}")
    if diag.context:
        parts.append(diag.context.strip().splitlines()[0])
    code = f" (SQLSTATE {diag.sqlstate})" if diag.sqlstate else ""
    return "; ".join(" ".join(part.split()) for part in parts) + code


# -- COPY -----------------------------------------------------------------------------------------


def _copy(
    ctx: TaskContext, props: Mapping[str, Any], secrets: list[str], load: bool
) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    table = required_text(ctx, props, "table").strip()
    if not _TABLE.fullmatch(table):
        raise failure(ctx, f"'table' is not a table name: {table!r}")
    source = storage_path(ctx, required_text(ctx, props, "from").strip(), "from")
    fmt = (text(ctx, props, "format") or ("CSV" if load else "TEXT")).strip().upper()
    if fmt not in _FORMATS:
        raise failure(ctx, f"format must be one of {', '.join(_FORMATS)}, not {fmt!r}")
    header = flag(ctx, props, "header", True) if load or props.get("header") is not None else None
    delimiter = _character(ctx, props, "delimiter")
    quote = _character(ctx, props, "quote")
    columns = _names(ctx, props, "columns")
    options = _options(ctx, props, fmt, header, delimiter, quote)
    db = _connect(ctx, props, secrets)
    try:
        ctx.on_kill(db.cancel)
        with db.connection.cursor() as cursor:
            column_sql: Any = None
            if columns is not None:
                column_sql = sql.SQL(", ").join(sql.SQL(c) for c in columns)
            elif load and header:
                wanted = _header(ctx, source, props, delimiter or ",", quote or '"')
                if wanted:
                    found = _table_columns(ctx, cursor, table, wanted)
                    column_sql = sql.SQL(", ").join(map(sql.Identifier, found))
            statement = sql.SQL("COPY {table}{columns} FROM STDIN{options}").format(
                table=sql.SQL(table),
                columns=sql.SQL("") if column_sql is None else sql.SQL(" ({})").format(column_sql),
                options=options,
            )
            ctx.log("DEBUG", f"Starting query: {statement.as_string(db.connection)}")
            with cursor.copy(statement) as copy, source.open("rb") as data:
                while chunk := data.read(_CHUNK):
                    if ctx.cancelled.is_set():
                        raise failure(ctx, "stopped")
                    copy.write(chunk)
            count = cursor.rowcount
    except psycopg.Error as error:
        if ctx.cancelled.is_set():
            raise failure(ctx, "stopped while the database was copying") from None
        raise failure(ctx, _message(error)) from None
    finally:
        db.close()
    ctx.log("INFO", f"copied {count} rows into {table}")
    return {"rowCount": count}


def _options(
    ctx: TaskContext,
    props: Mapping[str, Any],
    fmt: str,
    header: bool | None,
    delimiter: str | None,
    quote: str | None,
) -> Any:
    from psycopg import sql

    options: list[Any] = []
    if fmt != "TEXT":
        options.append(sql.SQL("FORMAT " + fmt))
    if props.get("oids") is not None and flag(ctx, props, "oids", False):
        options.append(sql.SQL("OIDS"))
    if props.get("freeze") is not None and flag(ctx, props, "freeze", False):
        options.append(sql.SQL("FREEZE"))
    if delimiter is not None:
        options.append(sql.SQL("DELIMITER {}").format(sql.Literal(delimiter)))
    null_string = text(ctx, props, "nullString")
    if null_string is not None:
        options.append(sql.SQL("NULL {}").format(sql.Literal(null_string)))
    if header is not None:
        options.append(sql.SQL("HEADER TRUE" if header else "HEADER FALSE"))
    if quote is not None:
        options.append(sql.SQL("QUOTE {}").format(sql.Literal(quote)))
    escape = _character(ctx, props, "escape")
    if escape is not None:
        options.append(sql.SQL("ESCAPE {}").format(sql.Literal(escape)))
    for prop, keyword in (
        ("forceQuote", "FORCE_QUOTE"),
        ("forceNotNull", "FORCE_NOT_NULL"),
        ("forceNull", "FORCE_NULL"),
    ):
        names = _names(ctx, props, prop, star=prop == "forceQuote")
        if names:
            listed = "*" if names == ["*"] else "(" + ", ".join(names) + ")"
            options.append(sql.SQL(f"{keyword} {listed}"))
    encoding = text(ctx, props, "encoding")
    if encoding:
        options.append(sql.SQL("ENCODING {}").format(sql.Literal(encoding.strip())))
    if not options:
        return sql.SQL("")
    return sql.SQL(" WITH ({})").format(sql.SQL(", ").join(options))


def _character(ctx: TaskContext, props: Mapping[str, Any], name: str) -> str | None:
    value = text(ctx, props, name)
    if value is None:
        return None
    value = {"\\t": "\t", "\\n": "\n", "\\r": "\r"}.get(value, value)
    if len(value) != 1:
        raise failure(ctx, f"'{name}' must be one character, not {value!r}")
    return value


def _names(
    ctx: TaskContext, props: Mapping[str, Any], name: str, star: bool = False
) -> list[str] | None:
    """A list of column names (a list, a JSON list text, or one name), each checked."""
    value = rendered(ctx, props, name)
    if value is None:
        return None
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            import json

            try:
                value = json.loads(stripped)
            except json.JSONDecodeError:
                raise failure(ctx, f"'{name}' is not a JSON list: {stripped!r}") from None
        else:
            value = [stripped]
    if not isinstance(value, list):
        raise failure(ctx, f"'{name}' must be a list of column names")
    names = [str(item).strip() for item in value]
    for column in names:
        if not (_COLUMN.fullmatch(column) or (star and column == "*")):
            raise failure(ctx, f"'{name}' holds {column!r}, which is not a column name")
    return names


def _header(
    ctx: TaskContext, source: Path, props: Mapping[str, Any], delimiter: str, quote: str
) -> list[str]:
    """The names on the first line of the CSV file (an empty list for an empty file)."""
    encoding = (text(ctx, props, "encoding") or "utf-8").strip()
    # a byte-order mark is not part of the first name
    python_encoding = "utf-8-sig" if encoding.lower() in ("utf-8", "utf8") else encoding
    try:
        with source.open(encoding=python_encoding, newline="") as handle:
            first = handle.readline()
    except LookupError:
        raise failure(ctx, f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError:
        raise failure(ctx, f"the file at 'from' is not {encoding} text") from None
    if not first.strip():
        return []
    return next(csv.reader(io.StringIO(first), delimiter=delimiter, quotechar=quote))


def _table_columns(ctx: TaskContext, cursor: Any, table: str, wanted: list[str]) -> list[str]:
    """The table's column for each header name: an exact match, else one that differs in case."""
    from psycopg import sql

    cursor.execute(sql.SQL("SELECT * FROM {} LIMIT 0").format(sql.SQL(table)))
    existing = [str(column[0]) for column in cursor.description or []]
    by_lower: dict[str, str] = {}
    for column in existing:
        by_lower.setdefault(column.lower(), column)
    found = []
    for name in wanted:
        clean = name.strip()
        match = clean if clean in existing else by_lower.get(clean.lower())
        if match is None:
            raise failure(
                ctx,
                f"the file's column {clean!r} is not a column of {table} "
                f"(it has: {', '.join(existing)})",
            )
        found.append(match)
    return found
