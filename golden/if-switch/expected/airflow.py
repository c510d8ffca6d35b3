"""kflow.golden__if-switch: compiled by kflow from Kestra flow kflow.golden.if-switch.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG, Param
from airflow.providers.standard.operators.empty import EmptyOperator

from kflow.runtime_shims.airflow import (
    KestraBranch,
    KestraEnd,
    KestraEnded,
    KestraStart,
    KestraTask,
)

FLOW = {
    "namespace": "kflow.golden",
    "id": "if-switch",
    "inputs": [
        {
            "id": "mode",
            "type": "SELECT",
            "required": True,
            "default": "fast",
            "description": None,
            "display_name": None,
            "extra": {"values": ["fast", "slow", "other"]},
        },
        {
            "id": "flag",
            "type": "BOOLEAN",
            "required": True,
            "default": True,
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
    "tasks": [
        {
            "id": "decide",
            "type": "io.kestra.plugin.core.flow.If",
            "branches": {
                "then": [{"id": "when-true", "type": "io.kestra.plugin.core.debug.Return"}],
                "else": [{"id": "when-false", "type": "io.kestra.plugin.core.debug.Return"}],
            },
        },
        {
            "id": "route",
            "type": "io.kestra.plugin.core.flow.Switch",
            "branches": {
                "cases": [
                    {"id": "go-fast", "type": "io.kestra.plugin.core.log.Log"},
                    {"id": "go-slow", "type": "io.kestra.plugin.core.log.Log"},
                ],
                "defaults": [{"id": "go-default", "type": "io.kestra.plugin.core.log.Log"}],
            },
        },
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="kflow.golden__if-switch",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
    params={
        "mode": Param("fast", type="string", enum=["fast", "slow", "other"]),
        "flag": Param(True, type="boolean"),
    },
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    decide = KestraBranch(
        task_id="decide",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.flow.If",
        properties={"condition": "{{ inputs.flag }}"},
        branches={"then": ["when-true"], "else": ["when-false"]},
        join="decide.join",
    )
    start >> decide
    when_true = KestraTask(
        task_id="when-true",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.debug.Return",
        properties={"format": "yes"},
    )
    decide >> when_true
    when_false = KestraTask(
        task_id="when-false",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.debug.Return",
        properties={"format": "no"},
    )
    decide >> when_false
    decide_join = EmptyOperator(task_id="decide.join", trigger_rule="none_failed_min_one_success")
    [decide, when_true, when_false] >> decide_join
    route = KestraBranch(
        task_id="route",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.flow.Switch",
        properties={"value": "{{ inputs.mode }}"},
        branches={"case:fast": ["go-fast"], "case:slow": ["go-slow"], "defaults": ["go-default"]},
        join="route.join",
    )
    decide_join >> route
    go_fast = KestraTask(
        task_id="go-fast",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "fast path"},
    )
    route >> go_fast
    go_slow = KestraTask(
        task_id="go-slow",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "slow path"},
    )
    route >> go_slow
    go_default = KestraTask(
        task_id="go-default",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "other: {{ inputs.mode | upper }}"},
    )
    route >> go_default
    route_join = EmptyOperator(task_id="route.join", trigger_rule="none_failed_min_one_success")
    [route, go_fast, go_slow, go_default] >> route_join
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended", flow=FLOW, outlets=[AssetAlias("kestra://kflow.golden/if-switch")]
    )
