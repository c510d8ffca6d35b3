"""The ETL examples and the seed's data flows, run end to end on the runner.

- `examples/etl/`: the README's main-job command, on the embedded default (DuckDB in a file of
  internal storage), and the same pipeline against PostgreSQL with the CSV served over HTTP.
- The seed's `11-etl-pipeline` and `12-data-quality` as written, with their network addresses
  pointed at the local servers; the rows in the tables are checked.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from kflow.cli import main
from tests.conftest import REPO, Server

ETL = REPO / "examples/etl"
ROWS = [  # processed_data after the transform of examples/etl/orders.csv
    (1001, "Acme Corp", "FR", 59.7, "2024-01-02"),
    (1002, "Globex", "DE", 249.0, "2024-01-02"),
    (1004, "Initech", "US", 32.0, "2024-01-03"),
    (1005, "Umbrella", "GB", 1200.0, "2024-01-04"),
    (1006, "Acme Corp", "FR", 99.5, "2024-01-05"),
    (1008, "Stark Industries", "US", 1999.98, "2024-01-06"),
    (1009, "Wayne Enterprises", "US", 301.0, "2024-01-06"),
    (1010, "Globex", "DE", 72.0, "2024-01-07"),
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code = main(["run", *argv, "--output", "json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert code == (0 if report["state"] in ("SUCCESS", "WARNING") else 1)
    return report


def states(report: dict[str, Any]) -> dict[str, str]:
    return {r["taskId"]: r["state"] for r in report["taskRuns"]}


def by_task(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["taskId"]: r for r in report["taskRuns"]}


@pytest.fixture
def pg(postgres: Server) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(
        postgres.url.removeprefix("jdbc:"), user=postgres.username, password=postgres.password,
        autocommit=True,
    ) as connection:  # fmt: skip
        yield connection


def table_rows(pg: psycopg.Connection[Any], table: str) -> list[tuple[Any, ...]]:
    found = pg.execute(
        f"SELECT order_id, customer, country, total::float, ordered_at::text FROM {table} "
        "ORDER BY order_id"
    ).fetchall()
    return [tuple(row) for row in found]


def test_embedded_etl_loads_and_checks_the_orders(tmp_path: Path, capsys: Any) -> None:
    """The README's main-job command."""
    report = run(
        capsys, str(ETL / "etl-pipeline.yml"), "--flows-dir", str(ETL),
        "--input", f"orders=@{ETL / 'orders.csv'}", "--state-dir", str(tmp_path),
    )  # fmt: skip
    assert report["state"] == "SUCCESS", report
    assert states(report) == {"transform": "SUCCESS", "load": "SUCCESS", "quality": "SUCCESS"}
    assert report["outputs"] == {"loaded": 8, "dropped": 2}
    quality = by_task(report)["quality"]["outputs"]
    assert quality["outputs"] == {"rows": 8, "passed": True}
    # the database file the pipeline stored holds the cleaned rows
    import duckdb

    uri = by_task(report)["load"]["outputs"]["databaseUri"]
    path = tmp_path / "storage" / uri.removeprefix("kestra:///")
    assert path.is_file(), uri
    with duckdb.connect(str(path), read_only=True) as db:
        found = db.execute(
            "SELECT order_id, customer, country, total, ordered_at::text FROM processed_data "
            "ORDER BY order_id"
        ).fetchall()
    assert found == ROWS


def test_embedded_etl_fails_readably_on_a_bad_file(tmp_path: Path, capsys: Any) -> None:
    bad = tmp_path / "orders.csv"
    bad.write_text("order_id,customer\n1,Acme\n")
    report = run(
        capsys, str(ETL / "etl-pipeline.yml"), "--flows-dir", str(ETL),
        "--input", f"orders=@{bad}", "--state-dir", str(tmp_path / "state"),
    )  # fmt: skip
    assert report["state"] == "FAILED"
    assert states(report) == {"transform": "FAILED"}  # nothing after it was created


@pytest.fixture
def orders_url(serve_directory: Callable[[Path], str]) -> str:
    return serve_directory(ETL) + "/orders.csv"


@pytest.fixture
def processed_data(pg: psycopg.Connection[Any]) -> Iterator[str]:
    """The examples' fixed table name; dropped before and after the test."""
    pg.execute("DROP TABLE IF EXISTS processed_data")
    yield "processed_data"
    pg.execute("DROP TABLE IF EXISTS processed_data")


def test_postgres_etl_downloads_transforms_and_loads(
    tmp_path: Path, capsys: Any, orders_url: str, postgres: Server, pg: Any, processed_data: str
) -> None:
    report = run(
        capsys, str(ETL / "postgres/etl-pipeline.yml"), "--flows-dir", str(ETL),
        "--input", f"source={orders_url}", "--input", f"warehouse={postgres.jdbc_url()}",
        "--state-dir", str(tmp_path),
    )  # fmt: skip
    assert report["state"] == "SUCCESS", report
    assert list(states(report).values()) == ["SUCCESS"] * 5
    assert report["outputs"] == {"loaded": 8}
    assert by_task(report)["extract"]["outputs"]["code"] == 200
    assert by_task(report)["transform"]["outputs"]["vars"] == {"kept": 8}
    assert by_task(report)["quality"]["outputs"]["outputs"] == {"rows": 8, "passed": True}
    assert table_rows(pg, processed_data) == ROWS


def test_postgres_etl_on_an_unreachable_source_fails_at_extract(
    tmp_path: Path, capsys: Any, postgres: Server, pg: Any, processed_data: str
) -> None:
    report = run(
        capsys, str(ETL / "postgres/etl-pipeline.yml"), "--flows-dir", str(ETL),
        "--input", "source=http://127.0.0.1:1/orders.csv",
        "--input", f"warehouse={postgres.jdbc_url()}", "--state-dir", str(tmp_path),
    )  # fmt: skip
    assert report["state"] == "FAILED"
    assert states(report) == {"extract": "FAILED"}
    logs = _logs(capsys, tmp_path, report["id"])
    assert "http.Download: cannot connect to http://127.0.0.1:1/orders.csv" in logs
    assert "Traceback" not in logs


def _logs(capsys: Any, state: Path, execution_id: str) -> str:
    main(["executions", "logs", "--id", execution_id, "--state-dir", str(state)])
    return str(capsys.readouterr().out)


# -- the seed's flows, with their addresses pointed at local servers ----------------------------


def test_seed_etl_pipeline_as_written(
    shared: Path, tmp_path: Path, capsys: Any, orders_url: str, postgres: Server, pg: Any
) -> None:
    table = f"processed_{uuid.uuid4().hex[:8]}"
    pg.execute(
        f"CREATE TABLE {table} (order_id int, customer text, country text, quantity numeric, "
        "unit_price numeric, ordered_at date)"
    )
    try:
        flow = (shared / "examples/seed/11-etl-pipeline.yml").read_text()
        flow = flow.replace(
            "https://data.source.com/{{ execution.date | date('yyyy-MM') }}.csv", orders_url
        )
        flow = flow.replace("jdbc:postgresql://localhost:5432/warehouse", postgres.url)
        flow = flow.replace("username: user", f"username: {postgres.username}")
        flow = flow.replace("table: processed_data", f"table: {table}")
        assert orders_url in flow and table in flow
        path = tmp_path / "etl-pipeline.yml"
        path.write_text(flow)
        report = run(capsys, str(path), "--state-dir", str(tmp_path / "state"))
        assert report["state"] == "SUCCESS", _logs(capsys, tmp_path / "state", report["id"])
        assert states(report) == {"extract": "SUCCESS", "transform": "SUCCESS", "load": "SUCCESS"}
        assert by_task(report)["load"]["outputs"]["rowCount"] == 10  # pandas kept every row
        count = pg.execute(f"SELECT count(*), count(customer) FROM {table}").fetchone()
        assert count == (10, 9)
    finally:
        pg.execute(f"DROP TABLE IF EXISTS {table}")


@pytest.mark.parametrize(("nulls", "alert"), [(0, "SKIPPED"), (2, "SUCCESS")])
def test_seed_data_quality_as_written(
    shared: Path, tmp_path: Path, capsys: Any, postgres: Server, pg: Any, nulls: int, alert: str
) -> None:
    table = f"source_{uuid.uuid4().hex[:8]}"
    pg.execute(f"CREATE TABLE {table} (column1 text)")
    pg.execute(f"INSERT INTO {table} SELECT 'x' FROM generate_series(1, 5)")
    pg.execute(f"INSERT INTO {table} SELECT NULL FROM generate_series(1, {nulls})")
    try:
        flow = (shared / "examples/seed/12-data-quality.yml").read_text()
        flow = flow.replace("FROM source_table", f"FROM {table}")
        path = tmp_path / "data-quality.yml"
        path.write_text(flow)
        # the seed gives no connection: it comes from the environment (KFLOW_JDBC_POSTGRESQL_*)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("KFLOW_JDBC_POSTGRESQL_URL", postgres.url)
            env.setenv("KFLOW_JDBC_POSTGRESQL_USERNAME", postgres.username)
            report = run(capsys, str(path), "--state-dir", str(tmp_path / "state"))
        assert report["state"] == "SUCCESS", _logs(capsys, tmp_path / "state", report["id"])
        runs = by_task(report)
        assert runs["check-nulls"]["outputs"]["rows"] == [
            {"total_rows": 5 + nulls, "null_count": nulls}
        ]
        assert runs["validate"]["outputs"]["value"] is (nulls == 0)
        assert runs["alert"]["state"] == alert
    finally:
        pg.execute(f"DROP TABLE IF EXISTS {table}")


def _seed(shared: Path, name: str, tmp_path: Path, **replace: str) -> Path:
    flow = (shared / "examples/seed" / name).read_text()
    for old, new in replace.items():
        assert old in flow, old
        flow = flow.replace(old, new)
    path = tmp_path / name
    path.write_text(flow)
    return path


@pytest.fixture
def data_url(tmp_path: Path, serve_directory: Callable[[Path], str]) -> str:
    """`data.csv` (and `data.json`) on a loopback server, for the seed's example.com URLs."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "data.csv").write_text('{"rows": [1, 2, 3]}\n')  # 02 parses it as JSON
    return serve_directory(site) + "/data.csv"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("01-basic-flow.yml", {"download-file": "SUCCESS", "log-message": "SUCCESS"}),
        (
            "02-core-tasks.yml",
            {
                "download": "SUCCESS",
                "read-file": "SUCCESS",
                "log": "SUCCESS",
                "python-script": "SUCCESS",
            },
        ),
        ("07-error-handling.yml", {"risky-task": "SUCCESS"}),
    ],
)
def test_seed_http_flows_against_a_local_server(
    shared: Path, tmp_path: Path, capsys: Any, data_url: str, name: str, expected: dict[str, str]
) -> None:
    path = _seed(shared, name, tmp_path, **{"https://example.com/data.csv": data_url})
    report = run(capsys, str(path), "--state-dir", str(tmp_path / "state"))
    assert states(report) == expected, _logs(capsys, tmp_path / "state", report["id"])
    if name.startswith("02"):
        assert by_task(report)["read-file"]["outputs"]["value"] == {"rows": [1, 2, 3]}


def test_seed_error_handling_retries_then_fails_readably(
    shared: Path, tmp_path: Path, capsys: Any
) -> None:
    path = _seed(
        shared, "07-error-handling.yml", tmp_path,
        **{"https://example.com/data.csv": "http://127.0.0.1:1/data.csv", "PT1M": "PT0.1S"},
    )  # fmt: skip
    report = run(capsys, str(path), "--state-dir", str(tmp_path / "state"))
    assert report["state"] == "FAILED"
    assert len(report["taskRuns"][0]["attempts"]) == 3
    assert "cannot connect to http://127.0.0.1:1/data.csv" in _logs(
        capsys, tmp_path / "state", report["id"]
    )


def test_seed_query_db(
    shared: Path, tmp_path: Path, capsys: Any, postgres: Server, pg: Any
) -> None:
    table = f"users_{uuid.uuid4().hex[:8]}"
    pg.execute(f"CREATE TABLE {table} (name text, created_at date)")
    pg.execute(f"INSERT INTO {table} VALUES ('old', '2023-06-01'), ('new', '2024-03-01')")
    try:
        path = _seed(
            shared, "03-query-db.yml", tmp_path,
            **{"jdbc:postgresql://localhost:5432/db": postgres.url,
               "username: user": f"username: {postgres.username}", "FROM users": f"FROM {table}"},
        )  # fmt: skip
        report = run(capsys, str(path), "--state-dir", str(tmp_path / "state"))
        assert report["state"] == "SUCCESS", _logs(capsys, tmp_path / "state", report["id"])
        assert by_task(report)["query-db"]["outputs"] == {"size": 1}  # fetchType NONE
    finally:
        pg.execute(f"DROP TABLE IF EXISTS {table}")


def test_seed_common_issues_runs_the_container_script_locally(
    shared: Path, tmp_path: Path, capsys: Any
) -> None:
    report = run(
        capsys, str(shared / "examples/seed/13-common-issues.yml"), "--state-dir", str(tmp_path)
    )
    assert states(report) == {"long-task": "SUCCESS"}
    logs = _logs(capsys, tmp_path, report["id"])
    assert "done" in logs and "python:3.9-slim" in logs  # the image is named in the warning
