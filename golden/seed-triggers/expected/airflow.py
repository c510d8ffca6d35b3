"""dev__seed-triggers: compiled by kflow from Kestra flow dev.seed-triggers.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import Asset, AssetAlias, AssetOrTimeSchedule, CronTriggerTimetable, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "dev",
    "id": "seed-triggers",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
    "triggers": [
        {
            "id": "schedule",
            "type": "io.kestra.plugin.core.trigger.Schedule",
            "properties": {"cron": "0 9 * * *", "backfill": {"start": "2024-01-01T00:00:00Z"}},
        },
        {
            "id": "flow-trigger",
            "type": "io.kestra.plugin.core.trigger.Flow",
            "properties": {},
            "conditions": [
                {
                    "type": "io.kestra.plugin.core.condition.Execution",
                    "properties": {
                        "namespace": "sales",
                        "flowId": "data-extraction",
                        "states": ["SUCCESS"],
                    },
                }
            ],
        },
        {"id": "webhook", "type": "io.kestra.plugin.core.trigger.Webhook", "properties": {}},
    ],
}
TREE = {
    "tasks": [{"id": "hello", "type": "io.kestra.plugin.core.log.Log"}],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="dev__seed-triggers",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 9 * * *", timezone="UTC"),
        assets=Asset("kestra://sales/data-extraction/SUCCESS"),
    ),
    start_date=pendulum.datetime(2024, 1, 1, 0, 0, 0, tz="UTC"),
    catchup=True,
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
    end >> KestraEnded(
        task_id="_kflow_ended", flow=FLOW, outlets=[AssetAlias("kestra://dev/seed-triggers")]
    )
