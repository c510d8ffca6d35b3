"""The Prefect engine-test harness itself, on hand-written flows (no kflow output yet).

Every flow of this module runs in ONE `run_flows` call: one process, one temporary Prefect server.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .prefect_env import FlowRequest, FlowRunResult, PrefectEnv, RequestLike

pytestmark = pytest.mark.prefect

TWO_STEP = """
from prefect import flow, task


@task
def first():
    return {"n": 20, "words": ["a", "b"]}


@task
def second(value):
    return {"answer": value["n"] + 22, "joined": "-".join(value["words"])}


@flow
def two_step():
    return second(first())
"""

FAILING = """
from prefect import flow, task


@task
def before():
    return "done"


@task
def boom(x):
    raise ValueError(f"task failed on purpose after {x}")


@task
def after(x):
    return x


@flow
def failing():
    return after(boom(before()))
"""

PARAMS = """
from prefect import flow, task


@task
def greet(name, punctuation):
    return f"hello {name}{punctuation}"


@task
def repeat(text, times):
    return [text] * times


@flow(name="kflow-harness-params")
def with_params(name: str, times: int = 2, punctuation: str = "!"):
    return repeat(greet(name, punctuation), times)
"""

CONCURRENT = """
import threading
import uuid

from prefect import flow, task

BARRIER = threading.Barrier(2, timeout=30)


@task
def meet(who):
    # Returns only if the other `meet` runs at the same time (BrokenBarrierError otherwise).
    BARRIER.wait()
    return who


@task
def square(x):
    return x * x


@task
def total(values):
    return sum(values)


@task
def token(_):
    return uuid.uuid4().hex


@flow
def concurrent():
    left, right = meet.submit("left"), meet.submit("right")
    squares = square.map([1, 2, 3])
    again = square.submit(3)  # same task, same input as a mapped run: must not be "Cached"
    summed = total.submit(squares)
    tokens = [token(1), token(1)]  # same inputs, different values: each run keeps its own
    return {
        "tokens": tokens,
        "met": [left.result(), right.result()],
        "squares": [f.result() for f in squares],
        "again": again.result(),
        "total": summed.result(),
    }
"""

USES_KFLOW = """
from prefect import flow, task


@task
def where():
    import kflow

    return kflow.__file__


@flow
def uses_kflow():
    return where()
"""

BROKEN = """
raise RuntimeError("kflow harness: broken on purpose")
"""


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(source).lstrip())
    return path


@pytest.fixture(scope="module")
def runs(
    prefect_env: PrefectEnv, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, FlowRunResult]:
    folder = tmp_path_factory.mktemp("prefect-flows")
    params = write(folder, "with_params.py", PARAMS)
    requests: dict[str, RequestLike] = {
        "two_step": (write(folder, "two_step.py", TWO_STEP), "two_step"),
        "failing": (write(folder, "failing.py", FAILING), "failing"),
        "broken": (write(folder, "broken.py", BROKEN), "broken"),
        "missing": (params, "no_such_flow"),
        # by flow name, then by attribute with one parameter left to its default
        "params": FlowRequest(params, "kflow-harness-params", {"name": "kestra", "times": 3}),
        "params_default": (params, "with_params", {"name": "prefect", "punctuation": "?"}),
        "params_invalid": (params, "with_params", {"name": "x", "times": "three"}),
        "concurrent": (write(folder, "concurrent.py", CONCURRENT), "concurrent"),
        "uses_kflow": (write(folder, "uses_kflow.py", USES_KFLOW), "uses_kflow", None),
    }
    return prefect_env.run_flows(requests)


def test_two_task_flow_passes_a_value(runs: dict[str, FlowRunResult]) -> None:
    run = runs["two_step"]
    assert run.error is None
    assert (run.state_type, run.state_name) == ("COMPLETED", "Completed")
    assert run.flow_name == "two-step"
    assert run.flow_run_id and run.flow_run_name
    assert run.task_states == {"first": ["Completed"], "second": ["Completed"]}
    assert [tr.task for tr in run.task_runs] == ["first", "second"]
    assert run.task_result("first") == {"n": 20, "words": ["a", "b"]}
    assert run.task_result("second") == {"answer": 42, "joined": "a-b"}
    assert run.result == {"answer": 42, "joined": "a-b"}
    assert all(tr.name.startswith(f"{tr.task}-") for tr in run.task_runs)


def test_failing_task_fails_the_flow(runs: dict[str, FlowRunResult]) -> None:
    run = runs["failing"]
    assert run.error is None
    assert (run.state_type, run.state_name) == ("FAILED", "Failed")
    assert run.exception == "ValueError: task failed on purpose after done"
    assert run.result is None
    # `after` is never called: the flow body raised at `boom(...)`
    assert run.task_states == {"before": ["Completed"], "boom": ["Failed"]}
    assert run.task_result("before") == "done"
    boom = run.task_run("boom")
    assert boom.exception == "ValueError: task failed on purpose after done"
    assert boom.result is None
    assert "ValueError" in (boom.message or "")


def test_flows_after_a_failure_or_a_bad_request_still_run(
    runs: dict[str, FlowRunResult],
) -> None:
    assert list(runs) == [
        "two_step",
        "failing",
        "broken",
        "missing",
        "params",
        "params_default",
        "params_invalid",
        "concurrent",
        "uses_kflow",
    ]
    broken, missing = runs["broken"], runs["missing"]
    assert broken.state_type is None and broken.flow_run_id is None
    assert "RuntimeError: kflow harness: broken on purpose" in (broken.error or "")
    assert missing.state_type is None
    assert "no flow 'no_such_flow'" in (missing.error or "")
    assert "['kflow-harness-params']" in (missing.error or "")
    assert all(runs[k].state_type == "COMPLETED" for k in ("params", "concurrent", "uses_kflow"))


def test_flow_parameters(runs: dict[str, FlowRunResult]) -> None:
    run = runs["params"]
    assert run.state_type == "COMPLETED", run.error or run.exception
    assert run.flow_name == "kflow-harness-params"
    # the API records the defaults too
    assert run.parameters == {"name": "kestra", "times": 3, "punctuation": "!"}
    assert run.task_result("greet") == "hello kestra!"
    assert run.result == ["hello kestra!"] * 3
    default = runs["params_default"]
    assert default.state_type == "COMPLETED", default.error or default.exception
    assert default.parameters == {"name": "prefect", "times": 2, "punctuation": "?"}
    assert default.result == ["hello prefect?"] * 2
    assert default.flow_run_id != run.flow_run_id
    invalid = runs["params_invalid"]
    assert invalid.error is None
    assert (invalid.state_type, invalid.task_runs) == ("FAILED", [])
    assert "ParameterTypeError" in (invalid.exception or "")
    assert "times" in (invalid.exception or "")


def test_submit_runs_concurrently_and_map_fans_out(runs: dict[str, FlowRunResult]) -> None:
    run = runs["concurrent"]
    assert run.state_type == "COMPLETED", run.error or run.exception
    tokens = run.result.pop("tokens")
    assert run.result == {"met": ["left", "right"], "squares": [1, 4, 9], "again": 9, "total": 14}
    # no cache hits: the second square(3) and token(1) are real runs, not "Cached"
    assert run.task_states == {
        "meet": ["Completed", "Completed"],
        "square": ["Completed"] * 4,
        "total": ["Completed"],
        "token": ["Completed", "Completed"],
    }
    # ... and each run's result is its own (not one shared record for equal inputs)
    assert len(set(tokens)) == 2
    assert run.task_results("token") == tokens
    assert sorted(run.task_results("meet")) == ["left", "right"]
    assert sorted(run.task_results("square")) == [1, 4, 9, 9]
    assert run.task_result("total") == 14
    assert len({tr.id for tr in run.task_runs}) == len({tr.name for tr in run.task_runs}) == 9


def test_flows_import_the_local_kflow(runs: dict[str, FlowRunResult]) -> None:
    run = runs["uses_kflow"]
    assert run.state_type == "COMPLETED", run.error or run.exception
    kflow_init = Path(run.task_result("where"))
    assert kflow_init.resolve() == (Path(__file__).parents[2] / "kflow" / "__init__.py").resolve()
    assert run.result == run.task_result("where")


def test_timings_are_recorded(prefect_env: PrefectEnv, runs: dict[str, FlowRunResult]) -> None:
    assert {"prefect_import", "server_start", "run_flows_process", "flows"} <= set(
        prefect_env.timings
    )
    assert all(r.seconds > 0 for r in runs.values())
