"""`kflow run --engine prefect`: compile a flow, run it in the Prefect of this environment.

The flow module is written to a throwaway directory and run in a child process with a throwaway
`PREFECT_HOME` and no `PREFECT_API_URL`: Prefect then starts its ephemeral API server (a
subprocess on a fresh SQLite database) for the run, exactly as `python flow.py` would on a
machine with no Prefect server configured. The report is built from what the flow's
`_kflow_end` task computed (`kflow.runtime_shims.prefect.listen`), in the shape of
`kflow run --output json`.

`python -m kflow.targets.prefect_local MODULE FUNCTION PARAMETERS RESULT` is the part that runs
inside Prefect; everything else imports no Prefect module.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from kflow.compiler import ir
from kflow.targets.local import EngineError, emitted_or_fail, require

#: Seconds the ephemeral API server may take to start (its own default, 20 s, is tight on a
#: busy machine: creating the tables of a fresh database alone takes several seconds).
SERVER_STARTUP_SECONDS = "180"


def prefect_environment(home: Path) -> dict[str, str]:
    """The environment of a throwaway Prefect: this home, an ephemeral API, no telemetry."""
    drop = ("PREFECT_API_URL", "PREFECT_API_KEY", "PREFECT_PROFILE", "PREFECT_HOME")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ALLOW_EPHEMERAL_MODE="true",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS=SERVER_STARTUP_SECONDS,
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        DO_NOT_TRACK="1",
        PREFECT_LOGGING_LEVEL=os.environ.get("KFLOW_PREFECT_LOG_LEVEL", "WARNING"),
    )
    return env


def parameters_of(flow: ir.Flow, given: dict[str, str]) -> dict[str, Any]:
    """The flow function's parameters for `--input` values, typed as its signature expects."""
    from kflow.targets.airflow_local import conf_of
    from kflow.targets.prefect import _Writer

    writer = _Writer(flow)
    writer.parameters()
    values = conf_of(flow, given)
    return {writer.names[f"input:{key}"]: value for key, value in values.items()}


def called(flow: ir.Flow, flows: Sequence[ir.Flow]) -> list[ir.Flow]:
    """The flows of `flows` that `flow` calls as Subflows, and those they call, in turn."""
    by_key = {(f.namespace, f.id): f for f in flows}
    found: dict[tuple[str, str], ir.Flow] = {}
    waiting = [flow]
    while waiting:
        for task in waiting.pop().all_tasks():
            if task.type != "io.kestra.plugin.core.flow.Subflow":
                continue
            key = (task.properties.get("namespace"), task.properties.get("flowId"))
            if key in by_key and key not in found and key != (flow.namespace, flow.id):
                found[key] = by_key[key]
                waiting.append(by_key[key])
    return list(found.values())


def run(
    flow: ir.Flow,
    given: dict[str, str],
    flows: Sequence[ir.Flow] = (),
    keep: Path | None = None,
) -> dict[str, Any]:
    """Run `flow` in this environment's Prefect (with the flows of `flows` it calls as
    Subflows compiled beside it); the execution report."""
    from kflow.targets.prefect import emit

    require("prefect", "'prefect==3.8.8' 'fastapi<0.140'")
    emitted = emitted_or_fail(flow, emit, "Prefect")
    parameters = parameters_of(flow, given)
    root = keep or Path(tempfile.mkdtemp(prefix="kflow-prefect-"))
    [(relative, text)] = emitted.files.items()
    module = root / "flows" / relative
    module.parent.mkdir(parents=True, exist_ok=True)
    module.write_text(text, encoding="utf-8")
    (deployment,) = emitted.shared["prefect.yaml"]
    function = deployment["entrypoint"].rsplit(":", 1)[1]
    for child in called(flow, flows):
        # A child that does not compile fails its Subflow when it runs, as in the runner.
        for child_path, child_text in emit(child).files.items():
            target = root / "flows" / child_path
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(child_text, encoding="utf-8")
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    result_path = root / "result.json"
    command = [sys.executable, "-m", __name__, str(module), function, json.dumps(parameters)]
    proc = subprocess.run(
        [*command, str(result_path)],
        env=prefect_environment(home),
        cwd=root,
        capture_output=True,
        text=True,
    )
    if not result_path.is_file():
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise EngineError(f"the flow run left no result (exit {proc.returncode}):\n{tail}")
    result = json.loads(result_path.read_text(encoding="utf-8"))
    if result.get("crash"):
        raise EngineError(result["crash"])
    return report_from_end(flow, result.get("end"), result.get("error"))


def report_from_end(
    flow: ir.Flow, end: dict[str, Any] | None, error: str | None = None
) -> dict[str, Any]:
    """The execution report from the result of a flow run's `_kflow_end` task (None when the
    execution never started: its inputs were refused, `error` says why)."""
    from kflow.runtime_shims.step import TaskRun, report

    if end is None:
        found = report(flow, None, {}, None)
        found["error"] = error or "the execution did not start"
        return found
    records = {
        task_id: [TaskRun.from_json(run) for run in runs]
        for task_id, runs in (end.get("records") or {}).items()
    }
    return report(flow, end.get("execution"), records, end)


# -- inside Prefect --------------------------------------------------------------------------------


def _run_in_prefect(path: str, function: str, parameters: dict[str, Any]) -> dict[str, Any]:
    from kflow.runtime_shims import prefect as shim

    ends: list[dict[str, Any]] = []
    shim.listen(ends.append)
    spec = importlib.util.spec_from_file_location("kflow_prefect_flow", path)
    if spec is None or spec.loader is None:
        return {"crash": f"cannot import {path}"}
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    state = getattr(module, function)(**parameters, return_state=True)
    result: dict[str, Any] = {"state": state.type.value, "message": state.message}
    mine = [e for e in ends if str(e["execution"]["id"]) == str(state.state_details.flow_run_id)]
    if mine or ends:  # this flow run's end, not a subflow's
        result["end"] = (mine or ends)[-1]
    elif state.is_failed() or state.is_crashed():
        error = state.result(raise_on_failure=False)
        result["error"] = f"{type(error).__name__}: {error}" if error else state.message
    return result


def main(argv: list[str]) -> int:
    path, function, parameters, result_path = argv
    try:
        result = _run_in_prefect(path, function, json.loads(parameters))
    except Exception as error:  # reported to the caller, who shows it to the user
        import traceback

        result = {"crash": f"{type(error).__name__}: {error}\n{traceback.format_exc()}"}
    Path(result_path).write_text(json.dumps(result, default=repr), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
