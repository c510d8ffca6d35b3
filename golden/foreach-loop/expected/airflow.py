"""kflow.golden__foreach-loop: compiled by kflow from Kestra flow kflow.golden.foreach-loop.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG, task_group
from airflow.providers.standard.operators.empty import EmptyOperator

from kflow.runtime_shims.airflow import (
    KestraEnd,
    KestraEnded,
    KestraStart,
    KestraTask,
    KestraValues,
)

FLOW = {
    "namespace": "kflow.golden",
    "id": "foreach-loop",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {
            "id": "each",
            "type": "io.kestra.plugin.core.flow.ForEach",
            "branches": {
                "tasks": [
                    {"id": "item", "type": "io.kestra.plugin.core.debug.Return"},
                    {"id": "item-log", "type": "io.kestra.plugin.core.log.Log"},
                ]
            },
        },
        {"id": "after", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="kflow.golden__foreach-loop",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    each = KestraValues(
        task_id="each",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.flow.ForEach",
        properties={"values": ["a", "b", "c"], "concurrencyLimit": 2},
    )
    start >> each

    @task_group(group_id="each__iteration", prefix_group_id=False)
    def each__iteration(loop):
        item = KestraTask(
            task_id="item",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.debug.Return",
            properties={"format": "{{ taskrun.value }}-{{ taskrun.iteration }}"},
            loop=loop,
            loop_direct=True,
            max_active_tis_per_dagrun=2,
        )
        item_log = KestraTask(
            task_id="item-log",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.log.Log",
            properties={"message": "{{ outputs.item[taskrun.value].value }}"},
            reads=["item"],
            loop=loop,
            loop_direct=True,
            max_active_tis_per_dagrun=2,
        )
        item >> item_log

    each__iterations = each__iteration.expand(loop=each.output)
    each_join = EmptyOperator(task_id="each.join", trigger_rule="none_failed_min_one_success")
    [each, each__iterations] >> each_join
    after = KestraTask(
        task_id="after",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "{{ outputs.item | keys | join(',') }}"},
        reads=["item"],
    )
    each_join >> after
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://kflow.golden/foreach-loop")],
    )
