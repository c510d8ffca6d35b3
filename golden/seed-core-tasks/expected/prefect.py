"""seed-core-tasks: compiled by kflow from Kestra flow dev.seed-core-tasks.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "dev",
    "id": "seed-core-tasks",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "download", "type": "io.kestra.plugin.core.http.Download"},
        {"id": "read-file", "type": "io.kestra.plugin.core.types.Json"},
        {"id": "log", "type": "io.kestra.plugin.core.log.Log"},
        {"id": "python-script", "type": "io.kestra.plugin.scripts.python.Script"},
    ],
    "errors": [],
    "finally": [],
}


@task(name="download")
def download(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "download",
        "io.kestra.plugin.core.http.Download",
        {"uri": "https://example.com/data.csv"},
    )


@task(name="read-file")
def read_file(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "read-file",
        "io.kestra.plugin.core.types.Json",
        {"from": "{{ outputs.download.uri }}"},
    )


@task(name="log")
def log(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "log",
        "io.kestra.plugin.core.log.Log",
        {"message": "Processing complete"},
    )


@task(name="python-script")
def python_script(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "python-script",
        "io.kestra.plugin.scripts.python.Script",
        {"script": 'import pandas as pd\nprint("Hello from Python!")\n'},
    )


@flow(name="seed-core-tasks")
def seed_core_tasks() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(download(run.execution, run.outputs(), return_state=True))
        run.add(read_file(run.execution, run.outputs("download"), return_state=True))
        run.add(log(run.execution, run.outputs(), return_state=True))
        run.add(python_script(run.execution, run.outputs(), return_state=True))
    return run.end()
