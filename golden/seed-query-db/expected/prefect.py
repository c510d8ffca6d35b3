"""seed-query-db: compiled by kflow from Kestra flow dev.seed-query-db.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

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


@task(name="query-db")
def query_db(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "query-db",
        "io.kestra.plugin.jdbc.postgresql.Query",
        {
            "url": "jdbc:postgresql://localhost:5432/db",
            "username": "user",
            "password": "pass",
            "sql": "SELECT * FROM users WHERE created_at > '2024-01-01'",
        },
    )


@flow(name="seed-query-db")
def seed_query_db() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(query_db(run.execution, run.outputs(), return_state=True))
    return run.end()
