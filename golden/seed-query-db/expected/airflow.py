"""dev__seed-query-db: compiled by kflow from Kestra flow dev.seed-query-db.

Generated code: edit the flow and compile again (`kflow compile --target airflow`).
"""

import pendulum
from airflow.sdk import AssetAlias, DAG

from kflow.runtime_shims.airflow import KestraEnd, KestraEnded, KestraStart, KestraTask

FLOW = {
    "namespace": "dev",
    "id": "seed-query-db",
    "inputs": [],
    "variables": {},
    "outputs": [],
    "labels": {},
}
TREE = {
    "tasks": [{"id": "query-db", "type": "io.kestra.plugin.jdbc.postgresql.Query"}],
    "errors": [],
    "finally": [],
}

with DAG(
    dag_id="dev__seed-query-db",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
    default_args={"retries": 0},
) as dag:
    start = KestraStart(task_id="_kflow_start", flow=FLOW)
    query_db = KestraTask(
        task_id="query-db",
        flow=FLOW,
        kestra_type="io.kestra.plugin.jdbc.postgresql.Query",
        properties={
            "url": "jdbc:postgresql://localhost:5432/db",
            "username": "user",
            "password": "pass",
            "sql": "SELECT * FROM users WHERE created_at > '2024-01-01'",
        },
    )
    start >> query_db
    end = KestraEnd(task_id="_kflow_end", flow=FLOW, tree=TREE, trigger_rule="all_done")
    end.set_upstream([task for task in dag.tasks if task is not end])
    end >> KestraEnded(
        task_id="_kflow_ended", flow=FLOW, outlets=[AssetAlias("kestra://dev/seed-query-db")]
    )
