"""The JDBC tasks against real databases: PostgreSQL, MariaDB, SQLite files, in-memory DuckDB.

Servers: PostgreSQL at `KFLOW_TEST_POSTGRES_URL` (default jdbc:postgresql://127.0.0.1:5432/test,
user `KFLOW_TEST_POSTGRES_USERNAME`, default postgres) and MariaDB/MySQL at `KFLOW_TEST_MYSQL_URL`
(default jdbc:mysql://127.0.0.1:3306/test, user `KFLOW_TEST_MYSQL_USERNAME`, default root); a test
needing a server that does not answer is skipped with the reason. Each test uses tables of its own
(a fresh name) and drops them.
"""

from __future__ import annotations

import json
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kflow.cli import main as kflow_main
from kflow.runtime_shims.context import TaskContext, TaskFailure
from kflow.runtime_shims.storage import LocalStorage
from kflow.runtime_shims.tasks import implementation
from kflow.runtime_shims.tasks.jdbc_sql import MYSQL, POSTGRES, bind_named, split_statements
from kflow.runtime_shims.tasks.jdbc_urls import (
    credentials,
    mysql_server,
    postgres_server,
    scrub,
)
from kflow.runtime_shims.templating import render_value
from tests.conftest import Server

JDBC = "io.kestra.plugin.jdbc"
SECRET = "Sup3r-S3cret-pw"


@dataclass
class Run:
    """Runs JDBC tasks with a real storage; keeps the logs they write."""

    tmp: Path
    storage: LocalStorage
    logs: list[tuple[str, str]] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)

    def context(self, short_type: str) -> TaskContext:
        return TaskContext(
            execution_id="exec1",
            namespace="dev",
            flow_id="flow",
            task_id="t1",
            task_run_id=uuid.uuid4().hex[:8],
            task_type=f"{JDBC}.{short_type}",
            variables={"outputs": {}, "inputs": {}, **self.variables},
            storage=self.storage,
            log=lambda level, message: self.logs.append((level, message)),
            renderer=render_value,
        )

    def __call__(self, short_type: str, **props: Any) -> dict[str, Any]:
        return self.call(self.context(short_type), **props)

    def call(self, ctx: TaskContext, **props: Any) -> dict[str, Any]:
        found = implementation(ctx.task_type)
        assert found is not None, ctx.task_type
        return found(ctx, props)

    def fails(self, short_type: str, **props: Any) -> str:
        with pytest.raises(TaskFailure) as caught:
            self(short_type, **props)
        return str(caught.value)

    def put(self, name: str, data: bytes) -> str:
        return self.storage.put(f"test/{name}", data)

    def read(self, uri: str) -> str:
        return self.storage.path(uri).read_text(encoding="utf-8")


@pytest.fixture
def run(tmp_path: Path) -> Run:
    return Run(tmp_path, LocalStorage(tmp_path / "storage"))


@pytest.fixture
def pg_table(run: Run, postgres: Server) -> Iterator[str]:
    """A fresh PostgreSQL table name, dropped after the test."""
    name = f"kflow_{uuid.uuid4().hex[:12]}"
    yield name
    run("postgresql.Query", **postgres.props(), sql=f"DROP TABLE IF EXISTS {name}")


def pg(run: Run, server: Server, sql: str, **props: Any) -> dict[str, Any]:
    return run("postgresql.Query", **server.props(), sql=sql, **props)


def count(run: Run, server: Server, table: str) -> int:
    found = pg(run, server, f"SELECT count(*) AS n FROM {table}", fetchType="FETCH_ONE")
    return int(found["row"]["n"])


# -- SQL text ------------------------------------------------------------------------------------


def test_statements_split_outside_strings_comments_and_dollar_bodies() -> None:
    script = """
        INSERT INTO t VALUES ('a;b', "c;d"); -- a comment; still a comment
        CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql;
        /* only ; a comment */ ;
        SELECT E'it\\'s;' , 'x''y;'
    """
    assert split_statements(script, POSTGRES) == [
        "INSERT INTO t VALUES ('a;b', \"c;d\")",
        "-- a comment; still a comment\n"
        "        CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ "
        "LANGUAGE plpgsql",
        "SELECT E'it\\'s;' , 'x''y;'",
    ]
    # MySQL: backslash escapes in strings, # comments, and `--` needs a blank to be a comment
    assert split_statements("SELECT 'a\\';b'; SELECT 1--1; # x;\nSELECT 2", MYSQL) == [
        "SELECT 'a\\';b'",
        "SELECT 1--1",
        "# x;\nSELECT 2",
    ]


def test_named_parameters_skip_casts_strings_and_double_percent() -> None:
    sql, names = bind_named(
        "SELECT :a::text, ':no', \"x:no\", b % 2 FROM t WHERE c LIKE 'a%' AND d = :b_2",
        POSTGRES,
        "%s",
    )
    assert names == ["a", "b_2"]
    assert sql == ("SELECT %s::text, ':no', \"x:no\", b %% 2 FROM t WHERE c LIKE 'a%%' AND d = %s")
    assert bind_named("SELECT :x, ':y'", POSTGRES, "?") == ("SELECT ?, ':y'", ["x"])


# -- URLs ----------------------------------------------------------------------------------------


def test_jdbc_urls_become_driver_arguments(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KFLOW_JDBC_POSTGRESQL_PASSWORD", "from-env")
    ctx = run.context("postgresql.Query")
    url = (
        "jdbc:postgresql://url_user:url%40pw@db1:5433,[::1]/sales"
        "?ssl=true&connectTimeout=3&currentSchema=app&ApplicationName=etl&prepareThreshold=5"
    )
    server = postgres_server(
        ctx, credentials(ctx, {"url": url, "username": "prop_user"}, "postgresql")
    )
    assert server.arguments == {
        "host": "db1,::1",
        "port": "5433,5432",
        "dbname": "sales",
        "connect_timeout": "3",
        "sslmode": "require",
        "options": "-c search_path=app",
        "application_name": "etl",
        "user": "prop_user",  # the property wins over the URL's user
        "password": "url@pw",  # the URL's password wins over the environment's
    }
    assert server.where == "db1:5433,[::1]:5432/sales"
    assert server.ignored == ["prepareThreshold"]
    props = {"url": "jdbc:postgresql:warehouse", "password": "{{ 'p' ~ 'w' }}"}
    server = postgres_server(ctx, credentials(ctx, props, "postgresql"))
    assert server.arguments["host"] == "localhost" and server.arguments["dbname"] == "warehouse"
    assert server.arguments["password"] == "pw" and server.arguments["connect_timeout"] == "10"
    mysql_ctx = run.context("mysql.Query")
    props = {"url": "jdbc:mariadb://h/shop?user=u&password=p&connectTimeout=2500&useSSL=true"}
    server = mysql_server(mysql_ctx, credentials(mysql_ctx, props, "mysql"))
    tls = server.arguments.pop("ssl")
    assert server.arguments == {
        "host": "h",
        "port": 3306,
        "database": "shop",
        "connect_timeout": 2.5,
        "charset": "utf8mb4",
        "user": "u",
        "password": "p",
    }
    assert tls.check_hostname is False and server.secrets == ["p"]


# -- PostgreSQL Query ----------------------------------------------------------------------------


def _items_table(run: Run, postgres: Server, table: str) -> None:
    pg(
        run,
        postgres,
        f"""CREATE TABLE {table} (id int PRIMARY KEY, name text, price numeric(10, 2),
            created timestamptz, day date, data jsonb, raw bytea);
        INSERT INTO {table} VALUES
            (1, 'apple', 12.50, '2024-01-02 03:04:05+00', '2024-01-02', '{{"k": [1, 2]}}', 'ab'),
            (2, 'pear', 3, '2024-06-01 12:00:00.25+02', '2024-06-01', null, null),
            (3, 'plum', null, null, null, null, null)""",
    )


def test_postgres_fetch_gives_rows_as_json_values(
    run: Run, postgres: Server, pg_table: str
) -> None:
    _items_table(run, postgres, pg_table)
    found = pg(run, postgres, f"SELECT * FROM {pg_table} ORDER BY id", fetchType="FETCH")
    assert found["size"] == 3
    assert found["rows"][0] == {
        "id": 1,
        "name": "apple",
        "price": 12.5,
        "created": "2024-01-02T03:04:05Z",
        "day": "2024-01-02",
        "data": {"k": [1, 2]},
        "raw": "YWI=",
    }
    assert found["rows"][1]["created"] == "2024-06-01T10:00:00.25Z"
    price = found["rows"][1]["price"]
    assert price == 3 and isinstance(price, float)  # numeric(10,2) 3.00 reads as a float
    assert found["rows"][2]["price"] is None
    json.dumps(found)  # outputs are plain JSON
    # timeZoneId moves timestamps with a time zone into it
    zoned = pg(
        run,
        postgres,
        f"SELECT created FROM {pg_table} WHERE id = 1",
        fetchType="FETCH_ONE",
        timeZoneId="Europe/Paris",
    )
    assert zoned["row"]["created"] == "2024-01-02T04:04:05+01:00"


def test_postgres_fetch_one_store_none_and_deprecated_fetch(
    run: Run, postgres: Server, pg_table: str
) -> None:
    _items_table(run, postgres, pg_table)
    select = f"SELECT id, name FROM {pg_table} ORDER BY id"
    assert pg(run, postgres, select, fetchType="FETCH_ONE") == {
        "row": {"id": 1, "name": "apple"},
        "size": 1,
    }
    assert pg(run, postgres, f"{select} LIMIT 0", fetchType="FETCH_ONE") == {"size": 0}
    stored = pg(run, postgres, select, fetchType="STORE", fetchSize=2)
    assert stored["size"] == 3 and stored["uri"].startswith("kestra:///dev/flow/executions/")
    lines = run.read(stored["uri"]).splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": 1, "name": "apple"},
        {"id": 2, "name": "pear"},
        {"id": 3, "name": "plum"},
    ]
    assert pg(run, postgres, select) == {"size": 3}  # NONE: the rows the server reports
    assert pg(run, postgres, select, fetch=True)["rows"][2] == {"id": 3, "name": "plum"}
    assert pg(run, postgres, select, fetchType="{{ 'fetch_one' | upper }}")["size"] == 1
    # a statement without rows gives the rows it changed
    assert pg(run, postgres, f"UPDATE {pg_table} SET name = 'x' WHERE id > 1") == {"size": 2}


def test_postgres_query_outputs_come_from_the_last_statement_with_rows(
    run: Run, postgres: Server, pg_table: str
) -> None:
    found = pg(
        run,
        postgres,
        f"CREATE TABLE {pg_table} (a int); INSERT INTO {pg_table} VALUES (1), (2);"
        f"SELECT sum(a) AS total FROM {pg_table}; UPDATE {pg_table} SET a = 0",
        fetchType="FETCH",
    )
    assert found == {"rows": [{"total": 3}], "size": 1}


def test_after_sql_runs_in_the_same_transaction(run: Run, postgres: Server, pg_table: str) -> None:
    pg(run, postgres, f"CREATE TABLE {pg_table} (id int, done bool DEFAULT false)")
    pg(run, postgres, f"INSERT INTO {pg_table} (id) VALUES (1), (2)")
    found = pg(
        run,
        postgres,
        f"SELECT id FROM {pg_table} WHERE NOT done ORDER BY id",
        afterSQL=f"UPDATE {pg_table} SET done = true",
        fetchType="FETCH",
    )
    assert found["rows"] == [{"id": 1}, {"id": 2}]
    left = pg(run, postgres, f"SELECT count(*) AS n FROM {pg_table} WHERE NOT done", fetch=True)
    assert left["rows"] == [{"n": 0}]
    message = run.fails(
        "postgresql.Query",
        **postgres.props(),
        sql=f"DELETE FROM {pg_table}",
        afterSQL="SELECT no_such_column",
    )
    assert "no_such_column" in message
    assert count(run, postgres, pg_table) == 2  # the DELETE was rolled back


def test_parameters_are_bound_so_an_injection_stays_data(
    run: Run, postgres: Server, pg_table: str
) -> None:
    pg(run, postgres, f"CREATE TABLE {pg_table} (id int, name text)")
    attack = f"x'); DROP TABLE {pg_table}; --"
    pg(
        run,
        postgres,
        f"INSERT INTO {pg_table} VALUES (:id, :name)",
        parameters={"id": "{{ 40 + 2 }}", "name": attack},
    )
    found = pg(
        run,
        postgres,
        f"SELECT id::text AS id, name, 'a%' AS pct FROM {pg_table} WHERE name = :name",
        parameters={"name": attack},
        fetchType="FETCH",
    )
    assert found["rows"] == [{"id": "42", "name": attack, "pct": "a%"}]
    # the SQL template renders first; a value with ':' and '%' is data too
    run.variables["inputs"] = {"table": pg_table}
    pg(
        run,
        postgres,
        "UPDATE {{ inputs.table }} SET name = :name",
        parameters='{"name": "50% :off"}',
    )
    assert pg(run, postgres, f"SELECT name FROM {pg_table}", fetch=True)["rows"] == [
        {"name": "50% :off"}
    ]
    message = run.fails(
        "postgresql.Query",
        **postgres.props(),
        sql=f"SELECT * FROM {pg_table} WHERE id = :id AND name = :missing",
        parameters={"id": 1},
    )
    assert "uses :missing" in message and "has: id" in message


def test_bad_sql_fails_with_the_database_message(run: Run, postgres: Server) -> None:
    message = run.fails("postgresql.Query", **postgres.props(), sql="SELEC 1")
    assert message.startswith("postgresql.Query: syntax error at or near")
    assert "SQLSTATE 42601" in message
    table = f"kflow_{uuid.uuid4().hex[:12]}"
    message = run.fails("postgresql.Query", **postgres.props(), sql=f"SELECT * FROM {table}")
    assert f'relation "{table}" does not exist' in message


def test_unreachable_server_fails_readably_without_the_password(run: Run) -> None:
    started = time.monotonic()
    message = run.fails(
        "postgresql.Query",
        url=f"jdbc:postgresql://kflow:{SECRET}@127.0.0.1:1/test?connectTimeout=3",
        sql="SELECT 1",
    )
    assert time.monotonic() - started < 10
    assert message.startswith("postgresql.Query: cannot connect to 127.0.0.1:1/test:")
    assert "refused" in message.lower()
    assert SECRET not in message
    message = run.fails(
        "postgresql.Query",
        url="jdbc:postgresql://127.0.0.1:1/test",
        username="kflow",
        password=SECRET,
        sql="SELECT 1",
    )
    assert "cannot connect" in message and SECRET not in message
    message = run.fails(
        "mysql.Query", url="jdbc:mysql://127.0.0.1:1/test", password=SECRET, sql="SELECT 1"
    )
    assert "cannot connect to 127.0.0.1:1/test" in message and SECRET not in message
    assert not any(SECRET in line for _, line in run.logs)


def test_scrub_masks_passwords_in_any_form() -> None:
    text = f"x {SECRET} password={SECRET}x PASSWORD: 'a b' postgresql://u:{SECRET}2@h/db"
    assert scrub(text, [SECRET]) == (
        "x ****** password=****** PASSWORD: ****** postgresql://u:******@h/db"
    )


def test_wrong_url_scheme_and_missing_url_fail_readably(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KFLOW_JDBC_POSTGRESQL_URL", raising=False)
    message = run.fails(
        "postgresql.Query", url=f"jdbc:mysql://u:{SECRET}@127.0.0.1/test", sql="SELECT 1"
    )
    assert "url must be a JDBC URL like jdbc:postgresql://" in message
    assert "jdbc:mysql://u:******@127.0.0.1/test" in message and SECRET not in message
    message = run.fails("postgresql.Query", sql="SELECT 1")
    assert "no 'url'" in message and "KFLOW_JDBC_POSTGRESQL_URL" in message
    assert "jdbc:sqlite:" in run.fails("sqlite.Query", url="jdbc:duckdb:", sql="SELECT 1")


def test_url_and_credentials_from_the_environment(
    run: Run, postgres: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KFLOW_JDBC_POSTGRESQL_URL", postgres.url)
    monkeypatch.setenv("KFLOW_JDBC_POSTGRESQL_USERNAME", postgres.username)
    if postgres.password:
        monkeypatch.setenv("KFLOW_JDBC_POSTGRESQL_PASSWORD", postgres.password)
    found = run("postgresql.Query", sql="SELECT current_user AS who", fetchType="FETCH_ONE")
    assert found["row"] == {"who": postgres.username}
    # the username property wins over the environment's
    message = run.fails("postgresql.Query", username="kflow_nobody", sql="SELECT 1")
    assert "kflow_nobody" in message


def test_stopping_the_task_cancels_the_running_statement(run: Run, postgres: Server) -> None:
    ctx = run.context("postgresql.Query")
    threading.Timer(0.5, ctx.stop).start()
    started = time.monotonic()
    with pytest.raises(TaskFailure, match="stopped"):
        run.call(ctx, **postgres.props(), sql="SELECT pg_sleep(30)")
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("short_type", "props"),
    [
        (
            "sqlite.Query",
            {
                "url": "jdbc:sqlite::memory:",
                "sql": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                "WHERE x < 5000000000) SELECT count(*) FROM c",
            },
        ),
        ("duckdb.Query", {"sql": "SELECT count(*) FROM range(10000000000) a, range(1000) b"}),
        ("mysql.Query", {"sql": "SELECT SLEEP(30)"}),
    ],
)
def test_stopping_interrupts_sqlite_duckdb_and_mysql(
    run: Run, request: pytest.FixtureRequest, short_type: str, props: dict[str, Any]
) -> None:
    if short_type == "duckdb.Query":
        pytest.importorskip("duckdb")
    if short_type == "mysql.Query":
        props = {**request.getfixturevalue("mysql").props(), **props}
    ctx = run.context(short_type)
    caught: list[BaseException] = []

    def target() -> None:
        try:
            run.call(ctx, **props)
        except BaseException as error:
            caught.append(error)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    time.sleep(0.5)
    ctx.stop()
    worker.join(15)
    assert not worker.is_alive(), "the statement went on after the task was stopped"
    assert len(caught) == 1 and isinstance(caught[0], TaskFailure)
    assert "stopped" in str(caught[0])


# -- PostgreSQL Queries --------------------------------------------------------------------------


def test_queries_give_one_output_per_statement_with_rows(
    run: Run, postgres: Server, pg_table: str
) -> None:
    found = run(
        "postgresql.Queries",
        **postgres.props(),
        sql=f"""
            CREATE TABLE {pg_table} (a int, note text);
            INSERT INTO {pg_table} VALUES (1, 'semi;colon'), (2, 'it''s');
            SELECT note FROM {pg_table} ORDER BY a;
            SELECT sum(a) AS total FROM {pg_table} WHERE a > :low;
        """,
        parameters={"low": 0},
        fetchType="FETCH",
    )
    assert found == {
        "outputs": [
            {"rows": [{"note": "semi;colon"}, {"note": "it's"}], "size": 2},
            {"rows": [{"total": 3}], "size": 1},
        ]
    }


def test_queries_transaction_rolls_back_on_failure(
    run: Run, postgres: Server, pg_table: str
) -> None:
    pg(run, postgres, f"CREATE TABLE {pg_table} (a int PRIMARY KEY)")
    message = run.fails(
        "postgresql.Queries",
        **postgres.props(),
        sql=f"INSERT INTO {pg_table} VALUES (1); INSERT INTO {pg_table} VALUES (1)",
    )
    assert message.startswith("postgresql.Queries: statement 2 of 2: duplicate key value")
    assert count(run, postgres, pg_table) == 0
    message = run.fails(
        "postgresql.Queries",
        **postgres.props(),
        sql=f"INSERT INTO {pg_table} VALUES (1); INSERT INTO {pg_table} VALUES (1)",
        transaction=False,
    )
    assert "duplicate key value" in message
    assert count(run, postgres, pg_table) == 1  # without a transaction the first one stays


# -- PostgreSQL CopyIn and Load ------------------------------------------------------------------


def test_copy_in_a_csv_and_a_text_file(run: Run, postgres: Server, pg_table: str) -> None:
    pg(run, postgres, f"CREATE TABLE {pg_table} (id int, name text, score real)")
    csv_uri = run.put("in.csv", b"id;name;score\n1;ann;1.5\n2;bob;\n")
    found = run(
        "postgresql.CopyIn",
        **postgres.props(),
        table=pg_table,
        **{"from": csv_uri},
        format="CSV",
        header=True,
        delimiter=";",
    )
    assert found == {"rowCount": 2}
    text_uri = run.put("in.txt", b"3\tcid\tNA\n")
    found = run(
        "postgresql.CopyIn",
        **postgres.props(),
        table=pg_table,
        **{"from": text_uri},
        columns=["id", "name", "score"],
        nullString="NA",
    )
    assert found == {"rowCount": 1}
    rows = pg(run, postgres, f"SELECT * FROM {pg_table} ORDER BY id", fetch=True)["rows"]
    assert rows == [
        {"id": 1, "name": "ann", "score": 1.5},
        {"id": 2, "name": "bob", "score": None},
        {"id": 3, "name": "cid", "score": None},
    ]
    message = run.fails(
        "postgresql.CopyIn",
        **postgres.props(),
        table=pg_table,
        **{"from": run.put("bad.csv", b"x,y,z\n")},
        format="CSV",
    )
    assert 'invalid input syntax for type integer: "x"' in message
    message = run.fails(
        "postgresql.CopyIn",
        **postgres.props(),
        table=f"{pg_table}; DROP TABLE {pg_table}",
        **{"from": csv_uri},
    )
    assert "'table' is not a table name" in message


def test_load_maps_header_names_to_columns(run: Run, postgres: Server, pg_table: str) -> None:
    pg(run, postgres, f"CREATE TABLE {pg_table} (id int, name text, amount numeric)")
    # pandas' to_csv: a header line, any column order, names in any case
    uri = run.put("data.csv", b'Amount,ID,name\n1.25,1,"a, b"\n,2,c\n')
    assert run("postgresql.Load", **postgres.props(), table=pg_table, **{"from": uri}) == {
        "rowCount": 2
    }
    rows = pg(run, postgres, f"SELECT * FROM {pg_table} ORDER BY id", fetch=True)["rows"]
    assert rows == [
        {"id": 1, "name": "a, b", "amount": 1.25},
        {"id": 2, "name": "c", "amount": None},
    ]
    message = run.fails(
        "postgresql.Load",
        **postgres.props(),
        table=pg_table,
        **{"from": run.put("extra.csv", b"id,colour\n1,red\n")},
    )
    assert "the file's column 'colour' is not a column of" in message
    missing = f"kflow_{uuid.uuid4().hex[:12]}"
    message = run.fails("postgresql.Load", **postgres.props(), table=missing, **{"from": uri})
    assert f'relation "{missing}" does not exist' in message  # Load creates no table


# -- MySQL, SQLite, DuckDB -----------------------------------------------------------------------


def test_mysql_query_fetch(run: Run, mysql: Server) -> None:
    table = f"kflow_{uuid.uuid4().hex[:12]}"
    props = mysql.props()
    try:
        run(
            "mysql.Query",
            **props,
            sql=f"CREATE TABLE {table} (id INT, name VARCHAR(50), at TIME, price DECIMAL(6,2));"
            f"INSERT INTO {table} VALUES (1, 'a', '10:30:00', 2.50), (2, 'b''c', NULL, 3)",
        )
        found = run(
            "mysql.Query",
            **props,
            sql=f"SELECT * FROM {table} WHERE name LIKE '%' AND id >= :low ORDER BY id",
            parameters={"low": 1},
            fetchType="FETCH",
        )
        assert found == {
            "rows": [
                {"id": 1, "name": "a", "at": "10:30:00", "price": 2.5},
                {"id": 2, "name": "b'c", "at": None, "price": 3.0},
            ],
            "size": 2,
        }
        message = run.fails("mysql.Query", **props, sql=f"SELECT nope FROM {table}")
        assert message.startswith("mysql.Query: Unknown column 'nope'")
    finally:
        run("mysql.Query", **props, sql=f"DROP TABLE IF EXISTS {table}")


def test_sqlite_trigger_body_is_one_statement(run: Run, tmp_path: Path) -> None:
    found = run(
        "sqlite.Query",
        url=f"jdbc:sqlite:{tmp_path / 'data.db'}",
        sql="""
            CREATE TABLE t (id INTEGER); CREATE TABLE audit (id INTEGER, note TEXT);
            CREATE TRIGGER t_audit AFTER INSERT ON t BEGIN
                INSERT INTO audit VALUES (new.id, 'added;');
                INSERT INTO audit VALUES (new.id * 10, 'twice');
            END;
            INSERT INTO t VALUES (1);
            SELECT * FROM audit ORDER BY id
        """,
        fetchType="FETCH",
    )
    assert found["rows"] == [{"id": 1, "note": "added;"}, {"id": 10, "note": "twice"}]


def test_sqlite_query_fetch_and_store_on_a_file(run: Run, tmp_path: Path) -> None:
    url = f"jdbc:sqlite:{tmp_path / 'data.db'}"
    run(
        "sqlite.Query",
        url=url,
        sql="CREATE TABLE t (id INTEGER, name TEXT, blob BLOB); "
        "INSERT INTO t VALUES (1, 'a', x'6162'), (2, 'b;c', NULL)",
    )
    assert (tmp_path / "data.db").is_file()
    found = run(
        "sqlite.Query",
        url=url,
        sql="SELECT * FROM t WHERE id >= :low ORDER BY id",
        parameters={"low": 1},
        fetchType="FETCH",
    )
    assert found["rows"] == [
        {"id": 1, "name": "a", "blob": "YWI="},
        {"id": 2, "name": "b;c", "blob": None},
    ]
    stored = run("sqlite.Query", url=url, sql="SELECT id FROM t ORDER BY id", store=True)
    assert stored["size"] == 2 and run.read(stored["uri"]) == '{"id":1}\n{"id":2}\n'
    # a relative path lives in the task's working directory: sqliteFile / outputDbFile carry it
    database = run.put("copy.db", (tmp_path / "data.db").read_bytes())
    found = run(
        "sqlite.Query",
        url="jdbc:sqlite:work.db",
        sqliteFile=database,
        outputDbFile=True,
        sql="DELETE FROM t WHERE id = 1",
    )
    assert found["size"] == 1 and found["databaseUri"].endswith("/work.db")
    assert "no such table: nope" in run.fails("sqlite.Query", url=url, sql="SELECT * FROM nope")


def test_duckdb_query_with_files(run: Run) -> None:
    pytest.importorskip("duckdb")
    found = run(
        "duckdb.Query",
        sql="CREATE TABLE t AS SELECT * FROM read_csv('in.csv', header = true);"
        "COPY (SELECT name FROM t WHERE id > 1) TO '{{ outputFiles.out }}' (HEADER);"
        "SELECT id, name, id * 1.5 AS more FROM t WHERE id >= :low ORDER BY id",
        inputFiles={"in.csv": "id,name\n1,a\n2,b\n"},
        outputFiles=["out"],
        parameters={"low": 1},
        fetchType="FETCH",
    )
    assert found["rows"] == [{"id": 1, "name": "a", "more": 1.5}, {"id": 2, "name": "b", "more": 3}]
    assert run.read(found["outputFiles"]["out"]) == "name\nb\n"
    # DuckDB answers DML with a one-row `Count` result: it reads as rows changed
    changed = run(
        "duckdb.Query",
        sql="CREATE TABLE t (a INT); INSERT INTO t VALUES (1), (2)",
        fetchType="FETCH",
    )
    assert changed == {"size": 2, "outputFiles": {}}
    assert "Catalog Error" in run.fails("duckdb.Query", sql="SELECT * FROM nope")


def test_duckdb_missing_fails_with_the_extra_to_install(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "duckdb", None)  # what `import duckdb` meets when absent
    assert "pip install duckdb" in run.fails("duckdb.Query", sql="SELECT 1")


# -- a whole flow --------------------------------------------------------------------------------


def test_a_flow_with_plugin_defaults_loads_a_file_of_a_previous_task(
    tmp_path: Path, postgres: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    table = f"kflow_{uuid.uuid4().hex[:12]}"
    password = f"\n      password: {postgres.password}" if postgres.password else ""
    flow = tmp_path / "etl.yml"
    flow.write_text(
        textwrap.dedent(
            f"""\
            id: etl
            namespace: team.data
            tasks:
              - id: make
                type: io.kestra.plugin.core.storage.LocalFiles
                inputs:
                  data.csv: "name,id\\nann,1\\nbob,2\\n"
                outputs:
                  - data.csv
              - id: create
                type: io.kestra.plugin.jdbc.postgresql.Queries
                sql: "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id int, name text)"
              - id: load
                type: io.kestra.plugin.jdbc.postgresql.Load
                from: "{{{{ outputs.make.uris['data.csv'] }}}}"
                table: {table}
              - id: check
                type: io.kestra.plugin.jdbc.postgresql.Query
                sql: "SELECT name FROM {table} WHERE id = :id"
                parameters:
                  id: "{{{{ outputs.load.rowCount }}}}"
                fetchType: FETCH_ONE
            finally:
              - id: drop
                type: io.kestra.plugin.jdbc.postgresql.Query
                sql: DROP TABLE {table}
            outputs:
              - id: second
                type: STRING
                value: "{{{{ outputs.check.row.name }}}}"
            pluginDefaults:
              - type: io.kestra.plugin.jdbc.postgresql
                values:
                  url: {postgres.url}
                  username: {postgres.username}{password}
            """
        ),
        encoding="utf-8",
    )
    code = kflow_main(
        ["run", str(flow), "--output", "json", "--state-dir", str(tmp_path / "state")]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0, report
    assert report["state"] == "SUCCESS"
    runs = {r["taskId"]: r for r in report["taskRuns"]}
    assert runs["load"]["outputs"] == {"rowCount": 2}
    assert report["outputs"] == {"second": "bob"}
