"""etl-pipeline: compiled by kflow from Kestra flow data.engineering.etl-pipeline.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

FLOW = {
    "namespace": "data.engineering",
    "id": "etl-pipeline",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "extract", "type": "io.kestra.plugin.core.http.Download"},
        {"id": "transform", "type": "io.kestra.plugin.scripts.python.Script"},
        {"id": "load", "type": "io.kestra.plugin.jdbc.postgresql.Load"},
    ],
    "errors": [],
    "finally": [],
}


@task(name="extract")
def extract(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "extract",
        "io.kestra.plugin.core.http.Download",
        {"uri": "https://data.source.com/{{ execution.date | date('yyyy-MM') }}.csv"},
    )


@task(name="transform")
def transform(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "transform",
        "io.kestra.plugin.scripts.python.Script",
        {
            "inputFiles": {"data.csv": "{{ outputs.extract.uri }}"},
            "script": "import pandas as pd\ndf = pd.read_csv('data.csv')\n# Transformation logic\ndf.to_csv('transformed.csv', index=False)\n",
            "outputFiles": ["transformed.csv"],
        },
    )


@task(name="load")
def load(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "load",
        "io.kestra.plugin.jdbc.postgresql.Load",
        {
            "from": "{{ outputs.transform.outputFiles['transformed.csv'] }}",
            "url": "jdbc:postgresql://localhost:5432/warehouse",
            "username": "user",
            "password": "pass",
            "table": "processed_data",
        },
    )


@flow(name="etl-pipeline")
def etl_pipeline() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(extract(run.execution, run.outputs(), return_state=True))
        run.add(transform(run.execution, run.outputs("extract"), return_state=True))
        run.add(load(run.execution, run.outputs("transform"), return_state=True))
    return run.end()
