"""kflow.golden__triggers-schedule: compiled by kflow from Kestra flow kflow.golden.triggers-schedule.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

from airflow.sdk import (
    Asset,
    AssetAlias,
    AssetAny,
    AssetOrTimeSchedule,
    DAG,
    MultipleCronTriggerTimetable,
    Param,
)

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "kflow.golden",
    "id": "triggers-schedule",
    "inputs": [
        {
            "id": "region",
            "type": "SELECT",
            "required": True,
            "default": "eu",
            "description": None,
            "display_name": None,
            "extra": {"values": ["eu", "us"]},
        },
        {
            "id": "day",
            "type": "STRING",
            "required": True,
            "default": "any",
            "description": None,
            "display_name": None,
            "extra": {},
        },
    ],
    "variables": {},
    "outputs": [],
    "labels": {},
    "triggers": [
        {
            "id": "weekdays",
            "type": "io.kestra.plugin.core.trigger.Schedule",
            "properties": {
                "cron": "30 8 * * *",
                "timezone": "Europe/Paris",
                "recoverMissedSchedules": "LAST",
                "inputs": {"region": "us", "day": "{{ trigger.date | date('EEEE') }}"},
            },
            "conditions": [
                {
                    "type": "io.kestra.plugin.core.condition.Not",
                    "properties": {
                        "conditions": [{"type": "io.kestra.plugin.core.condition.Weekend"}]
                    },
                },
                {
                    "type": "io.kestra.plugin.core.condition.TimeBetween",
                    "properties": {"after": "06:00:00+01:00"},
                },
            ],
        },
        {
            "id": "monthly",
            "type": "io.kestra.plugin.core.trigger.Schedule",
            "properties": {"cron": "@monthly", "timezone": "Europe/Paris"},
            "conditions": [
                {
                    "type": "io.kestra.plugin.core.condition.DayWeekInMonth",
                    "properties": {"dayOfWeek": "MONDAY", "dayInMonth": "FIRST"},
                }
            ],
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
                        "states": ["SUCCESS", "WARNING"],
                    },
                }
            ],
        },
        {"id": "webhook", "type": "io.kestra.plugin.core.trigger.Webhook", "properties": {}},
    ],
}
TREE = {
    "tasks": [{"id": "report", "type": "io.kestra.plugin.core.log.Log"}],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="kflow.golden__triggers-schedule",
    schedule=AssetOrTimeSchedule(
        timetable=MultipleCronTriggerTimetable("30 8 * * *", "0 0 1 * *", timezone="Europe/Paris"),
        assets=AssetAny(
            Asset("kestra://sales/data-extraction/SUCCESS"),
            Asset("kestra://sales/data-extraction/WARNING"),
        ),
    ),
    catchup=False,
    default_args={"retries": 0},
    description="Schedules with conditions, a timezone and inputs; the seed's Flow trigger and Webhook.",
    doc_md="Schedules with conditions, a timezone and inputs; the seed's Flow trigger and Webhook.",
    params={
        "region": Param("eu", type="string", enum=["eu", "us"]),
        "day": Param("any", type="string"),
    },
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    report = KestraTask(
        task_id="report",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={
            "message": "{{ inputs.region }} {{ inputs.day }} {{ trigger.date ?? execution.startDate }}"
        },
    )
    start >> report
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://kflow.golden/triggers-schedule")],
    )
