"""plugin-defaults: compiled by kflow from Kestra flow kflow.golden.plugin-defaults.

Generated code: edit the flow and compile again (`kflow compile --target prefect`).
"""

from typing import Any

from prefect import flow, task

from kflow.runtime_shims import prefect as kestra

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


@task(name="warn-log")
def warn_log(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "warn-log",
        "io.kestra.plugin.core.log.Log",
        {"message": "uses the default level", "level": "WARN"},
    )


@task(name="info-log")
def info_log(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "info-log",
        "io.kestra.plugin.core.log.Log",
        {"message": "keeps its own level", "level": "INFO"},
    )


@task(name="forced-return")
def forced_return(execution: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    return kestra.run_task(
        FLOW,
        execution,
        outputs,
        "forced-return",
        "io.kestra.plugin.core.debug.Return",
        {"format": "forced"},
    )


@flow(name="plugin-defaults")
def plugin_defaults() -> Any:
    with kestra.execution(FLOW, TREE, {}) as run:
        run.add(warn_log(run.execution, run.outputs(), return_state=True))
        run.add(info_log(run.execution, run.outputs(), return_state=True))
        run.add(forced_return(run.execution, run.outputs(), return_state=True))
    return run.end()
