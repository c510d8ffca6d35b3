"""MySQL and MariaDB through PyMySQL: the mysql.Query task.

The connection comes from `jdbc_urls.mysql_server` (`jdbc:mysql://` or `jdbc:mariadb://` URL,
credentials, environment fallback; `sslMode`/`useSSL` as Connector/J reads them). Text is
exchanged as utf8mb4. Stopping the task sends `KILL QUERY` for the running statement over a second
connection. MySQL `TIME` values read as a time of day (`10:30:00`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kflow.runtime_shims.context import TaskContext
from kflow.runtime_shims.tasks._common import failure
from kflow.runtime_shims.tasks.jdbc_run import Database, query
from kflow.runtime_shims.tasks.jdbc_sql import MYSQL
from kflow.runtime_shims.tasks.jdbc_urls import credentials, mysql_server, scrubbed

__all__ = ["MysqlDatabase", "run_query"]


class MysqlDatabase(Database):
    """A PyMySQL connection in autocommit mode; `begin` opens an explicit transaction."""

    syntax = MYSQL
    placeholder = "%s"
    clock_timedelta = True

    def __init__(self, connection: Any, arguments: dict[str, Any]) -> None:
        import pymysql

        super().__init__(connection)
        self.errors = (pymysql.err.MySQLError,)
        self.arguments = arguments
        self.thread_id = connection.thread_id()

    def begin(self) -> None:
        self.connection.begin()

    def cancel(self) -> None:
        import pymysql

        # PyMySQL connections are not thread-safe: the kill goes over a connection of its own
        killer = pymysql.connect(**{**self.arguments, "connect_timeout": 5})
        try:
            with killer.cursor() as cursor:
                cursor.execute("KILL QUERY %s", (self.thread_id,))
        finally:
            killer.close()

    def message(self, error: BaseException) -> str:
        return _message(error)


def run_query(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """mysql.Query."""
    secrets: list[str] = []
    with scrubbed(ctx, secrets):
        return query(ctx, props, MYSQL, lambda: _connect(ctx, props, secrets))


def _connect(ctx: TaskContext, props: Mapping[str, Any], secrets: list[str]) -> MysqlDatabase:
    import pymysql

    creds = credentials(ctx, props, "mysql")
    secrets.extend(creds.secrets())
    server = mysql_server(ctx, creds)
    secrets.extend(server.secrets)
    for name in server.ignored:
        ctx.log("WARN", f"url parameter '{name}' is not used by kflow and is ignored")
    try:
        connection = pymysql.connect(**server.arguments, autocommit=True)
    except pymysql.err.MySQLError as error:
        raise failure(ctx, f"cannot connect to {server.where}: {_message(error)}") from None
    return MysqlDatabase(connection, server.arguments)


def _message(error: BaseException) -> str:
    args: tuple[Any, ...] = tuple(getattr(error, "args", ()))
    if len(args) >= 2 and isinstance(args[0], int):
        return f"{' '.join(str(args[1]).split())} (error {args[0]})"
    return " ".join(str(error).split())
