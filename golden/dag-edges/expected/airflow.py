"""kflow.golden__dag-edges: compiled by kflow from Kestra flow kflow.golden.dag-edges.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG, TaskGroup

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

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

with DAG(
    dag_id="kflow.golden__dag-edges",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    with TaskGroup(group_id="graph", prefix_group_id=False):
        extract = KestraTask(
            task_id="extract",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.debug.Return",
            properties={"format": "raw"},
        )
        start >> extract
        clean = KestraTask(
            task_id="clean",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.debug.Return",
            properties={"format": "{{ outputs.extract.value }}-clean"},
            reads=["extract"],
        )
        extract >> clean
        audit = KestraTask(
            task_id="audit",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.log.Log",
            properties={"message": "audit"},
        )
        extract >> audit
        publish = KestraTask(
            task_id="publish",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.log.Log",
            properties={"message": "{{ outputs.clean.value }}"},
            reads=["clean"],
        )
        [clean, audit] >> publish
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended", flow=FLOW, outlets=[AssetAlias("kestra://kflow.golden/dag-edges")]
    )
