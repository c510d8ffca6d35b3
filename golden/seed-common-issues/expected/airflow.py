"""dev__seed-common-issues: compiled by kflow from Kestra flow dev.seed-common-issues.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

from datetime import timedelta

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "dev",
    "id": "seed-common-issues",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [{"id": "long-task", "type": "io.kestra.plugin.scripts.python.Script"}],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="dev__seed-common-issues",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    long_task = KestraTask(
        task_id="long-task",
        flow=FLOW,
        kestra_type="io.kestra.plugin.scripts.python.Script",
        properties={"script": 'print("done")\n', "containerImage": "python:3.9-slim"},
        execution_timeout=timedelta(seconds=1800),
    )
    start >> long_task
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended", flow=FLOW, outlets=[AssetAlias("kestra://dev/seed-common-issues")]
    )
