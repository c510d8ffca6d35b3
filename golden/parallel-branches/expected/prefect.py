"""parallel-branches: compiled by kflow from Kestra flow kflow.golden.parallel-branches.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "kflow.golden",
    "id": "parallel-branches",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {"team": "data"},
}
TREE = {
    "tasks": [
        {
            "id": "fan-out",
            "type": "io.kestra.plugin.core.flow.Parallel",
            "branches": {
                "tasks": [
                    {"id": "left", "type": "io.kestra.plugin.core.debug.Return"},
                    {
                        "id": "right-chain",
                        "type": "io.kestra.plugin.core.flow.Sequential",
                        "branches": {
                            "tasks": [
                                {"id": "right-1", "type": "io.kestra.plugin.core.debug.Return"},
                                {"id": "right-2", "type": "io.kestra.plugin.core.debug.Return"},
                            ]
                        },
                    },
                ]
            },
        },
        {"id": "join", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}


@task(name="left")
def left(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "left",
        "io.kestra.plugin.core.debug.Return",
        {"format": "left-{{ execution.id }}"},
    )


@task(name="right-1")
def right_1(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW, execution, outputs, "right-1", "io.kestra.plugin.core.debug.Return", {"format": "r1"}
    )


@task(name="right-2")
def right_2(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "right-2",
        "io.kestra.plugin.core.debug.Return",
        {"format": "{{ outputs['right-1'].value }}-r2"},
    )


@task(name="join")
def join(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "join",
        "io.kestra.plugin.core.log.Log",
        {"message": "{{ outputs.left.value }} and {{ outputs.right-2.value }}"},
    )


@flow(
    name="parallel-branches",
    description="Parallel branches with a sequential chain inside, joined by a final task.",
)
def parallel_branches() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:

        def fan_out_left() -> None:
            run.add(left(run.execution, run.outputs(), return_state=True))

        def fan_out_right_chain() -> None:
            run.add(right_1(run.execution, run.outputs(), return_state=True))
            run.add(right_2(run.execution, run.outputs("right-1"), return_state=True))

        run.concurrently([fan_out_left, fan_out_right_chain], limit=2)
        run.add(join(run.execution, run.outputs("left", "right-2"), return_state=True))
    return run.end()
