"""kflow.golden__parallel-branches: compiled by kflow from Kestra flow kflow.golden.parallel-branches.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG, TaskGroup

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "kflow.golden",
    "id": "parallel-branches",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {"team": "data"},
}
TREE = {
    "tasks": [
        {
            "id": "fan-out",
            "type": "io.kestra.plugin.core.flow.Parallel",
            "branches": {
                "tasks": [
                    {"id": "left", "type": "io.kestra.plugin.core.debug.Return"},
                    {
                        "id": "right-chain",
                        "type": "io.kestra.plugin.core.flow.Sequential",
                        "branches": {
                            "tasks": [
                                {"id": "right-1", "type": "io.kestra.plugin.core.debug.Return"},
                                {"id": "right-2", "type": "io.kestra.plugin.core.debug.Return"},
                            ]
                        },
                    },
                ]
            },
        },
        {"id": "join", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="kflow.golden__parallel-branches",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
    description="Parallel branches with a sequential chain inside, joined by a final task.",
    doc_md="Parallel branches with a sequential chain inside, joined by a final task.",
    tags=["team:data"],
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    with TaskGroup(group_id="fan-out", prefix_group_id=False):
        left = KestraTask(
            task_id="left",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.debug.Return",
            properties={"format": "left-{{ execution.id }}"},
        )
        start >> left
        with TaskGroup(group_id="right-chain", prefix_group_id=False):
            right_1 = KestraTask(
                task_id="right-1",
                flow=FLOW,
                kestra_type="io.kestra.plugin.core.debug.Return",
                properties={"format": "r1"},
            )
            start >> right_1
            right_2 = KestraTask(
                task_id="right-2",
                flow=FLOW,
                kestra_type="io.kestra.plugin.core.debug.Return",
                properties={"format": "{{ outputs['right-1'].value }}-r2"},
                reads=["right-1"],
            )
            right_1 >> right_2
    join = KestraTask(
        task_id="join",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "{{ outputs.left.value }} and {{ outputs.right-2.value }}"},
        reads=["left", "right-2"],
    )
    [left, right_2] >> join
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://kflow.golden/parallel-branches")],
    )
