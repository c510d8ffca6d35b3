"""data.engineering__etl-pipeline: compiled by kflow from Kestra flow data.engineering.etl-pipeline.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

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

with DAG(
    dag_id="data.engineering__etl-pipeline",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    extract = KestraTask(
        task_id="extract",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.http.Download",
        properties={"uri": "https://data.source.com/{{ execution.date | date('yyyy-MM') }}.csv"},
    )
    start >> extract
    transform = KestraTask(
        task_id="transform",
        flow=FLOW,
        kestra_type="io.kestra.plugin.scripts.python.Script",
        properties={
            "inputFiles": {"data.csv": "{{ outputs.extract.uri }}"},
            "script": "import pandas as pd\ndf = pd.read_csv('data.csv')\n# Transformation logic\ndf.to_csv('transformed.csv', index=False)\n",
            "outputFiles": ["transformed.csv"],
        },
        reads=["extract"],
    )
    extract >> transform
    load = KestraTask(
        task_id="load",
        flow=FLOW,
        kestra_type="io.kestra.plugin.jdbc.postgresql.Load",
        properties={
            "from": "{{ outputs.transform.outputFiles['transformed.csv'] }}",
            "url": "jdbc:postgresql://localhost:5432/warehouse",
            "username": "user",
            "password": "pass",
            "table": "processed_data",
        },
        reads=["transform"],
    )
    transform >> load
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://data.engineering/etl-pipeline")],
    )
