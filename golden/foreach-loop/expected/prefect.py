"""foreach-loop: compiled by kflow from Kestra flow kflow.golden.foreach-loop.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "kflow.golden",
    "id": "foreach-loop",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {
            "id": "each",
            "type": "io.kestra.plugin.core.flow.ForEach",
            "branches": {
                "tasks": [
                    {"id": "item", "type": "io.kestra.plugin.core.debug.Return"},
                    {"id": "item-log", "type": "io.kestra.plugin.core.log.Log"},
                ]
            },
        },
        {"id": "after", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}


@task(name="each")
def each(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "each",
        "io.kestra.plugin.core.flow.ForEach",
        {"values": ["a", "b", "c"], "concurrencyLimit": 2},
    )


@task(name="item", task_run_name="item[{value}]")
def item(
    execution: dict[str, Any], outputs: dict[str, Any], value: str, iteration: int
) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "item",
        "io.kestra.plugin.core.debug.Return",
        {"format": "{{ taskrun.value }}-{{ taskrun.iteration }}"},
        value=value,
        iteration=iteration,
        direct=True,
    )


@task(name="item-log", task_run_name="item-log[{value}]")
def item_log(
    execution: dict[str, Any], outputs: dict[str, Any], value: str, iteration: int
) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "item-log",
        "io.kestra.plugin.core.log.Log",
        {"message": "{{ outputs.item[taskrun.value].value }}"},
        value=value,
        iteration=iteration,
        direct=True,
    )


@task(name="after")
def after(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "after",
        "io.kestra.plugin.core.log.Log",
        {"message": "{{ outputs.item | keys | join(',') }}"},
    )


@flow(name="foreach-loop")
def foreach_loop() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        values = run.values(each(run.execution, run.outputs(), return_state=True))

        def each_iteration(value: str, iteration: int) -> None:
            run.add(item(run.execution, run.outputs(), value, iteration, return_state=True))
            run.add(
                item_log(run.execution, run.outputs("item"), value, iteration, return_state=True)
            )

        run.each(values, each_iteration, limit=2)
        run.add(after(run.execution, run.outputs("item"), return_state=True))
    return run.end()
