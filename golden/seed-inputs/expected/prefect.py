"""seed-inputs: compiled by kflow from Kestra flow dev.seed-inputs.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "dev",
    "id": "seed-inputs",
    "inputs": [
        {
            "id": "filename",
            "type": "STRING",
            "required": True,
            "default": "data.csv",
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "process_date",
            "type": "DATETIME",
            "required": False,
            "default": None,
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
    "tasks": [{"id": "process", "type": "io.kestra.plugin.core.log.Log"}],
    "errors": [],
    "finally": [],
}
PARAMETERS = {"filename": "filename", "process_date": "process_date"}


@task(name="process")
def process(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "process",
        "io.kestra.plugin.core.log.Log",
        {"message": "Processing {{ inputs.filename }} for {{ inputs.process_date }}"},
    )


@flow(name="seed-inputs")
def seed_inputs(filename: str = "data.csv", process_date: str | None = None) -> Any:
    with kestra.execution(FLOW, TREE, {"filename": filename, "process_date": process_date}) as run:
        run.add(process(run.execution, run.outputs(), return_state=True))
    return run.end()
