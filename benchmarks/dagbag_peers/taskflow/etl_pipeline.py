"""Hand-written Airflow 3 peer of seed flow 11 `etl-pipeline`: TaskFlow (@dag, @task, @task.bash).

Part of the DagBag parse-time benchmark (benchmarks/bench_dagbag.py). The task bodies stand in for
the Kestra plugins (HTTP download, Python script, PostgreSQL load) using only Airflow's standard
provider; outputs pass from task to task as XComs.
"""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import dag, task

log = logging.getLogger(__name__)

TRANSFORM_SCRIPT = """\
import pandas as pd
df = pd.read_csv('data.csv')
# Transformation logic
df.to_csv('transformed.csv', index=False)
"""


@dag(
    dag_id="etl_pipeline_taskflow",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["data.engineering"],
)
def etl_pipeline_taskflow():
    @task
    def extract(uri: str) -> str:
        """io.kestra.plugin.core.http.Download: fetch `uri` into a file, return its path."""
        import tempfile
        import urllib.request

        fd, path = tempfile.mkstemp(suffix=".csv")
        log.info("downloading %s", uri)
        with urllib.request.urlopen(uri) as response, open(fd, "wb") as out:
            out.write(response.read())
        return path

    @task.bash
    def transform(data_csv: str) -> str:
        """io.kestra.plugin.scripts.python.Script: the script in a fresh working directory."""
        return (
            f'cd "$(mktemp -d)" && cp "{data_csv}" data.csv && '
            "python3 - <<'KFLOW_EOF'\n" + TRANSFORM_SCRIPT + "KFLOW_EOF\n"
            'echo "$PWD/transformed.csv"'
        )

    @task
    def load(path: str, url: str, username: str, table: str) -> None:
        """io.kestra.plugin.jdbc.postgresql.Load (stand-in: no database driver is imported)."""
        with open(path, encoding="utf-8") as fh:
            rows = sum(1 for _ in fh) - 1
        log.info("loading %d rows from %s into %s at %s as %s", rows, path, table, url, username)

    load(
        transform(extract("https://data.source.com/{{ dag_run.run_after.strftime('%Y-%m') }}.csv")),
        url="jdbc:postgresql://localhost:5432/warehouse",
        username="user",
        table="processed_data",
    )


etl_pipeline_taskflow()
