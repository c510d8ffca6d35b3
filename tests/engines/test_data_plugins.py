"""The data plugins compiled for Airflow and Prefect, run there, give what the runner gives.

The ETL examples (HTTP download → Python script → PostgreSQL load → data-quality subflow, and
the embedded DuckDB one with a FILE input) run with `kflow run --engine airflow|prefect` in each
engine's own environment; the report must equal the runner's and the rows in the table must be
the same. A third-party plugin package, installed where the engine runs, runs there too.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.conftest import REPO, Server

from .differential import normalize, runner_report

ETL = REPO / "examples/etl"
PLUGIN = REPO / "tests/plugins/kflow-plugin-example"
ENGINES = [pytest.param("airflow", marks=pytest.mark.airflow),
           pytest.param("prefect", marks=pytest.mark.prefect)]  # fmt: skip


@pytest.fixture
def engine_env(request: pytest.FixtureRequest, engine: str) -> Any:
    return request.getfixturevalue(f"{engine}_env")


def on_engine(
    env: Any, engine: str, flow: Path, state: Path, inputs: dict[str, str], *, extra: str = ""
) -> dict[str, Any]:
    """`kflow run --engine ENGINE` in the engine's environment: the JSON report."""
    argv = [str(env.python), "-m", "kflow", "run", str(flow), "--engine", engine]
    argv += ["--output", "json", "--flows-dir", str(flow.parent), "--state-dir", str(state)]
    for name, value in inputs.items():
        argv += ["--input", f"{name}={value}"]
    environ = env.environ()
    if extra:
        environ["PYTHONPATH"] = extra
    done = subprocess.run(argv, env=environ, capture_output=True, text=True, timeout=900)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    assert done.stdout, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def same(found: dict[str, Any], expected: dict[str, Any]) -> None:
    """Equal reports, compared task run by task run first for a readable failure (the HTTP
    `Date` header, the time of the download, left out)."""
    for report in (found, expected):
        for run in report["taskRuns"]:
            (run.get("outputs") or {}).get("headers", {}).pop("Date", None)
    left, right = normalize(found), normalize(expected)
    for mine, theirs in zip(left["taskRuns"], right["taskRuns"], strict=False):
        assert mine == theirs
    assert left == right


@pytest.fixture
def pg(postgres: Server) -> Iterator[psycopg.Connection[Any]]:
    url = postgres.url.removeprefix("jdbc:")
    with psycopg.connect(url, user=postgres.username, password=postgres.password) as connection:
        connection.autocommit = True
        connection.execute("DROP TABLE IF EXISTS processed_data")
        yield connection
        connection.execute("DROP TABLE IF EXISTS processed_data")


def rows(pg: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in pg.execute("SELECT * FROM processed_data ORDER BY 1").fetchall()]


@pytest.mark.parametrize("engine", ENGINES)
def test_postgres_etl_on_the_engine_equals_the_runner(
    engine: str,
    engine_env: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    serve_directory: Callable[[Path], str],
    postgres: Server,
    pg: psycopg.Connection[Any],
) -> None:
    flow = ETL / "postgres/etl-pipeline.yml"
    inputs = {"source": serve_directory(ETL) + "/orders.csv", "warehouse": postgres.jdbc_url()}
    on_runner = runner_report(capsys, flow, tmp_path / "runner", inputs)
    assert on_runner["state"] == "SUCCESS"
    expected_rows = rows(pg)
    assert len(expected_rows) == 8
    pg.execute("DROP TABLE processed_data")

    found = on_engine(engine_env, engine, flow, tmp_path / engine, inputs)
    assert found["state"] == "SUCCESS", found
    same(found, on_runner)
    assert rows(pg) == expected_rows


@pytest.mark.parametrize("engine", ENGINES)
def test_embedded_etl_with_a_file_input_on_the_engine(
    engine: str, engine_env: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = ETL / "etl-pipeline.yml"
    inputs = {"orders": f"@{ETL / 'orders.csv'}"}
    on_runner = runner_report(capsys, flow, tmp_path / "runner", inputs)
    found = on_engine(engine_env, engine, flow, tmp_path / engine, inputs)
    assert found["state"] == on_runner["state"] == "SUCCESS", found
    assert found["outputs"] == on_runner["outputs"] == {"loaded": 8, "dropped": 2}
    same(found, on_runner)


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("plugin-site")
    source = tmp_path_factory.mktemp("source") / PLUGIN.name  # the build writes beside it
    shutil.copytree(PLUGIN, source)
    uv = shutil.which("uv")
    installer = [uv, "pip", "install"] if uv else [sys.executable, "-m", "pip", "install"]
    subprocess.run(
        [*installer, "--no-deps", "--target", str(target), str(source)],
        check=True,
        capture_output=True,
    )
    return target


@pytest.mark.parametrize("engine", ENGINES)
def test_third_party_plugin_runs_on_the_engine(
    engine: str, engine_env: Any, tmp_path: Path, plugin_site: Path
) -> None:
    flow = tmp_path / "flows" / "plugin.yml"
    flow.parent.mkdir()
    flow.write_text(
        "id: plugin-flow\nnamespace: company.team\ntasks:\n"
        "  - id: reverse\n    type: com.example.Reverse\n    text: kflow\n"
        "  - id: count\n    type: com.example.text.Count\n"
        '    text: "{{ outputs.reverse.value }} runs on ' + engine + '"\n'
    )
    extra = os.pathsep.join([str(plugin_site)])
    found = on_engine(engine_env, engine, flow, tmp_path / "state", {}, extra=extra)
    assert found["state"] == "SUCCESS", found
    outputs = {r["taskId"]: r["outputs"] for r in found["taskRuns"]}
    assert outputs == {"reverse": {"value": "wolfk"}, "count": {"words": 4}}
