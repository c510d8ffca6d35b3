"""quality__data-quality: compiled by kflow from Kestra flow quality.data-quality.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "quality",
    "id": "data-quality",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [
        {"id": "check-nulls", "type": "io.kestra.plugin.jdbc.postgresql.Query"},
        {"id": "validate", "type": "io.kestra.plugin.core.condition.Expression"},
        {"id": "alert", "type": "io.kestra.plugin.core.log.Log"},
    ],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="quality__data-quality",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    check_nulls = KestraTask(
        task_id="check-nulls",
        flow=FLOW,
        kestra_type="io.kestra.plugin.jdbc.postgresql.Query",
        properties={
            "sql": "SELECT\nCOUNT(*) as total_rows,\nSUM(CASE WHEN column1 IS NULL THEN 1 ELSE 0 END) as null_count\nFROM source_table\n",
            "fetchType": "FETCH",
        },
    )
    start >> check_nulls
    validate = KestraTask(
        task_id="validate",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.condition.Expression",
        properties={"expression": "{{ outputs.check-nulls.rows[0]['null_count'] | int == 0 }}"},
        reads=["check-nulls"],
    )
    check_nulls >> validate
    alert = KestraTask(
        task_id="alert",
        flow=FLOW,
        kestra_type="io.kestra.plugin.core.log.Log",
        properties={"message": "Data quality check failed: null values found"},
        reads=["validate"],
        run_if=["{{ not outputs.validate.value }}"],
    )
    validate >> alert
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended", flow=FLOW, outlets=[AssetAlias("kestra://quality/data-quality")]
    )
