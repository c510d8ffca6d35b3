"""triggers-all: compiled by kflow from Kestra flow kflow.golden.triggers-all.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

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


@task(name="hello")
def hello(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "hello",
        "io.kestra.plugin.core.log.Log",
        {"message": "{{ trigger.date ?? execution.startDate }}"},
    )


@flow(name="triggers-all")
def triggers_all(kestra_trigger: dict[str, Any] | None = None) -> Any:
    with kestra.execution(FLOW, TREE, {}, kestra_trigger) as run:
        run.check_trigger()
        run.add(hello(run.execution, run.outputs(), return_state=True))
    return run.end()
