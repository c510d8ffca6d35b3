"""dev__seed-conditional-execution: compiled by kflow from Kestra flow dev.seed-conditional-execution.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "dev",
    "id": "seed-conditional-execution",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "check-condition", "type": "io.kestra.plugin.core.condition.Expression"},
        {"id": "day-task", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="dev__seed-conditional-execution",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    check_condition = KestraTask(
        task_id="check-condition",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.condition.Expression",
        properties={"expression": "{{ execution.startDate | date('HH') | int > 8 }}"},
    )
    start >> check_condition
    day_task = KestraTask(
        task_id="day-task",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "Running during day hours"},
        reads=["check-condition"],
        run_if=["{{ outputs.check-condition }}"],
    )
    check_condition >> day_task
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://dev/seed-conditional-execution")],
    )
