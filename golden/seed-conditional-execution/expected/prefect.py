"""seed-conditional-execution: compiled by kflow from Kestra flow dev.seed-conditional-execution.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

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


@task(name="check-condition")
def check_condition(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "check-condition",
        "io.kestra.plugin.core.condition.Expression",
        {"expression": "{{ execution.startDate | date('HH') | int > 8 }}"},
    )


@task(name="day-task")
def day_task(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "day-task",
        "io.kestra.plugin.core.log.Log",
        {"message": "Running during day hours"},
        run_if=["{{ outputs.check-condition }}"],
    )


@flow(name="seed-conditional-execution")
def seed_conditional_execution() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(check_condition(run.execution, run.outputs(), return_state=True))
        run.add(day_task(run.execution, run.outputs("check-condition"), return_state=True))
    return run.end()
