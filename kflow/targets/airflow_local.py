"""`kflow run --engine airflow`: compile a flow, run its DAG in the Airflow of this environment.

The run uses a throwaway `AIRFLOW_HOME` (SQLite metadata database, the compiled DAG as its only
DAG), serializes the DAG and runs it with `dag.test()` — Airflow's own in-process runner, which
executes every task as a scheduler and worker would, without starting either. The report is
built from the `kestra` XComs the tasks recorded, in the shape of `kflow run --output json`.

`python -m kflow.targets.airflow_local DAGS_DIR DAG_ID CONF RESULT` is the part that runs inside
Airflow's environment; everything else imports no Airflow module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from kflow.compiler import ir
from kflow.targets.local import EngineError, emitted_or_fail, require

#: This module, as `python -m` runs it inside Airflow's environment.
MODULE = "kflow.targets.airflow_local"


def airflow_environment(home: Path, dags: Path) -> dict[str, str]:
    """The environment of a throwaway Airflow: this home, these DAGs, no examples."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(dags),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__LOGGING__LOGGING_LEVEL=os.environ.get("KFLOW_AIRFLOW_LOG_LEVEL", "WARNING"),
    )
    return env


def conf_of(flow: ir.Flow, given: dict[str, str]) -> dict[str, Any]:
    """The DAG run conf for `--input` values: typed as the DAG's params expect them. A FILE
    input given as a local path is uploaded first to the internal storage the target's tasks
    read (`$KFLOW_HOME/storage`), and passed as its `kestra://` URI."""
    from kflow.runtime_shims.execution import new_id
    from kflow.runtime_shims.inputs import execution_file_store, resolve_inputs
    from kflow.runtime_shims.step import storage

    specs = [spec for spec in flow.inputs if spec.id in given]
    specs = [ir.Input(s.id, s.type, False, None, extra=s.extra) for s in specs]
    files = storage()
    # the execution id is the target's, known only once the run starts: a key of the upload's
    store = execution_file_store(files, flow.namespace, flow.id, f"upload-{new_id()}")
    values = resolve_inputs(specs, given, lambda value: value, files, store_file=store).values
    return {k: v for k, v in values.items() if v is not None}


def run(
    flow: ir.Flow,
    given: dict[str, str],
    others: Sequence[ir.Flow] = (),
    keep: Path | None = None,
) -> dict[str, Any]:
    """Run `flow` in this environment's Airflow, with the DAGs of `others` (its subflows)
    beside it; the execution report."""
    from kflow.targets.airflow import dag_id, emit

    require("airflow", "'apache-airflow==3.3.2'")
    emitted = emitted_or_fail(flow, emit, "Airflow")
    conf = conf_of(flow, given)
    root = keep or Path(tempfile.mkdtemp(prefix="kflow-airflow-"))
    home, dags = root / "home", root / "dags"
    files = dict(emitted.files)
    for other in others:
        if (other.namespace, other.id) != (flow.namespace, flow.id):
            files.update(emit(other).files)  # a flow Airflow cannot express is left out
    for relative, text in files.items():
        target = dags / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    home.mkdir(parents=True, exist_ok=True)
    env = airflow_environment(home, dags)
    _call([sys.executable, "-m", "airflow", "db", "migrate"], env, "prepare Airflow's database")
    result_path = root / "result.json"
    command = [sys.executable, "-m", MODULE, str(dags), dag_id(flow), json.dumps(conf)]
    _call([*command, str(result_path)], env, "run the DAG", allow_failure=True)
    if not result_path.is_file():
        raise EngineError("the DAG run left no result; run with KFLOW_AIRFLOW_LOG_LEVEL=INFO")
    result = json.loads(result_path.read_text())
    if result.get("error"):
        raise EngineError(result["error"])
    found_report = report_from_xcoms(flow, result["xcoms"])
    if found_report["id"] is None:
        found_report["error"] = "the execution did not start: " + _start_error(result)
    return found_report


def flows_in(directory: str | None) -> list[ir.Flow]:
    """The flows of a flows directory that compile (the subflows a run may trigger)."""
    from kflow.compiler.api import check_file, find_flow_files
    from kflow.compiler.lower import lower

    if not directory or not os.path.isdir(directory):
        return []
    found = []
    for path in find_flow_files([directory]):
        checked = check_file(path)
        if checked.ok:
            found.append(lower(checked))
    return found


def report_from_xcoms(flow: ir.Flow, xcoms: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The execution report of a DAG run from its XComs (task key → XCom key → value)."""
    from kflow.runtime_shims.step import TaskRun, report

    records: dict[str, list[TaskRun]] = {}
    for _, values in sorted(xcoms.items(), key=lambda item: _order(item[0])):
        found = values.get("kestra")
        if isinstance(found, dict) and "task_id" in found:
            records.setdefault(found["task_id"], []).append(TaskRun.from_json(found))
    execution = xcoms.get("_kflow_start", {}).get("return_value")
    end = xcoms.get("_kflow_end", {}).get("kestra")
    return report(flow, execution, records, end)


def _start_error(result: dict[str, Any]) -> str:
    state = result.get("task_states", {}).get("_kflow_start")
    return f"the task _kflow_start ended {state}; its log says why (invalid inputs?)"


def _order(key: str) -> tuple[str, int]:
    if key.endswith("]") and "[" in key:
        name, index = key[:-1].rsplit("[", 1)
        return name, int(index)
    return key, -1


def _call(command: list[str], env: dict[str, str], what: str, allow_failure: bool = False) -> None:
    proc = subprocess.run(command, env=env, capture_output=True, text=True)
    if proc.returncode != 0 and not allow_failure:
        tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
        raise EngineError(f"could not {what} (exit {proc.returncode}):\n{tail}")


# -- inside Airflow's environment ------------------------------------------------------------------


def _run_in_airflow(
    dags: str, dag_id: str, conf: dict[str, Any], logical_date: str | None = None
) -> dict[str, Any]:
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

    # What `airflow dags reserialize` does: dag.test() needs the DAG serialized.
    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    found: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        bag = BundleDagBag(bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        sync_bag_to_db(bag, bundle.name, bundle.version)
        errors.update({str(k): str(v) for k, v in bag.import_errors.items()})
        found.update(bag.dags)
    if dag_id not in found:
        return {"error": f"the DAG {dag_id} did not load: {errors}"}
    run = test_with_children(found[dag_id], conf, logical_date, dags)
    return collect(dag_id, run.run_id)


def test_with_children(
    dag: Any, conf: dict[str, Any] | None, logical_date: str | None, dags: str
) -> Any:
    """`dag.test()`, with the DAG runs its tasks trigger (Subflows) run too: dag.test() runs
    only its own run, so a thread watches for queued runs triggered by an operator and runs
    each with dag.test() in a process of its own (which does the same for its children)."""
    import threading

    from airflow.configuration import conf as airflow_conf
    from airflow.models import DagRun
    from airflow.utils.state import DagRunState
    from airflow.utils.types import DagRunTriggeredByType
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session
    from sqlalchemy.pool import NullPool

    # Its own connection: Airflow's pool may hold SQLite's only one for dag.test().
    engine = create_engine(airflow_conf.get("database", "sql_alchemy_conn"), poolclass=NullPool)
    stop = threading.Event()
    children: list[subprocess.Popen[bytes]] = []
    started: set[str] = set()
    # this process's own run may still be queued when the watcher first looks: not a child
    own = (dag.dag_id, None if logical_date is None else datetime.fromisoformat(logical_date))

    def watch() -> None:
        while not stop.wait(0.5):
            try:
                start_children()
            except Exception as error:  # the database is busy: look again
                sys.stderr.write(f"kflow: looking for triggered DAG runs: {error}\n")

    def start_children() -> None:
        with Session(engine) as session:
            queued = session.execute(
                select(DagRun.dag_id, DagRun.run_id, DagRun.logical_date, DagRun.conf).where(
                    DagRun.state == DagRunState.QUEUED,
                    DagRun.triggered_by == DagRunTriggeredByType.OPERATOR,
                )
            ).all()
        for child_dag, run_id, when, child_conf in queued:
            if run_id in started or (child_dag, when) == own:
                continue
            started.add(run_id)
            command = [sys.executable, "-m", MODULE, "--child", dags, child_dag]
            command += [json.dumps(child_conf or {}), when.isoformat()]
            children.append(subprocess.Popen(command))

    watcher = threading.Thread(target=watch, name="kflow-subflows", daemon=True)
    watcher.start()
    try:
        if own[1] is None:
            return dag.test(run_conf=conf or None)
        return dag.test(run_conf=conf or None, logical_date=own[1], run_after=own[1])
    finally:
        stop.set()
        watcher.join()
        for child in children:
            child.wait()


def collect(dag_id: str, run_id: str) -> dict[str, Any]:
    """The state, task instance states and XComs of one DAG run (inside Airflow)."""
    from airflow.models import DagRun, TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        dag_run = session.scalars(
            select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)
        ).one()
        states = {
            _key(ti.task_id, ti.map_index): None if ti.state is None else str(ti.state)
            for ti in session.scalars(
                select(TaskInstance).where(
                    TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id
                )
            )
        }
        xcoms: dict[str, dict[str, Any]] = {}
        for row in session.scalars(
            select(XComModel).where(XComModel.dag_id == dag_id, XComModel.run_id == run_id)
        ):
            xcoms.setdefault(_key(row.task_id, row.map_index), {})[row.key] = (
                XComModel.deserialize_value(row)
            )
        return {
            "dag_id": dag_id,
            "run_id": run_id,
            "state": None if dag_run.state is None else str(dag_run.state),
            "task_states": states,
            "xcoms": xcoms,
        }


def _key(task_id: str, map_index: int) -> str:
    return task_id if map_index < 0 else f"{task_id}[{map_index}]"


def main(argv: list[str]) -> int:
    if argv[0] == "--child":  # a DAG run another one triggered (see `test_with_children`)
        dags, dag_id, conf, logical_date = argv[1:]
        _run_in_airflow(dags, dag_id, json.loads(conf), logical_date)
        return 0
    dags, dag_id, conf, result_path = argv
    try:
        result = _run_in_airflow(dags, dag_id, json.loads(conf))
    except Exception as error:  # reported to the caller, who shows it to the user
        import traceback

        result = {"error": f"{type(error).__name__}: {error}\n{traceback.format_exc()}"}
    Path(result_path).write_text(json.dumps(result, default=repr), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
