"""example-flow: compiled by kflow from Kestra flow company.data.example-flow.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "company.data",
    "id": "example-flow",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "download-file", "type": "io.kestra.plugin.core.http.Download"},
        {"id": "log-message", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}


@task(name="download-file")
def download_file(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "download-file",
        "io.kestra.plugin.core.http.Download",
        {"uri": "https://example.com/data.csv"},
    )


@task(name="log-message")
def log_message(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "log-message",
        "io.kestra.plugin.core.log.Log",
        {"message": "File downloaded successfully"},
    )


@flow(name="example-flow", description="Example workflow")
def example_flow() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(download_file(run.execution, run.outputs(), return_state=True))
        run.add(log_message(run.execution, run.outputs(), return_state=True))
    return run.end()
