"""kflow.golden__pause-sleep: compiled by kflow from Kestra flow kflow.golden.pause-sleep.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

from datetime import timedelta

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "kflow.golden",
    "id": "pause-sleep",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "nap", "type": "io.kestra.plugin.core.flow.Sleep"},
        {"id": "hold", "type": "io.kestra.plugin.core.flow.Pause"},
        {"id": "shaky", "type": "io.kestra.plugin.core.debug.Return"},
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="kflow.golden__pause-sleep",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
    description="Timed waits on every target (Pause with a duration, Sleep), and retry settings.",
    doc_md="Timed waits on every target (Pause with a duration, Sleep), and retry settings.",
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    nap = KestraTask(
        task_id="nap",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.flow.Sleep",
        properties={"duration": "PT1S"},
    )
    start >> nap
    hold = KestraTask(
        task_id="hold",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.flow.Pause",
        properties={"pauseDuration": "PT1S"},
    )
    nap >> hold
    shaky = KestraTask(
        task_id="shaky",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.debug.Return",
        properties={"format": "done"},
        retries=2,
        retry_delay=timedelta(seconds=1),
        retry_exponential_backoff=2.0,
        max_retry_delay=timedelta(seconds=10),
        execution_timeout=timedelta(seconds=30),
    )
    hold >> shaky
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended", flow=FLOW, outlets=[AssetAlias("kestra://kflow.golden/pause-sleep")]
    )
