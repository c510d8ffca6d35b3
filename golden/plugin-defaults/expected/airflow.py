"""kflow.golden__plugin-defaults: compiled by kflow from Kestra flow kflow.golden.plugin-defaults.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "kflow.golden",
    "id": "plugin-defaults",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "warn-log", "type": "io.kestra.plugin.core.log.Log"},
        {"id": "info-log", "type": "io.kestra.plugin.core.log.Log"},
        {"id": "forced-return", "type": "io.kestra.plugin.core.debug.Return"},
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="kflow.golden__plugin-defaults",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    warn_log = KestraTask(
        task_id="warn-log",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "uses the default level", "level": "WARN"},
    )
    start >> warn_log
    info_log = KestraTask(
        task_id="info-log",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "keeps its own level", "level": "INFO"},
    )
    warn_log >> info_log
    forced_return = KestraTask(
        task_id="forced-return",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.debug.Return",
        properties={"format": "forced"},
    )
    info_log >> forced_return
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended",
        flow=FLOW,
        outlets=[AssetAlias("kestra://kflow.golden/plugin-defaults")],
    )
