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
