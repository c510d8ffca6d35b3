"""Compiled DAGs in a real Airflow 3.3.2: every golden and seed flow loads; every flow that needs
no external service runs and ends exactly as on the bundled runner (differential test).

All DAGs share one folder, one DagBag load and one `run_dags` process (Airflow's start-up is
paid once).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kflow.compiler.api import compile_paths
from kflow.targets.airflow import dag_id
from kflow.targets.airflow_local import report_from_xcoms

from .airflow_env import AirflowEnv, DagRunResult
from .differential import Case, cases, normalize, runner_report

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
