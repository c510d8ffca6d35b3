"""dev__seed-triggers: compiled by kflow from Kestra flow dev.seed-triggers.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraStart, KestraTask

FLOW = {
    "namespace": "dev",
    "id": "seed-triggers",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [{"id": "hello", "type": "io.kestra.plugin.core.log.Log"}],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="dev__seed-triggers",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    hello = KestraTask(
        task_id="hello",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "Triggered by {{ trigger.date ?? execution.startDate }}"},
    )
    start >> hello
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
