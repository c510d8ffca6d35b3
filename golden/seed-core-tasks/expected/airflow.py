"""dev__seed-core-tasks: compiled by kflow from Kestra flow dev.seed-core-tasks.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

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

with DAG(
    dag_id="dev__seed-core-tasks",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    download = KestraTask(
        task_id="download",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.http.Download",
        properties={"uri": "https://example.com/data.csv"},
    )
    start >> download
    read_file = KestraTask(
        task_id="read-file",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.types.Json",
        properties={"from": "{{ outputs.download.uri }}"},
        reads=["download"],
    )
    download >> read_file
    log = KestraTask(
        task_id="log",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "Processing complete"},
    )
    read_file >> log
    python_script = KestraTask(
        task_id="python-script",
        flow=FLOW,
        kestra_type="io.kestra.plugin.scripts.python.Script",
        properties={"script": 'import pandas as pd\nprint("Hello from Python!")\n'},
    )
    log >> python_script
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended", flow=FLOW, outlets=[AssetAlias("kestra://dev/seed-core-tasks")]
    )
