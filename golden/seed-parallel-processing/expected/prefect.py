"""seed-parallel-processing: compiled by kflow from Kestra flow dev.seed-parallel-processing.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "dev",
    "id": "seed-parallel-processing",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {
            "id": "parallel-tasks",
            "type": "io.kestra.plugin.core.flow.Parallel",
            "branches": {
                "tasks": [
                    {"id": "task1", "type": "io.kestra.plugin.core.log.Log"},
                    {"id": "task2", "type": "io.kestra.plugin.core.log.Log"},
                ]
            },
        }
    ],
    "errors": [],
    "finally": [],
}


@task(name="task1")
def task1(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW, execution, outputs, "task1", "io.kestra.plugin.core.log.Log", {"message": "Task 1"}
    )


@task(name="task2")
def task2(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW, execution, outputs, "task2", "io.kestra.plugin.core.log.Log", {"message": "Task 2"}
    )


@flow(name="seed-parallel-processing")
def seed_parallel_processing() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.wait(
            [task1.submit(run.execution, run.outputs()), task2.submit(run.execution, run.outputs())]
        )
    return run.end()
