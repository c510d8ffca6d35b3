"""seed-common-issues: compiled by kflow from Kestra flow dev.seed-common-issues.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "dev",
    "id": "seed-common-issues",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [{"id": "long-task", "type": "io.kestra.plugin.scripts.python.Script"}],
    "errors": [],
    "finally": [],
}


@task(name="long-task", timeout_seconds=1830)
def long_task(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "long-task",
        "io.kestra.plugin.scripts.python.Script",
        {"script": 'print("done")\n', "containerImage": "python:3.9-slim"},
        timeout="PT30M",
    )


@flow(name="seed-common-issues")
def seed_common_issues() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(long_task(run.execution, run.outputs(), return_state=True))
    return run.end()
