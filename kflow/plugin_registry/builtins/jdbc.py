"""Properties models of the JDBC tasks: PostgreSQL, MySQL, SQLite and DuckDB queries, COPY loads.

A missing `url` is not an error: it may come from pluginDefaults, secrets or the environment, so the
specs list it under `connection` and the checker warns (KF214) instead.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from kflow.plugin_registry.types import Dynamic, Properties, Templated, Text

FetchType = Literal["FETCH", "FETCH_ONE", "STORE", "NONE"]


class Connection(Properties):
    """How to reach the database."""

    url: Text = Field(description="The JDBC URL (jdbc:postgresql://host:5432/db, …).")
    username: Text | None = Field(None, description="The database user.")
    password: Text | None = Field(None, description="The user's password.")


class _Statement(Connection):
    timeZoneId: Text | None = Field(None, description="Time zone of dates and times.")
    parameters: Templated[dict[str, Any]] | None = Field(
        None, description="Values bound to :name placeholders in the SQL."
    )
    fetchType: Templated[FetchType] = Field(
        "NONE", description="FETCH all rows, FETCH_ONE row, STORE rows in a file, or NONE."
    )
    fetchSize: Templated[int] = Field(10000, description="Rows read per round trip (STORE).")
    fetch: bool = Field(False, deprecated="write 'fetchType: FETCH'")
    fetchOne: bool = Field(False, deprecated="write 'fetchType: FETCH_ONE'")
    store: bool = Field(False, deprecated="write 'fetchType: STORE'")


class QueryProperties(_Statement):
    """A JDBC Query task (one statement)."""

    sql: Text = Field(description="The SQL statement to run.")
    afterSQL: Text | None = Field(None, description="SQL run after it in the same transaction.")


class QueriesProperties(_Statement):
    """A JDBC Queries task (several statements separated by `;`)."""

    sql: Text = Field(description="The SQL statements to run.")
    transaction: Templated[bool] = Field(True, description="Run them in one transaction.")


SslMode = Literal["DISABLE", "ALLOW", "PREFER", "REQUIRE", "VERIFY_CA", "VERIFY_FULL"]


class _PostgresSsl(Properties):
    ssl: Templated[bool] = Field(False, description="Connect over TLS.")
    sslMode: Templated[SslMode] | None = Field(None, description="The TLS mode.")
    sslRootCert: Text | None = Field(None, description="The CA certificate (PEM).")
    sslCert: Text | None = Field(None, description="The client certificate (PEM).")
    sslKey: Text | None = Field(None, description="The client key (PEM).")
    sslKeyPassword: Text | None = Field(None, description="The client key password.")


class PostgresQueryProperties(QueryProperties, _PostgresSsl):
    """io.kestra.plugin.jdbc.postgresql.Query."""


class PostgresQueriesProperties(QueriesProperties, _PostgresSsl):
    """io.kestra.plugin.jdbc.postgresql.Queries."""


class CopyInProperties(Connection, _PostgresSsl):
    """io.kestra.plugin.jdbc.postgresql.CopyIn (COPY … FROM STDIN)."""

    table: Text = Field(description="The table to load.")
    from_: Text = Field(alias="from", description="The kestra:// URI of the file to load.")
    format: Templated[Literal["TEXT", "CSV", "BINARY"]] = Field("TEXT", description="File format.")
    header: Templated[bool] = Field(False, description="The file starts with a header line (CSV).")
    columns: Templated[list[Text]] | None = Field(None, description="The columns to fill.")
    delimiter: Text | None = Field(None, description="The column separator.")
    nullString: Text | None = Field(None, description="The text of a NULL.")
    quote: Text | None = Field(None, description="The quote character (CSV).")
    escape: Text | None = Field(None, description="The escape character (CSV).")
    forceQuote: Templated[list[Text]] | None = Field(None, description="Columns always quoted.")
    forceNotNull: Templated[list[Text]] | None = Field(None, description="Columns never NULL.")
    forceNull: Templated[list[Text]] | None = Field(None, description="Columns NULL when empty.")
    encoding: Text | None = Field(None, description="The file encoding.")
    oids: Templated[bool] | None = Field(None, description="Copy the OID of each row.")
    freeze: Templated[bool] | None = Field(None, description="COPY … FREEZE.")


class LoadProperties(CopyInProperties):
    """io.kestra.plugin.jdbc.postgresql.Load: a seed-notes type, not a Kestra one.

    kflow runs it as CopyIn of a CSV file with a header line (what pandas' to_csv writes).
    """

    format: Templated[Literal["TEXT", "CSV", "BINARY"]] = Field("CSV", description="File format.")
    header: Templated[bool] = Field(True, description="The file starts with a header line.")


class SqliteQueryProperties(QueryProperties):
    """io.kestra.plugin.jdbc.sqlite.Query."""

    sqliteFile: Text | None = Field(None, description="A kestra:// database file to open.")
    outputDbFile: Templated[bool] = Field(False, description="Output the database file.")


class DuckdbQueryProperties(QueryProperties):
    """io.kestra.plugin.jdbc.duckdb.Query; without `url` it runs in memory."""

    url: Text = Field("jdbc:duckdb:", description="The JDBC URL; in memory by default.")
    databaseFile: Text | None = Field(None, description="Path of the database file.")
    databaseUri: Text | None = Field(
        None, description="A kestra:// database file to open (a copy; see outputDbFile)."
    )
    outputDbFile: Templated[bool] = Field(
        False, description="Store the database file afterwards, as output `databaseUri`."
    )
    inputFiles: Dynamic[dict[str, Text]] | None = Field(
        None, description="Files to put next to the database: name → content or URI."
    )
    outputFiles: Templated[list[Text]] | None = Field(None, description="Files to keep.")
