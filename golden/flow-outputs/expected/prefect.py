"""flow-outputs: compiled by kflow from Kestra flow kflow.golden.flow-outputs.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "kflow.golden",
    "id": "flow-outputs",
    "inputs": [
        {
            "id": "name",
            "type": "STRING",
            "required": True,
            "default": "world",
            "description": None,
            "display_name": None,
            "extra": {},
        }
    ],
    "variables": {"greeting_prefix": "Hello"},
    "outputs": [
        {
            "id": "greeting",
            "type": "STRING",
            "value": "{{ outputs.greet.value }}",
            "description": None,
        }
    ],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "greet", "type": "io.kestra.plugin.core.debug.Return"},
        {"id": "values", "type": "io.kestra.plugin.core.output.OutputValues"},
    ],
    "errors": [],
    "finally": [],
}
PARAMETERS = {"name": "name"}


@task(name="greet")
def greet(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "greet",
        "io.kestra.plugin.core.debug.Return",
        {"format": "{{ vars.greeting_prefix }}, {{ inputs.name }}!"},
    )


@task(name="values")
def values_2(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "values",
        "io.kestra.plugin.core.output.OutputValues",
        {"values": {"length": "{{ outputs.greet.value | length }}"}},
    )


@flow(name="flow-outputs")
def flow_outputs(name: str = "world") -> Any:
    with kestra.execution(FLOW, TREE, {"name": name}) as run:
        run.add(greet(run.execution, run.outputs(), return_state=True))
        run.add(values_2(run.execution, run.outputs("greet"), return_state=True))
    return run.end()
