"""The Airflow engine-test harness itself, on hand-written DAGs (no kflow output yet).

All DAGs of this module share one folder, one DagBag load and one `run_dags` process; one DAG also
runs through `airflow dags test` to keep that path working and equal to the in-process one.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .airflow_env import AirflowEnv, DagRunResult

pytestmark = pytest.mark.airflow

TWO_STEP = """
import pendulum
from airflow.sdk import dag, task


@dag(
    dag_id="kflow_harness_two_step",
    schedule=None,
    start_date=pendulum.datetime(2024, 1, 1, tz="UTC"),
    catchup=False,
)
def two_step():
    @task
    def first():
        return {"n": 20, "words": ["a", "b"]}

    @task
    def second(value):
        return {"answer": value["n"] + 22, "joined": "-".join(value["words"])}

    second(first())


two_step()
"""

FAILING = """
import pendulum
from airflow.sdk import dag, task


@dag(dag_id="kflow_harness_failing", schedule=None, start_date=pendulum.datetime(2024, 1, 1))
def failing():
    @task
    def boom():
        raise ValueError("task failed on purpose")

    @task
    def after(x):
        return x

    after(boom())


failing()
"""

USES_KFLOW = """
import pendulum
from airflow.sdk import dag, task


@dag(dag_id="kflow_harness_uses_kflow", schedule=None, start_date=pendulum.datetime(2024, 1, 1))
def uses_kflow():
    @task
    def where():
        import kflow

        return kflow.__file__

    where()


uses_kflow()
"""

BROKEN = """
from airflow.sdk import dag

raise RuntimeError("kflow harness: broken on purpose")
"""


def write(dags_dir: Path, name: str, source: str) -> Path:
    path = dags_dir / name
    path.write_text(textwrap.dedent(source).lstrip())
    return path


@pytest.fixture(scope="module")
def good_dags(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dags_dir = tmp_path_factory.mktemp("dags-good")
    write(dags_dir, "two_step.py", TWO_STEP)
    write(dags_dir, "failing.py", FAILING)
    write(dags_dir, "uses_kflow.py", USES_KFLOW)
    return dags_dir


@pytest.fixture(scope="module")
def runs(airflow_env: AirflowEnv, good_dags: Path) -> dict[str, DagRunResult]:
    return airflow_env.run_dags(
        good_dags, ["kflow_harness_two_step", "kflow_harness_failing", "kflow_harness_uses_kflow"]
    )


def test_good_dags_load_without_import_errors(airflow_env: AirflowEnv, good_dags: Path) -> None:
    report = airflow_env.dagbag(good_dags)
    assert report.errors == {}
    assert report.dag_ids == [
        "kflow_harness_failing",
        "kflow_harness_two_step",
        "kflow_harness_uses_kflow",
    ]


def test_broken_dag_is_reported(airflow_env: AirflowEnv, tmp_path: Path) -> None:
    write(tmp_path, "two_step.py", TWO_STEP)
    broken = write(tmp_path, "broken.py", BROKEN)
    errors = airflow_env.dagbag_errors(tmp_path)
    assert list(errors) == [str(broken.resolve())]
    assert "RuntimeError: kflow harness: broken on purpose" in errors[str(broken.resolve())]


def test_two_step_dag_runs_to_success(runs: dict[str, DagRunResult]) -> None:
    run = runs["kflow_harness_two_step"]
    assert run.error is None
    assert run.state == "success"
    assert run.task_states == {"first": "success", "second": "success"}
    assert run.xcom("first") == {"n": 20, "words": ["a", "b"]}
    assert run.xcom("second") == {"answer": 42, "joined": "a-b"}


def test_failing_task_fails_the_run(runs: dict[str, DagRunResult]) -> None:
    run = runs["kflow_harness_failing"]
    assert run.error is None
    assert run.state == "failed"
    assert run.task_states == {"boom": "failed", "after": "upstream_failed"}
    assert "boom" not in run.xcoms


def test_dags_import_the_local_kflow(runs: dict[str, DagRunResult]) -> None:
    run = runs["kflow_harness_uses_kflow"]
    assert run.state == "success", run.error
    kflow_init = Path(run.xcom("where"))
    assert kflow_init.resolve() == (Path(__file__).parents[2] / "kflow" / "__init__.py").resolve()


def test_airflow_dags_test_cli_gives_the_same_result(
    airflow_env: AirflowEnv, good_dags: Path, runs: dict[str, DagRunResult]
) -> None:
    cli = airflow_env.run_dag_cli(good_dags, "kflow_harness_two_step")
    in_process = runs["kflow_harness_two_step"]
    assert cli.error is None
    assert cli.run_id != in_process.run_id
    assert (cli.state, cli.task_states, cli.xcoms) == (
        in_process.state,
        in_process.task_states,
        in_process.xcoms,
    )
