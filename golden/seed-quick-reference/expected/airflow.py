"""your.namespace__flow-id: compiled by kflow from Kestra flow your.namespace.flow-id.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "your.namespace",
    "id": "flow-id",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [{"id": "only-task", "type": "io.kestra.plugin.core.log.Log"}],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="your.namespace__flow-id",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
    description="Flow description",
    doc_md="Flow description",
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    only_task = KestraTask(
        task_id="only-task",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "Time formats: PT30S, PT5M, PT2H, P1D"},
    )
    start >> only_task
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended", flow=FLOW, outlets=[AssetAlias("kestra://your.namespace/flow-id")]
    )
