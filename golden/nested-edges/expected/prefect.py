"""nested-edges: compiled by kflow from Kestra flow kflow.golden.nested-edges.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "kflow.golden",
    "id": "nested-edges",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {
            "id": "choose",
            "type": "io.kestra.plugin.core.flow.If",
            "branches": {
                "then": [{"id": "taken", "type": "io.kestra.plugin.core.debug.Return"}],
                "else": [
                    {
                        "id": "guarded",
                        "type": "io.kestra.plugin.core.flow.Sequential",
                        "branches": {
                            "tasks": [{"id": "inside", "type": "io.kestra.plugin.core.log.Log"}],
                            "errors": [
                                {"id": "guarded-errors", "type": "io.kestra.plugin.core.log.Log"}
                            ],
                            "finally": [
                                {"id": "guarded-finally", "type": "io.kestra.plugin.core.log.Log"}
                            ],
                        },
                    }
                ],
            },
        },
        {
            "id": "each",
            "type": "io.kestra.plugin.core.flow.ForEach",
            "branches": {
                "tasks": [
                    {
                        "id": "check",
                        "type": "io.kestra.plugin.core.flow.If",
                        "branches": {
                            "then": [{"id": "is-a", "type": "io.kestra.plugin.core.debug.Return"}],
                            "else": [{"id": "not-a", "type": "io.kestra.plugin.core.debug.Return"}],
                        },
                    }
                ]
            },
        },
        {
            "id": "graph",
            "type": "io.kestra.plugin.core.flow.Dag",
            "branches": {
                "tasks": [
                    {"id": "second", "type": "io.kestra.plugin.core.debug.Return"},
                    {"id": "first", "type": "io.kestra.plugin.core.debug.Return"},
                ]
            },
        },
    ],
    "errors": [],
    "finally": [],
}


@task(name="choose")
def choose(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "choose",
        "io.kestra.plugin.core.flow.If",
        {"condition": "{{ true }}"},
    )


@task(name="taken")
def taken(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW, execution, outputs, "taken", "io.kestra.plugin.core.debug.Return", {"format": "yes"}
    )


@task(name="inside")
def inside(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW, execution, outputs, "inside", "io.kestra.plugin.core.log.Log", {"message": "never"}
    )


@task(name="guarded-errors")
def guarded_errors(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "guarded-errors",
        "io.kestra.plugin.core.log.Log",
        {"message": "never either"},
    )


@task(name="guarded-finally")
def guarded_finally(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "guarded-finally",
        "io.kestra.plugin.core.log.Log",
        {"message": "nor this"},
    )


@task(name="each")
def each(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "each",
        "io.kestra.plugin.core.flow.ForEach",
        {"values": ["a", "b"], "concurrencyLimit": 0},
    )


@task(name="check", task_run_name="check[{value}]")
def check(
    execution: dict[str, Any], outputs: dict[str, Any], value: str, iteration: int
) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "check",
        "io.kestra.plugin.core.flow.If",
        {"condition": "{{ taskrun.value == 'a' }}"},
        value=value,
        iteration=iteration,
        direct=True,
    )


@task(name="is-a", task_run_name="is-a[{value}]")
def is_a(
    execution: dict[str, Any], outputs: dict[str, Any], value: str, iteration: int
) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "is-a",
        "io.kestra.plugin.core.debug.Return",
        {"format": "{{ parent.taskrun.value }}-a"},
        value=value,
        iteration=iteration,
    )


@task(name="not-a", task_run_name="not-a[{value}]")
def not_a(
    execution: dict[str, Any], outputs: dict[str, Any], value: str, iteration: int
) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "not-a",
        "io.kestra.plugin.core.debug.Return",
        {"format": "{{ parent.taskrun.value }}-other"},
        value=value,
        iteration=iteration,
    )


@task(name="first")
def first(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW, execution, outputs, "first", "io.kestra.plugin.core.debug.Return", {"format": "1"}
    )


@task(name="second")
def second(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "second",
        "io.kestra.plugin.core.debug.Return",
        {"format": "{{ outputs.first.value }}-2"},
    )


@flow(
    name="nested-edges",
    description="Handlers of a block in a branch not taken, flowables inside a loop, a Dag written out of order.",
)
def nested_edges() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        condition = run.condition(choose(run.execution, run.outputs(), return_state=True))
        if condition:
            run.add(taken(run.execution, run.outputs(), return_state=True))
        elif condition is False:
            try:
                run.add(inside(run.execution, run.outputs(), return_state=True))
            except kestra.Stopped:
                run.add(guarded_errors(run.execution, run.outputs(), return_state=True))
                raise
            finally:
                run.add(guarded_finally(run.execution, run.outputs(), return_state=True))
        values = run.values(each(run.execution, run.outputs(), return_state=True))

        def each_iteration(value: str, iteration: int) -> None:
            condition = run.condition(
                check(run.execution, run.outputs(), value, iteration, return_state=True)
            )
            if condition:
                run.add(is_a(run.execution, run.outputs(), value, iteration, return_state=True))
            elif condition is False:
                run.add(not_a(run.execution, run.outputs(), value, iteration, return_state=True))

        run.each(values, each_iteration, limit=0)
        first_future = first.submit(run.execution, run.outputs())
        second_future = second.submit(
            run.execution,
            run.outputs("first", futures={"first": first_future}),
            wait_for=[first_future],
        )
        run.wait([first_future, second_future])
    return run.end()
