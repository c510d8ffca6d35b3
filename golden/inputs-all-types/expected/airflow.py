"""kflow.golden__inputs-all-types: compiled by kflow from Kestra flow kflow.golden.inputs-all-types.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG, Param

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "kflow.golden",
    "id": "inputs-all-types",
    "inputs": [
        {
            "id": "text",
            "type": "STRING",
            "required": True,
            "default": "hello",
            "description": None,
            "display_name": None,
            "extra": {"validator": "^[a-z]+$"},
        },
        {
            "id": "count",
            "type": "INT",
            "required": True,
            "default": 3,
            "description": None,
            "display_name": None,
            "extra": {"min": 1, "max": 10},
        },
        {
            "id": "ratio",
            "type": "FLOAT",
            "required": True,
            "default": 0.5,
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "enabled",
            "type": "BOOLEAN",
            "required": True,
            "default": False,
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "when",
            "type": "DATETIME",
            "required": False,
            "default": None,
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "day",
            "type": "DATE",
            "required": True,
            "default": "2024-01-31",
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "wait",
            "type": "DURATION",
            "required": True,
            "default": "PT5M",
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "payload",
            "type": "JSON",
            "required": True,
            "default": '{"a": 1}',
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "tags",
            "type": "ARRAY",
            "required": True,
            "default": ["x", "y"],
            "description": None,
            "display_name": None,
            "extra": {"itemType": "STRING"},
        },
        {
            "id": "upload",
            "type": "FILE",
            "required": False,
            "default": None,
            "description": None,
            "display_name": None,
            "extra": {},
        },
        {
            "id": "token",
            "type": "SECRET",
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
    "tasks": [{"id": "show", "type": "io.kestra.plugin.core.log.Log"}],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="kflow.golden__inputs-all-types",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
    params={
        "text": Param("hello", type="string", pattern="^(?:^[a-z]+$)$"),
        "count": Param(3, type="integer", minimum=1, maximum=10),
        "ratio": Param(0.5, type="number"),
        "enabled": Param(False, type="boolean"),
        "when": Param(None, type=["string", "null"]),
        "day": Param("2024-01-31", type="string"),
        "wait": Param("PT5M", type="string"),
        "payload": Param('{"a": 1}'),
        "tags": Param(["x", "y"], type="array"),
        "upload": Param(None, type=["string", "null"]),
        "token": Param(None, type=["string", "null"]),
    },
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    show = KestraTask(
        task_id="show",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={
            "message": "{{ inputs.text }} {{ inputs.count }} {{ inputs.ratio }} {{ inputs.enabled }} {{ inputs.day }} {{ inputs.wait }} {{ inputs.tags }}"
        },
    )
    start >> show
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://kflow.golden/inputs-all-types")],
    )
