"""Hand-written Airflow 3 peer of the benchmark's 200-task chain of Kestra `Log` tasks.

Part of the DagBag parse-time benchmark (benchmarks/bench_dagbag.py): classic PythonOperators,
written as a person would (a loop), linked with `chain()`.
"""

from __future__ import annotations

import logging

import pendulum
from airflow.providers.standard.operators.python import PythonOperator
from airflow.sdk import DAG, chain

COUNT = 200
log = logging.getLogger(__name__)


def log_message(message: str, level: int = logging.INFO) -> None:
    """io.kestra.plugin.core.log.Log: log the message."""
    log.log(level, message)


with DAG(
    dag_id="chain200_classic",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["bench.dagbag"],
) as dag:
    chain(
        *(
            PythonOperator(
                task_id=f"step_{i}",
                python_callable=log_message,
                op_args=[f"Step {i} of {COUNT}"],
            )
            for i in range(1, COUNT + 1)
        )
    )
