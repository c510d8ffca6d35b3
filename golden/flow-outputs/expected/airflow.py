"""kflow.golden__flow-outputs: compiled by kflow from Kestra flow kflow.golden.flow-outputs.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG, Param

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "kflow.golden",
    "id": "flow-outputs",
    "inputs": [
        {
            "id": "name",
            "type": "STRING",
            "required": True,
            "default": "world",
            "description": None,
            "display_name": None,
            "extra": {},
        }
    ],
    "variables": {"greeting_prefix": "Hello"},
    "outputs": [
        {
            "id": "greeting",
            "type": "STRING",
            "value": "{{ outputs.greet.value }}",
            "description": None,
        }
    ],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "greet", "type": "io.kestra.plugin.core.debug.Return"},
        {"id": "values", "type": "io.kestra.plugin.core.output.OutputValues"},
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="kflow.golden__flow-outputs",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
    params={"name": Param("world", type="string")},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    greet = KestraTask(
        task_id="greet",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.debug.Return",
        properties={"format": "{{ vars.greeting_prefix }}, {{ inputs.name }}!"},
    )
    start >> greet
    values = KestraTask(
        task_id="values",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.output.OutputValues",
        properties={"values": {"length": "{{ outputs.greet.value | length }}"}},
        reads=["greet"],
    )
    greet >> values
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://kflow.golden/flow-outputs")],
    )
