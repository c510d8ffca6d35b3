"""Compiled DAGs in a real Airflow 3.3.2: every golden and seed flow loads; every flow that needs
no external service runs and ends exactly as on the bundled runner (differential test).

All DAGs share one folder, one DagBag load and one `run_dags` process (Airflow's start-up is
paid once).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from kflow.compiler.api import compile_paths
from kflow.targets.airflow import dag_id
from kflow.targets.airflow_local import report_from_xcoms

from .airflow_env import AirflowEnv, DagRunResult
from .differential import REPO, Case, cases, normalize, runner_report

pytestmark = pytest.mark.airflow

CASES = cases()
OFFLINE = [case for case in CASES if case.offline]
#: Inputs a flow needs to run (its required inputs without defaults).
INPUTS: dict[str, dict[str, str]] = {}


@pytest.fixture(scope="module")
def dags_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dags")
    result = compile_paths([str(case.path) for case in CASES], "airflow", str(out))
    assert result.ok, [f"{d.span.path}: {d.code} {d.message}" for d in result.diagnostics]
    return out


@pytest.fixture(scope="module")
def kflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kflow-home")


@pytest.fixture(scope="module")
def airflow_runs(
    airflow_env: AirflowEnv, dags_dir: Path, kflow_home: Path
) -> dict[str, DagRunResult]:
    airflow_env.extra_env["KFLOW_HOME"] = str(kflow_home)
    requests: dict[str, Any] = {dag_id(case.flow): INPUTS.get(case.name) for case in OFFLINE}
    return airflow_env.run_dags(dags_dir, requests)


def test_every_compiled_dag_loads(airflow_env: AirflowEnv, dags_dir: Path) -> None:
    report = airflow_env.dagbag(dags_dir)
    assert report.errors == {}
    assert report.dag_ids == sorted(dag_id(case.flow) for case in CASES)


@pytest.mark.parametrize("case", OFFLINE, ids=lambda case: case.name)
def test_same_result_as_the_runner(
    case: Case,
    airflow_runs: dict[str, DagRunResult],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = airflow_runs[dag_id(case.flow)]
    assert run.error is None, run.error
    on_airflow = report_from_xcoms(case.flow, run.xcoms)
    on_runner = runner_report(capsys, case.path, tmp_path, INPUTS.get(case.name, {}))
    assert normalize(on_airflow) == normalize(on_runner)
    # Airflow's own verdict agrees: a FAILED execution is a failed DAG run.
    assert run.state == ("failed" if on_runner["state"] == "FAILED" else "success")


VENDORED = ["foreach-loop", "if-switch"]


def test_vendored_runtime_runs_where_kflow_is_not_installed(
    tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kflow compile --vendor-runtime`: an Airflow with nothing else installed runs the DAGs."""
    bare = AirflowEnv.create(
        tmp_path_factory.mktemp("airflow-bare-home"),
        env_dir=REPO / ".engines" / "airflow-3.3.2-without-kflow",
        kflow=False,
    )
    probe = bare.run([bare.python, "-c", "import kflow"], check=False)
    assert probe.returncode != 0, "kflow must not be installed in this environment"
    out = tmp_path_factory.mktemp("vendored")
    chosen = [case for case in CASES if case.name in VENDORED]
    result = compile_paths([str(c.path) for c in chosen], "airflow", str(out), vendor_runtime=True)
    assert result.ok and (out / "kflow" / "runtime_shims" / "airflow.py").is_file()
    bare.extra_env["KFLOW_HOME"] = str(tmp_path_factory.mktemp("kflow-home-bare"))
    runs = bare.run_dags(out, [dag_id(case.flow) for case in chosen])
    for case in chosen:
        run = runs[dag_id(case.flow)]
        assert run.error is None, run.error
        state_dir = tmp_path_factory.mktemp("runner")
        expected = normalize(runner_report(capsys, case.path, state_dir, {}))
        assert normalize(report_from_xcoms(case.flow, run.xcoms)) == expected


def test_kflow_run_on_airflow_reports_as_the_runner(
    airflow_env: AirflowEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kflow run --engine airflow` in Airflow's environment (a throwaway AIRFLOW_HOME of its
    own), on a flow that takes an input and calls another flow from --flows-dir."""
    golden = REPO / "golden"
    flows = tmp_path / "flows"
    flows.mkdir()
    (flows / "child.yml").write_text((golden / "flow-outputs" / "flow.yml").read_text())
    path = flows / "parent.yml"
    path.write_text(
        (golden / "subflow-call" / "flow.yml")
        .read_text()
        .replace('name: "from-parent"', 'name: "{{ inputs.who }}"')
        .replace("tasks:", "inputs:\n  - id: who\n    type: STRING\ntasks:", 1)
    )
    argv = [str(airflow_env.python), "-m", "kflow", "run", str(path), "--engine", "airflow"]
    argv += ["--output", "json", "--flows-dir", str(flows), "--input", "who=airflow"]
    argv += ["--state-dir", str(tmp_path / "airflow")]
    done = subprocess.run(
        argv, env=airflow_env.environ(), capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    on_airflow = json.loads(done.stdout)
    on_runner = runner_report(capsys, path, tmp_path / "runner", {"who": "airflow"})
    assert normalize(on_airflow) == normalize(on_runner)
    assert on_airflow["taskRuns"][0]["outputs"]["outputs"] == {"greeting": "Hello, airflow!"}


# -- triggers -------------------------------------------------------------------------------------

FLOWS = Path(__file__).parent / "flows"
TRIGGER_FLOWS = [
    FLOWS / "trigger-upstream.yml",
    FLOWS / "trigger-downstream.yml",
    FLOWS / "trigger-schedule.yml",
    FLOWS / "trigger-failing.yml",
    REPO / "golden" / "triggers-schedule" / "flow.yml",
    REPO / "golden" / "seed-triggers" / "flow.yml",
]

#: Runs inside the Airflow environment: loads the DAGs as the DAG processor does, reports each
#: DAG's schedule, then creates DAG runs as Airflow's scheduler would (a scheduled run at a
#: logical date; an asset-triggered run consuming the asset events queued for the DAG; a manual
#: run with a conf) and runs their tasks with Airflow's own in-process task runner (the loop of
#: `dag.test()`, which only creates manual runs).
TRIGGER_SCRIPT = r"""
import json, sys, traceback
from datetime import datetime

from sqlalchemy import select

from airflow.dag_processing.bundles.manager import DagBundlesManager
from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db
from airflow.models import DagModel, DagRun, TaskInstance
from airflow.models.asset import AssetDagRunQueue, AssetEvent, AssetModel, DagScheduleAssetReference
from airflow.models.serialized_dag import SerializedDagModel
from airflow.models.xcom import XComModel
from airflow.sdk.definitions.dag import _run_task
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState, TaskInstanceState
from airflow.utils.types import DagRunTriggeredByType, DagRunType

result_path, requests = sys.argv[1], json.loads(sys.argv[2])
manager = DagBundlesManager()
manager.sync_bundles_to_db()
dags = {}
for bundle in manager.get_all_dag_bundles():
    bundle.initialize()
    bag = BundleDagBag(bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
    sync_bag_to_db(bag, bundle.name, bundle.version)
    dags.update(bag.dags)
result = {"errors": {str(k): str(v) for k, v in bag.import_errors.items()}, "dags": {}, "runs": {}}
with create_session() as session:  # as `airflow dags unpause` does: paused DAGs are not queued
    for model in session.scalars(select(DagModel).where(DagModel.dag_id.in_(list(dags)))):
        model.is_paused = False


def uris(condition):
    return sorted(key.uri for key, _ in condition.iter_assets())


for dag_id in sorted(dags):
    serialized = SerializedDagModel.get_dag(dag_id)
    timetable = serialized.timetable
    info = {
        "timetable": type(timetable).__name__,
        "summary": timetable.summary,
        "start_date": None if serialized.start_date is None else serialized.start_date.isoformat(),
        "catchup": serialized.catchup,
        "max_active_runs": serialized.max_active_runs,
    }
    inner = getattr(timetable, "timetable", None)
    if inner is not None:
        info["time"] = type(inner).__name__
        info["summary"] = inner.summary
    if getattr(timetable, "asset_condition", None) is not None:
        info["assets"] = uris(timetable.asset_condition)
        info["condition"] = type(timetable.asset_condition).__name__
    for name in ("_timetables",):
        if hasattr(timetable, name):
            info["zones"] = sorted({str(t._timezone) for t in getattr(timetable, name)})
    if hasattr(timetable, "_timezone"):
        info["zones"] = [str(timetable._timezone)]
    result["dags"][dag_id] = info


def run(name, dag_id, kind, logical_date, conf):
    dag = dags[dag_id]
    scheduler_dag = SerializedDagModel.get_dag(dag_id)
    with create_session() as session:
        events, queued = [], False
        date = None if logical_date is None else datetime.fromisoformat(logical_date)
        if kind == "scheduled":
            run_type, by = DagRunType.SCHEDULED, DagRunTriggeredByType.TIMETABLE
            interval = (date, date)
        elif kind == "asset":
            run_type, by, interval = DagRunType.ASSET_TRIGGERED, DagRunTriggeredByType.ASSET, None
            queued = session.scalar(
                select(AssetDagRunQueue).where(AssetDagRunQueue.target_dag_id == dag_id)
            ) is not None
            referenced = select(DagScheduleAssetReference.asset_id).where(
                DagScheduleAssetReference.dag_id == dag_id
            )
            events = list(session.scalars(
                select(AssetEvent).where(AssetEvent.asset_id.in_(referenced))
                .order_by(AssetEvent.timestamp)
            ))
        else:
            run_type, by, interval = DagRunType.MANUAL, DagRunTriggeredByType.REST_API, None
        run_after = date or datetime.now().astimezone()
        dr = scheduler_dag.create_dagrun(
            run_id=DagRun.generate_run_id(
                run_type=run_type, logical_date=date, run_after=run_after
            ),
            logical_date=date,
            data_interval=interval,
            run_after=run_after,
            conf=conf,
            run_type=run_type,
            triggered_by=by,
            state=DagRunState.RUNNING,
            start_date=run_after,
            session=session,
        )
        dr.consumed_asset_events.extend(events)
        session.commit()
        while dr.state == DagRunState.RUNNING:
            session.expire_all()
            schedulable, _ = dr.update_state(session=session)
            for ti in schedulable:
                ti.try_number += 1
                ti.state = TaskInstanceState.SCHEDULED
            session.commit()
            ready = [t for t in dr.get_task_instances(session=session)
                     if t.state == TaskInstanceState.SCHEDULED]
            for ti in ready:
                _run_task(ti=ti, task=dag.task_dict[ti.task_id], run_triggerer=True)
        states = {
            ti.task_id: str(ti.state)
            for ti in session.scalars(select(TaskInstance).where(TaskInstance.run_id == dr.run_id))
        }
        xcoms = {}
        for x in session.scalars(select(XComModel).where(XComModel.run_id == dr.run_id)):
            xcoms.setdefault(x.task_id, {})[x.key] = XComModel.deserialize_value(x)
        return {"state": str(dr.state), "tasks": states, "xcoms": xcoms, "queued": queued,
                "consumed": len(events)}


for name, dag_id, kind, logical_date, conf in requests:
    try:
        result["runs"][name] = run(name, dag_id, kind, logical_date, conf)
    except BaseException:
        result["runs"][name] = {"error": traceback.format_exc()}
with create_session() as session:
    rows = session.execute(
        select(AssetModel.uri, AssetEvent.extra, AssetEvent.source_dag_id)
        .join(AssetModel, AssetModel.id == AssetEvent.asset_id)
        .order_by(AssetEvent.id)
    ).all()
    result["events"] = [[uri, extra, dag] for uri, extra, dag in rows]
with open(result_path, "w") as fh:
    json.dump(result, fh, default=str)
"""

#: (name, DAG id, kind of run, logical date, conf), run in this order.
TRIGGER_RUNS = [
    ("monday", "kflow.engine__trigger-schedule", "scheduled", "2024-01-01T08:00:00+00:00", None),
    ("tuesday", "kflow.engine__trigger-schedule", "scheduled", "2024-01-02T08:00:00+00:00", None),
    (
        "webhook",
        "kflow.engine__trigger-schedule",
        "manual",
        None,
        {"kestra_trigger": {"body": {"name": "hooked"}, "headers": {}, "parameters": {}}},
    ),
    ("manual", "kflow.engine__trigger-schedule", "manual", None, None),
    ("upstream", "kflow.engine__trigger-upstream", "manual", None, None),
    ("downstream", "kflow.engine__trigger-downstream", "asset", None, None),
    ("failing", "kflow.engine__trigger-failing", "manual", None, None),
]


@pytest.fixture(scope="module")
def triggered(
    airflow_env: AirflowEnv, tmp_path_factory: pytest.TempPathFactory, kflow_home: Path
) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("trigger-dags")
    result = compile_paths([str(p) for p in TRIGGER_FLOWS], "airflow", str(out))
    assert result.ok, [f"{d.span.path}: {d.code} {d.message}" for d in result.diagnostics]
    script = out.parent / f"{out.name}-script.py"
    script.write_text(TRIGGER_SCRIPT)
    result_path = out.parent / f"{out.name}-result.json"
    airflow_env.extra_env["KFLOW_HOME"] = str(kflow_home)
    done = airflow_env.run(
        [airflow_env.python, script, result_path, json.dumps(TRIGGER_RUNS)],
        dags_dir=out,
        check=False,
    )
    assert result_path.exists(), (done.stdout + done.stderr)[-4000:]
    found: dict[str, Any] = json.loads(result_path.read_text())
    return found


def test_schedules_load_as_timetables(triggered: dict[str, Any]) -> None:
    assert triggered["errors"] == {}
    dags = triggered["dags"]
    schedule = dags["kflow.engine__trigger-schedule"]
    assert schedule["timetable"] == "CronTriggerTimetable"
    assert schedule["summary"] == "0 9 * * *" and schedule["zones"] == ["Europe/Paris"]
    # no backfill: no start date (the first run is the next date), no catchup
    assert schedule["start_date"] is None and schedule["catchup"] is False
    assert schedule["max_active_runs"] == 5  # the flow's concurrency limit
    golden = dags["kflow.golden__triggers-schedule"]
    assert golden["timetable"] == "AssetOrTimeSchedule"
    assert golden["time"] == "MultipleCronTriggerTimetable"
    assert golden["summary"] == "30 8 * * *, 0 0 1 * *"
    assert golden["assets"] == [
        "kestra://sales/data-extraction/SUCCESS",
        "kestra://sales/data-extraction/WARNING",
    ]
    # the seed: backfill.start is the start date, and Airflow catches up from it
    seed = dags["dev__seed-triggers"]
    assert seed["timetable"] == "AssetOrTimeSchedule" and seed["time"] == "CronTriggerTimetable"
    assert seed["start_date"] == "2024-01-01T00:00:00+00:00" and seed["catchup"] is True
    assert seed["assets"] == ["kestra://sales/data-extraction/SUCCESS"]


def test_a_flow_trigger_schedules_on_the_upstream_end_assets(triggered: dict[str, Any]) -> None:
    downstream = triggered["dags"]["kflow.engine__trigger-downstream"]
    assert downstream["timetable"] == "AssetTriggeredTimetable"
    assert downstream["assets"] == ["kestra://kflow.engine/trigger-upstream/SUCCESS"]
    upstream = triggered["dags"]["kflow.engine__trigger-upstream"]
    assert upstream["timetable"] == "NullTimetable"


def seen(run: dict[str, Any]) -> str:
    assert "error" not in run, run.get("error")
    return str(run["xcoms"]["seen"]["kestra"]["outputs"]["value"])


def test_a_scheduled_run_sees_its_logical_date_as_trigger_date(
    triggered: dict[str, Any],
) -> None:
    monday = triggered["runs"]["monday"]
    assert monday["state"] == "success", monday
    date = "2024-01-01T09:00:00+01:00"  # the logical date 08:00 UTC, in the schedule's zone
    # the schedule's inputs are rendered with the trigger variable
    assert seen(monday) == f"{date}||schedule of {date}"
    assert monday["xcoms"]["_kflow_start"]["return_value"]["trigger"] == {
        "date": date,
        "next": "2024-01-08T09:00:00+01:00",  # the next date that passes the conditions
        "previous": "2023-12-25T09:00:00+01:00",
    }


def test_a_schedule_condition_that_does_not_hold_skips_the_run(
    triggered: dict[str, Any],
) -> None:
    tuesday = triggered["runs"]["tuesday"]
    assert "error" not in tuesday, tuesday["error"]
    assert tuesday["state"] == "success"
    assert tuesday["tasks"] == {
        "_kflow_start": "skipped",
        "seen": "skipped",
        "_kflow_end": "skipped",
        "_kflow_ended": "skipped",
    }


def test_a_manual_run_has_no_trigger_and_a_webhook_run_reads_its_conf(
    triggered: dict[str, Any],
) -> None:
    assert seen(triggered["runs"]["manual"]) == "||manual"
    assert seen(triggered["runs"]["webhook"]) == "|hooked|manual"


def test_the_end_emits_one_event_for_its_state_and_starts_the_downstream(
    triggered: dict[str, Any],
) -> None:
    upstream = triggered["runs"]["upstream"]
    assert upstream["state"] == "success" and upstream["tasks"]["_kflow_ended"] == "success"
    execution_id = upstream["xcoms"]["_kflow_start"]["return_value"]["id"]
    events = [e for e in triggered["events"] if e[2] == "kflow.engine__trigger-upstream"]
    # only the asset of the state the execution ended in gets an event
    assert [(uri, extra["state"]) for uri, extra, _ in events] == [
        ("kestra://kflow.engine/trigger-upstream/SUCCESS", "SUCCESS")
    ]
    extra = events[0][1]
    assert extra["executionId"] == execution_id
    assert extra["outputs"] == {"result": "rows-42"} and extra["labels"] == {"team": "data"}
    downstream = triggered["runs"]["downstream"]
    # Airflow queued the downstream DAG on that asset, as its scheduler does
    assert downstream["queued"] is True and downstream["consumed"] == 1
    assert downstream["state"] == "success", downstream
    assert seen(downstream) == f"trigger-upstream|SUCCESS|{execution_id}|rows-42"


def test_a_failed_execution_fails_the_run_and_emits_the_failed_event(
    triggered: dict[str, Any],
) -> None:
    failing = triggered["runs"]["failing"]
    # `_kflow_ended` is a teardown: it runs and succeeds, and the DAG run still fails
    assert failing["state"] == "failed", failing
    assert failing["tasks"]["_kflow_end"] == "failed"
    assert failing["tasks"]["_kflow_ended"] == "success"
    events = [e for e in triggered["events"] if e[2] == "kflow.engine__trigger-failing"]
    assert [(uri, extra["state"]) for uri, extra, _ in events] == [
        ("kestra://kflow.engine/trigger-failing/FAILED", "FAILED")
    ]
