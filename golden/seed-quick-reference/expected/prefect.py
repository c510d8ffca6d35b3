"""flow-id: compiled by kflow from Kestra flow your.namespace.flow-id.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "your.namespace",
    "id": "flow-id",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [{"id": "only-task", "type": "io.kestra.plugin.core.log.Log"}],
    "errors": [],
    "finally": [],
}


@task(name="only-task")
def only_task(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "only-task",
        "io.kestra.plugin.core.log.Log",
        {"message": "Time formats: PT30S, PT5M, PT2H, P1D"},
    )


@flow(name="flow-id", description="Flow description")
def flow_id() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(only_task(run.execution, run.outputs(), return_state=True))
    return run.end()
