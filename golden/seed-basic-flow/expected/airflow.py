"""company.data__example-flow: compiled by kflow from Kestra flow company.data.example-flow.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

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

with DAG(
    dag_id="company.data__example-flow",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
    description="Example workflow",
    doc_md="Example workflow",
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    download_file = KestraTask(
        task_id="download-file",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.http.Download",
        properties={"uri": "https://example.com/data.csv"},
    )
    start >> download_file
    log_message = KestraTask(
        task_id="log-message",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "File downloaded successfully"},
    )
    download_file >> log_message
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://company.data/example-flow")],
    )
