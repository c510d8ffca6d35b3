"""dev__seed-task-outputs: compiled by kflow from Kestra flow dev.seed-task-outputs.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "dev",
    "id": "seed-task-outputs",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "generate-data", "type": "io.kestra.plugin.core.debug.Return"},
        {"id": "use-data", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="dev__seed-task-outputs",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    generate_data = KestraTask(
        task_id="generate-data",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.debug.Return",
        properties={"format": "output-data-{{ execution.id }}"},
    )
    start >> generate_data
    use_data = KestraTask(
        task_id="use-data",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "Generated data: {{ outputs.generate-data.value }}"},
        reads=["generate-data"],
    )
    generate_data >> use_data
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended", flow=FLOW, outlets=[AssetAlias("kestra://dev/seed-task-outputs")]
    )
