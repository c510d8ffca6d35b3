"""seed-task-outputs: compiled by kflow from Kestra flow dev.seed-task-outputs.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "dev",
    "id": "seed-task-outputs",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "generate-data", "type": "io.kestra.plugin.core.debug.Return"},
        {"id": "use-data", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}


@task(name="generate-data")
def generate_data(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "generate-data",
        "io.kestra.plugin.core.debug.Return",
        {"format": "output-data-{{ execution.id }}"},
    )


@task(name="use-data")
def use_data(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "use-data",
        "io.kestra.plugin.core.log.Log",
        {"message": "Generated data: {{ outputs.generate-data.value }}"},
    )


@flow(name="seed-task-outputs")
def seed_task_outputs() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(generate_data(run.execution, run.outputs(), return_state=True))
        run.add(use_data(run.execution, run.outputs("generate-data"), return_state=True))
    return run.end()
