"""Hand-written Airflow 3 peer of the benchmark's 200-task chain of Kestra `Log` tasks: TaskFlow.

Part of the DagBag parse-time benchmark (benchmarks/bench_dagbag.py): one @task function, called
200 times under distinct task ids (a loop), linked with `chain()`.
"""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import chain, dag, task

COUNT = 200
log = logging.getLogger(__name__)


@task
def log_message(message: str, level: int = logging.INFO) -> None:
    """io.kestra.plugin.core.log.Log: log the message."""
    log.log(level, message)


@dag(
    dag_id="chain200_taskflow",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    tags=["bench.dagbag"],
)
def chain200_taskflow():
    chain(
        *(
            log_message.override(task_id=f"step_{i}")(f"Step {i} of {COUNT}")
            for i in range(1, COUNT + 1)
        )
    )


chain200_taskflow()
