"""kflow.golden__triggers-all: compiled by kflow from Kestra flow kflow.golden.triggers-all.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

from airflow.sdk import Asset, AssetAlias, AssetOrTimeSchedule, CronTriggerTimetable, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "kflow.golden",
    "id": "triggers-all",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
    "triggers": [
        {
            "id": "nightly",
            "type": "io.kestra.plugin.core.trigger.Schedule",
            "properties": {"cron": "0 2 * * 1-5", "timezone": "Europe/Paris"},
        },
        {
            "id": "after-upstream",
            "type": "io.kestra.plugin.core.trigger.Flow",
            "properties": {},
            "conditions": [
                {
                    "type": "io.kestra.plugin.core.condition.ExecutionFlow",
                    "properties": {"namespace": "kflow.golden", "flowId": "flow-outputs"},
                },
                {
                    "type": "io.kestra.plugin.core.condition.ExecutionStatus",
                    "properties": {"in": ["SUCCESS"]},
                },
            ],
        },
        {"id": "hook", "type": "io.kestra.plugin.core.trigger.Webhook", "properties": {}},
    ],
}
TREE = {
    "tasks": [{"id": "hello", "type": "io.kestra.plugin.core.log.Log"}],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="kflow.golden__triggers-all",
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable("0 2 * * 1-5", timezone="Europe/Paris"),
        assets=Asset("kestra://kflow.golden/flow-outputs/SUCCESS"),
    ),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    hello = KestraTask(
        task_id="hello",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "{{ trigger.date ?? execution.startDate }}"},
    )
    start >> hello
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://kflow.golden/triggers-all")],
    )
