"""dev__seed-inputs: compiled by kflow from Kestra flow dev.seed-inputs.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG, Param

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

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

with DAG(
    dag_id="dev__seed-inputs",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
    params={
        "filename": Param("data.csv", type="string"),
        "process_date": Param(None, type=["string", "null"]),
    },
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    process = KestraTask(
        task_id="process",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "Processing {{ inputs.filename }} for {{ inputs.process_date }}"},
    )
    start >> process
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended", flow=FLOW, outlets=[AssetAlias("kestra://dev/seed-inputs")]
    )
