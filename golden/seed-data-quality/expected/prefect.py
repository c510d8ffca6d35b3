"""data-quality: compiled by kflow from Kestra flow quality.data-quality.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

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


@task(name="check-nulls")
def check_nulls(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "check-nulls",
        "io.kestra.plugin.jdbc.postgresql.Query",
        {
            "sql": "SELECT\nCOUNT(*) as total_rows,\nSUM(CASE WHEN column1 IS NULL THEN 1 ELSE 0 END) as null_count\nFROM source_table\n",
            "fetchType": "FETCH",
        },
    )


@task(name="validate")
def validate(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "validate",
        "io.kestra.plugin.core.condition.Expression",
        {"expression": "{{ outputs.check-nulls.rows[0]['null_count'] | int == 0 }}"},
    )


@task(name="alert")
def alert(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "alert",
        "io.kestra.plugin.core.log.Log",
        {"message": "Data quality check failed: null values found"},
        run_if=["{{ not outputs.validate.value }}"],
    )


@flow(name="data-quality")
def data_quality() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(check_nulls(run.execution, run.outputs(), return_state=True))
        run.add(validate(run.execution, run.outputs("check-nulls"), return_state=True))
        run.add(alert(run.execution, run.outputs("validate"), return_state=True))
    return run.end()
