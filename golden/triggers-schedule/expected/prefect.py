"""triggers-schedule: compiled by kflow from Kestra flow kflow.golden.triggers-schedule.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any, Literal

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

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
PARAMETERS = {"region": "region", "day": "day"}


@task(name="report")
def report(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "report",
        "io.kestra.plugin.core.log.Log",
        {
            "message": "{{ inputs.region }} {{ inputs.day }} {{ trigger.date ?? execution.startDate }}"
        },
    )


@flow(
    name="triggers-schedule",
    description="Schedules with conditions, a timezone and inputs; the seed's Flow trigger and Webhook.",
)
def triggers_schedule(
    region: Literal["eu", "us"] = "eu",
    day: str = "any",
    kestra_trigger: dict[str, Any] | None = None,
) -> Any:
    with kestra.execution(FLOW, TREE, {"region": region, "day": day}, kestra_trigger) as run:
        run.check_trigger()
        run.add(report(run.execution, run.outputs(), return_state=True))
    return run.end()
