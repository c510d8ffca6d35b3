"""dev__seed-error-handling: compiled by kflow from Kestra flow dev.seed-error-handling.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

from datetime import timedelta

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "dev",
    "id": "seed-error-handling",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [{"id": "risky-task", "type": "io.kestra.plugin.core.http.Download"}],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="dev__seed-error-handling",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    risky_task = KestraTask(
        task_id="risky-task",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.http.Download",
        properties={"uri": "https://example.com/data.csv"},
        retries=2,
        retry_exponential_backoff=2.0,
        max_retry_delay=timedelta(seconds=60),
        execution_timeout=timedelta(seconds=300),
    )
    start >> risky_task
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended", flow=FLOW, outlets=[AssetAlias("kestra://dev/seed-error-handling")]
    )
