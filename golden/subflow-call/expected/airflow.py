"""kflow.golden__subflow-call: compiled by kflow from Kestra flow kflow.golden.subflow-call.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import (
    KestraEnd,
    KestraEnded,
    KestraStart,
    KestraSubflow,
    KestraSubflowWait,
    KestraTask,
)

FLOW = {
    "namespace": "kflow.golden",
    "id": "subflow-call",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "child", "type": "io.kestra.plugin.core.flow.Subflow"},
        {"id": "use-child", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="kflow.golden__subflow-call",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    child_trigger = KestraSubflow(
        task_id="child.trigger",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.flow.Subflow",
        properties={"inputs": {"name": "from-parent"}},
        trigger_dag_id="kflow.golden__flow-outputs",
    )
    start >> child_trigger
    child = KestraSubflowWait(
        task_id="child",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.flow.Subflow",
        properties={
            "namespace": "kflow.golden",
            "flowId": "flow-outputs",
            "inputs": {"name": "from-parent"},
            "wait": True,
            "transmitFailed": True,
        },
        trigger="child.trigger",
        child_dag_id="kflow.golden__flow-outputs",
    )
    child_trigger >> child
    use_child = KestraTask(
        task_id="use-child",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "{{ outputs.child.outputs.greeting ?? 'none' }}"},
        reads=["child"],
    )
    child >> use_child
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://kflow.golden/subflow-call")],
    )
