"""errors-finally: compiled by kflow from Kestra flow kflow.golden.errors-finally.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "kflow.golden",
    "id": "errors-finally",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "tolerated", "type": "io.kestra.plugin.core.execution.Fail", "allowFailure": True},
        {
            "id": "guarded",
            "type": "io.kestra.plugin.core.flow.Sequential",
            "branches": {
                "tasks": [{"id": "boom", "type": "io.kestra.plugin.core.execution.Fail"}],
                "errors": [{"id": "local-handler", "type": "io.kestra.plugin.core.log.Log"}],
            },
        },
    ],
    "errors": [{"id": "flow-handler", "type": "io.kestra.plugin.core.log.Log"}],
    "finally": [{"id": "always", "type": "io.kestra.plugin.core.log.Log"}],
}


@task(name="tolerated")
def tolerated(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "tolerated",
        "io.kestra.plugin.core.execution.Fail",
        {"errorMessage": "soft failure"},
        allow_failure=True,
    )


@task(name="boom", retries=2, retry_delay_seconds=[1, 2], timeout_seconds=90)
def boom(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "boom",
        "io.kestra.plugin.core.execution.Fail",
        {"errorMessage": "boom {{ execution.id }}"},
        timeout="PT1M",
    )


@task(name="local-handler")
def local_handler(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "local-handler",
        "io.kestra.plugin.core.log.Log",
        {"message": "local: {{ outputs.boom ?? 'no outputs' }}"},
    )


@task(name="flow-handler")
def flow_handler(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "flow-handler",
        "io.kestra.plugin.core.log.Log",
        {"level": "ERROR", "message": "flow failed"},
    )


@task(name="always")
def always(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW, execution, outputs, "always", "io.kestra.plugin.core.log.Log", {"message": "done"}
    )


@flow(name="errors-finally")
def errors_finally() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        try:
            run.add(tolerated(run.execution, run.outputs(), return_state=True))
            try:
                run.add(boom(run.execution, run.outputs(), return_state=True))
            except kestra.Stopped:
                run.add(local_handler(run.execution, run.outputs("boom"), return_state=True))
                raise
        except kestra.Stopped:
            run.add(flow_handler(run.execution, run.outputs(), return_state=True))
        finally:
            run.add(always(run.execution, run.outputs(), return_state=True))
    return run.end()
