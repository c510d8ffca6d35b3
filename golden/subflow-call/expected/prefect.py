"""subflow-call: compiled by kflow from Kestra flow kflow.golden.subflow-call.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "kflow.golden",
    "id": "subflow-call",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "child", "type": "io.kestra.plugin.core.flow.Subflow"},
        {"id": "use-child", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}


@task(name="use-child")
def use_child(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "use-child",
        "io.kestra.plugin.core.log.Log",
        {"message": "{{ outputs.child.outputs.greeting ?? 'none' }}"},
    )


@flow(name="subflow-call")
def subflow_call() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.subflow(
            __file__,
            "flow-outputs.py:flow_outputs",
            "child",
            "io.kestra.plugin.core.flow.Subflow",
            {
                "namespace": "kflow.golden",
                "flowId": "flow-outputs",
                "inputs": {"name": "from-parent"},
                "wait": True,
                "transmitFailed": True,
            },
            run.outputs(),
        )
        run.add(use_child(run.execution, run.outputs("child"), return_state=True))
    return run.end()
