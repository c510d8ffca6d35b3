"""if-switch: compiled by kflow from Kestra flow kflow.golden.if-switch.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any, Literal

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "kflow.golden",
    "id": "if-switch",
    "inputs": [
        {
            "id": "mode",
            "type": "SELECT",
            "required": True,
            "default": "fast",
            "description": None,
            "display_name": None,
            "extra": {"values": ["fast", "slow", "other"]},
        },
        {
            "id": "flag",
            "type": "BOOLEAN",
            "required": True,
            "default": True,
            "description": None,
            "display_name": None,
            "extra": {},
        },
    ],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {
            "id": "decide",
            "type": "io.kestra.plugin.core.flow.If",
            "branches": {
                "then": [{"id": "when-true", "type": "io.kestra.plugin.core.debug.Return"}],
                "else": [{"id": "when-false", "type": "io.kestra.plugin.core.debug.Return"}],
            },
        },
        {
            "id": "route",
            "type": "io.kestra.plugin.core.flow.Switch",
            "branches": {
                "cases": [
                    {"id": "go-fast", "type": "io.kestra.plugin.core.log.Log"},
                    {"id": "go-slow", "type": "io.kestra.plugin.core.log.Log"},
                ],
                "defaults": [{"id": "go-default", "type": "io.kestra.plugin.core.log.Log"}],
            },
        },
    ],
    "errors": [],
    "finally": [],
}
PARAMETERS = {"mode": "mode", "flag": "flag"}


@task(name="decide")
def decide(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "decide",
        "io.kestra.plugin.core.flow.If",
        {"condition": "{{ inputs.flag }}"},
    )


@task(name="when-true")
def when_true(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "when-true",
        "io.kestra.plugin.core.debug.Return",
        {"format": "yes"},
    )


@task(name="when-false")
def when_false(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "when-false",
        "io.kestra.plugin.core.debug.Return",
        {"format": "no"},
    )


@task(name="route")
def route(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "route",
        "io.kestra.plugin.core.flow.Switch",
        {"value": "{{ inputs.mode }}"},
        cases=["fast", "slow"],
        has_defaults=True,
    )


@task(name="go-fast")
def go_fast(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "go-fast",
        "io.kestra.plugin.core.log.Log",
        {"message": "fast path"},
    )


@task(name="go-slow")
def go_slow(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "go-slow",
        "io.kestra.plugin.core.log.Log",
        {"message": "slow path"},
    )


@task(name="go-default")
def go_default(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "go-default",
        "io.kestra.plugin.core.log.Log",
        {"message": "other: {{ inputs.mode | upper }}"},
    )


@flow(name="if-switch")
def if_switch(mode: Literal["fast", "slow", "other"] = "fast", flag: bool = True) -> Any:
    with kestra.execution(FLOW, TREE, {"mode": mode, "flag": flag}) as run:
        condition = run.condition(decide(run.execution, run.outputs(), return_state=True))
        if condition:
            run.add(when_true(run.execution, run.outputs(), return_state=True))
        elif condition is False:
            run.add(when_false(run.execution, run.outputs(), return_state=True))
        case = run.case(route(run.execution, run.outputs(), return_state=True))
        if case == "fast":
            run.add(go_fast(run.execution, run.outputs(), return_state=True))
        elif case == "slow":
            run.add(go_slow(run.execution, run.outputs(), return_state=True))
        elif case is kestra.DEFAULTS:
            run.add(go_default(run.execution, run.outputs(), return_state=True))
    return run.end()
