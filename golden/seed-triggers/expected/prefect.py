"""seed-triggers: compiled by kflow from Kestra flow dev.seed-triggers.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

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


@task(name="hello")
def hello(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "hello",
        "io.kestra.plugin.core.log.Log",
        {"message": "Triggered by {{ trigger.date ?? execution.startDate }}"},
    )


@flow(name="seed-triggers")
def seed_triggers(kestra_trigger: dict[str, Any] | None = None) -> Any:
    with kestra.execution(FLOW, TREE, {}, kestra_trigger) as run:
        run.check_trigger()
        run.add(hello(run.execution, run.outputs(), return_state=True))
    return run.end()
