"""dag-edges: compiled by kflow from Kestra flow kflow.golden.dag-edges.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "kflow.golden",
    "id": "dag-edges",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {
            "id": "graph",
            "type": "io.kestra.plugin.core.flow.Dag",
            "branches": {
                "tasks": [
                    {"id": "extract", "type": "io.kestra.plugin.core.debug.Return"},
                    {"id": "clean", "type": "io.kestra.plugin.core.debug.Return"},
                    {"id": "audit", "type": "io.kestra.plugin.core.log.Log"},
                    {"id": "publish", "type": "io.kestra.plugin.core.log.Log"},
                ]
            },
        }
    ],
    "errors": [],
    "finally": [],
}


@task(name="extract")
def extract(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW, execution, outputs, "extract", "io.kestra.plugin.core.debug.Return", {"format": "raw"}
    )


@task(name="clean")
def clean(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "clean",
        "io.kestra.plugin.core.debug.Return",
        {"format": "{{ outputs.extract.value }}-clean"},
    )


@task(name="audit")
def audit(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW, execution, outputs, "audit", "io.kestra.plugin.core.log.Log", {"message": "audit"}
    )


@task(name="publish")
def publish(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "publish",
        "io.kestra.plugin.core.log.Log",
        {"message": "{{ outputs.clean.value }}"},
    )


@flow(name="dag-edges")
def dag_edges() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        extract_future = extract.submit(run.execution, run.outputs())
        clean_future = clean.submit(
            run.execution,
            run.outputs("extract", futures={"extract": extract_future}),
            wait_for=[extract_future],
        )
        audit_future = audit.submit(run.execution, run.outputs(), wait_for=[extract_future])
        publish_future = publish.submit(
            run.execution,
            run.outputs("clean", futures={"clean": clean_future}),
            wait_for=[clean_future, audit_future],
        )
        run.wait([extract_future, clean_future, audit_future, publish_future])
    return run.end()
