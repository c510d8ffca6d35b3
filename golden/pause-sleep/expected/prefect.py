"""pause-sleep: compiled by kflow from Kestra flow kflow.golden.pause-sleep.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "kflow.golden",
    "id": "pause-sleep",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "nap", "type": "io.kestra.plugin.core.flow.Sleep"},
        {"id": "hold", "type": "io.kestra.plugin.core.flow.Pause"},
        {"id": "shaky", "type": "io.kestra.plugin.core.debug.Return"},
    ],
    "errors": [],
    "finally": [],
}


@task(name="nap")
def nap(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW, execution, outputs, "nap", "io.kestra.plugin.core.flow.Sleep", {"duration": "PT1S"}
    )


@task(name="hold")
def hold(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "hold",
        "io.kestra.plugin.core.flow.Pause",
        {"pauseDuration": "PT1S"},
    )


@task(name="shaky", retries=2, retry_delay_seconds=[1, 2], timeout_seconds=60)
def shaky(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "shaky",
        "io.kestra.plugin.core.debug.Return",
        {"format": "done"},
        timeout="PT30S",
    )


@flow(
    name="pause-sleep",
    description="Timed waits on every target (Pause with a duration, Sleep), and retry settings.",
)
def pause_sleep() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(nap(run.execution, run.outputs(), return_state=True))
        run.add(hold(run.execution, run.outputs(), return_state=True))
        run.add(shaky(run.execution, run.outputs(), return_state=True))
    return run.end()
