"""dev__seed-parallel-processing: compiled by kflow from Kestra flow dev.seed-parallel-processing.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG, TaskGroup

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "dev",
    "id": "seed-parallel-processing",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {
            "id": "parallel-tasks",
            "type": "io.kestra.plugin.core.flow.Parallel",
            "branches": {
                "tasks": [
                    {"id": "task1", "type": "io.kestra.plugin.core.log.Log"},
                    {"id": "task2", "type": "io.kestra.plugin.core.log.Log"},
                ]
            },
        }
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="dev__seed-parallel-processing",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    with TaskGroup(group_id="parallel-tasks", prefix_group_id=False):
        task1 = KestraTask(
            task_id="task1",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.log.Log",
            properties={"message": "Task 1"},
        )
        start >> task1
        task2 = KestraTask(
            task_id="task2",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.log.Log",
            properties={"message": "Task 2"},
        )
        start >> task2
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://dev/seed-parallel-processing")],
    )
