"""Hand-written Airflow 3 peer of seed flow 11 `etl-pipeline`: classic operators, chained with >>.

Part of the DagBag parse-time benchmark (benchmarks/bench_dagbag.py). The task bodies stand in for
the Kestra plugins (HTTP download, Python script, PostgreSQL load) using only Airflow's standard
provider, so that no extra provider package is imported at parse time.
"""

from __future__ import annotations

import logging

import pendulum
from airflow.providers.standard.operators.bash import BashOperator
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG

log = logging.getLogger(__name__)

TRANSFORM_SCRIPT = """\
import pandas as pd
df = pd.read_csv('data.csv')
# Transformation logic
df.to_csv('transformed.csv', index=False)
"""


def download(uri: str) -> str:
    """io.kestra.plugin.core.http.Download: fetch `uri` into a file, return its path."""
    import tempfile
    import urllib.request

    fd, path = tempfile.mkstemp(suffix=".csv")
    log.info("downloading %s", uri)
    with urllib.request.urlopen(uri) as response, open(fd, "wb") as out:
        out.write(response.read())
    return path


def load_table(path: str, url: str, username: str, table: str) -> None:
    """io.kestra.plugin.jdbc.postgresql.Load (stand-in: no database driver is imported)."""
    with open(path, encoding="utf-8") as fh:
        rows = sum(1 for _ in fh) - 1
    log.info("loading %d rows from %s into %s at %s as %s", rows, path, table, url, username)


with DAG(
    dag_id="etl_pipeline_classic",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["data.engineering"],
) as dag:
    extract = PythonOperator(
        task_id="extract",
        python_callable=download,
        op_kwargs={"uri": "https://data.source.com/{{ dag_run.run_after.strftime('%Y-%m') }}.csv"},
    )
    transform = BashOperator(
        task_id="transform",
        bash_command=(
            'cd "$(mktemp -d)" && cp "{{ ti.xcom_pull(task_ids=\'extract\') }}" data.csv && '
            "python3 - <<'KFLOW_EOF'\n" + TRANSFORM_SCRIPT + "KFLOW_EOF\n"
            'echo "$PWD/transformed.csv"'
        ),
    )
    load = PythonOperator(
        task_id="load",
        python_callable=load_table,
        op_kwargs={
            "path": "{{ ti.xcom_pull(task_ids='transform') }}",
            "url": "jdbc:postgresql://localhost:5432/warehouse",
            "username": "user",
            "table": "processed_data",
        },
    )

    extract >> transform >> load
