"""dev__seed-variables-templating: compiled by kflow from Kestra flow dev.seed-variables-templating.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "dev",
    "id": "seed-variables-templating",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "set-vars", "type": "io.kestra.plugin.core.debug.Return"},
        {"id": "use-output", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="dev__seed-variables-templating",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    set_vars = KestraTask(
        task_id="set-vars",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.debug.Return",
        properties={"format": "{{ task.id }} started at {{ execution.startDate }}"},
    )
    start >> set_vars
    use_output = KestraTask(
        task_id="use-output",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "Previous task output: {{ outputs.set-vars.value }}"},
        reads=["set-vars"],
    )
    set_vars >> use_output
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://dev/seed-variables-templating")],
    )
