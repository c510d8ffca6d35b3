"""seed-error-handling: compiled by kflow from Kestra flow dev.seed-error-handling.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "dev",
    "id": "seed-error-handling",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [{"id": "risky-task", "type": "io.kestra.plugin.core.http.Download"}],
    "errors": [],
    "finally": [],
}


@task(name="risky-task", retries=2, retry_delay_seconds=[0], timeout_seconds=330)
def risky_task(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "risky-task",
        "io.kestra.plugin.core.http.Download",
        {"uri": "https://example.com/data.csv"},
        timeout="PT5M",
    )


@flow(name="seed-error-handling")
def seed_error_handling() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(risky_task(run.execution, run.outputs(), return_state=True))
    return run.end()
