"""kflow.golden__errors-finally: compiled by kflow from Kestra flow kflow.golden.errors-finally.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

from datetime import timedelta

import pendulum
from airflow.sdk import AssetAlias, DAG, TaskGroup

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraGate, KestraStart, KestraTask

FLOW = {
    "namespace": "kflow.golden",
    "id": "errors-finally",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "tolerated", "type": "io.kestra.plugin.core.execution.Fail", "allowFailure": True},
        {
            "id": "guarded",
            "type": "io.kestra.plugin.core.flow.Sequential",
            "branches": {
                "tasks": [{"id": "boom", "type": "io.kestra.plugin.core.execution.Fail"}],
                "errors": [{"id": "local-handler", "type": "io.kestra.plugin.core.log.Log"}],
            },
        },
    ],
    "errors": [{"id": "flow-handler", "type": "io.kestra.plugin.core.log.Log"}],
    "finally": [{"id": "always", "type": "io.kestra.plugin.core.log.Log"}],
}

with DAG(
    dag_id="kflow.golden__errors-finally",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    tolerated = KestraTask(
        task_id="tolerated",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.execution.Fail",
        properties={"errorMessage": "soft failure"},
        allow_failure=True,
    )
    start >> tolerated
    with TaskGroup(group_id="guarded", prefix_group_id=False):
        boom = KestraTask(
            task_id="boom",
            flow=FLOW,
            kestra_type="io.kestra.plugin.core.execution.Fail",
            properties={"errorMessage": "boom {{ execution.id }}"},
            retries=2,
            retry_delay=timedelta(seconds=1),
            retry_exponential_backoff=2.0,
            max_retry_delay=timedelta(seconds=10),
            execution_timeout=timedelta(seconds=60),
        )
        tolerated >> boom
    guarded_errors = KestraGate(
        task_id="guarded.errors", flow=FLOW, kind="errors", scope=["boom"], trigger_rule="all_done"
    )
    boom >> guarded_errors
    local_handler = KestraTask(
        task_id="local-handler",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "local: {{ outputs.boom ?? 'no outputs' }}"},
        reads=["boom"],
    )
    guarded_errors >> local_handler
    kflow_errors = KestraGate(
        task_id="_kflow_errors",
        flow=FLOW,
        kind="errors",
        scope=["tolerated", "guarded", "boom", "local-handler"],
        trigger_rule="all_done",
    )
    [tolerated, boom, guarded_errors, local_handler] >> kflow_errors
    flow_handler = KestraTask(
        task_id="flow-handler",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"level": "ERROR", "message": "flow failed"},
    )
    kflow_errors >> flow_handler
    kflow_finally = KestraGate(
        task_id="_kflow_finally",
        flow=FLOW,
        kind="finally",
        scope=["tolerated", "guarded", "boom", "local-handler", "flow-handler"],
        trigger_rule="all_done",
    )
    [tolerated, boom, guarded_errors, local_handler, kflow_errors, flow_handler] >> kflow_finally
    always = KestraTask(
        task_id="always",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "done"},
    )
    kflow_finally >> always
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://kflow.golden/errors-finally")],
    )
