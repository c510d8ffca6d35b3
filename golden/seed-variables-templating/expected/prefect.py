"""seed-variables-templating: compiled by kflow from Kestra flow dev.seed-variables-templating.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "dev",
    "id": "seed-variables-templating",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "set-vars", "type": "io.kestra.plugin.core.debug.Return"},
        {"id": "use-output", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}


@task(name="set-vars")
def set_vars(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "set-vars",
        "io.kestra.plugin.core.debug.Return",
        {"format": "{{ task.id }} started at {{ execution.startDate }}"},
    )


@task(name="use-output")
def use_output(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "use-output",
        "io.kestra.plugin.core.log.Log",
        {"message": "Previous task output: {{ outputs.set-vars.value }}"},
    )


@flow(name="seed-variables-templating")
def seed_variables_templating() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(set_vars(run.execution, run.outputs(), return_state=True))
        run.add(use_output(run.execution, run.outputs("set-vars"), return_state=True))
    return run.end()
