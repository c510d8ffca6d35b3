"""Compiled flows in a real Prefect 3.8.8: every golden and seed flow's module loads through
Prefect's own entrypoint loader and `prefect.yaml` through Prefect's own deployment model; every
flow that needs no external service runs and ends exactly as on the bundled runner
(differential test), with Prefect's own states agreeing.

All modules share one folder; every flow runs in ONE `run_flows` call (one process, one
temporary Prefect server).
"""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from kflow.compiler.api import check_file, compile_paths
from kflow.compiler.lower import lower
from kflow.targets.prefect import PREFECT_YAML
from kflow.targets.prefect_local import report_from_end

from .differential import Case, cases, normalize, runner_report
from .prefect_env import FlowRequest, FlowRunResult, PrefectEnv

pytestmark = pytest.mark.prefect

#: Flows for constructs the golden cases do not reach (loops of every kind, failures that are
#: tolerated, retried or handled, a Dag and a Parallel that fail, a Switch without a match).
MORE = [
    Case(path.stem, path, lower(check_file(str(path))))
    for path in sorted((Path(__file__).parent / "flows").glob("*.yml"))
]
CASES = cases() + MORE
OFFLINE = [case for case in CASES if case.offline]
#: Inputs a flow needs to run (its required inputs without defaults).
INPUTS: dict[str, dict[str, str]] = {"failing-child": {"count": "1"}}
END = "_kflow_end"


@pytest.fixture(scope="module")
def flows_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("prefect-flows")
    result = compile_paths([str(case.path) for case in CASES], "prefect", str(out))
    assert result.ok, [f"{d.span.path}: {d.code} {d.message}" for d in result.diagnostics]
    return out


@pytest.fixture(scope="module")
def entrypoints(flows_dir: Path) -> dict[str, str]:
    """Flow id → `path/to/module.py:function`, from the generated prefect.yaml."""
    data = yaml.safe_load((flows_dir / PREFECT_YAML).read_text())
    found = {}
    for deployment in data["deployments"]:
        path = deployment["entrypoint"].split(":")[0]
        found[Path(path).stem] = deployment["entrypoint"]
    return found


@pytest.fixture(scope="module")
def kflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kflow-home")


@pytest.fixture(scope="module")
def prefect_runs(
    prefect_env: PrefectEnv, flows_dir: Path, entrypoints: dict[str, str], kflow_home: Path
) -> dict[str, FlowRunResult]:
    prefect_env.extra_env["KFLOW_HOME"] = str(kflow_home)
    requests: dict[str, Any] = {}
    for case in OFFLINE:
        path, function = entrypoints[case.flow.id].split(":")
        requests[case.name] = FlowRequest(flows_dir / path, function, INPUTS.get(case.name, {}))
    return prefect_env.run_flows(requests)


LOAD_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import yaml
    from prefect import Flow
    from prefect.cli.deploy._models import PrefectYamlModel
    from prefect.flows import load_flow_from_entrypoint

    root = Path(sys.argv[1])
    model = PrefectYamlModel.model_validate(yaml.safe_load((root / "prefect.yaml").read_text()))
    found = {}
    for deployment in model.deployments:
        flow = load_flow_from_entrypoint(str(root / deployment.entrypoint))
        found[deployment.entrypoint] = {
            "is_flow": isinstance(flow, Flow),
            "name": flow.name,
            "deployment": deployment.name,
            "tags": deployment.tags,
            "parameters": sorted(deployment.parameters),
            "signature": sorted(flow.parameters.properties),
            "work_pool": deployment.work_pool.name if deployment.work_pool else None,
        }
    print(json.dumps(found))
    """
)


def test_every_module_loads_and_prefect_yaml_is_valid(
    prefect_env: PrefectEnv, flows_dir: Path
) -> None:
    done = subprocess.run(
        [str(prefect_env.python), "-c", LOAD_SCRIPT, str(flows_dir)],
        env=prefect_env.environ(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert sorted(e.split(":")[0] for e in loaded) == sorted(
        f"{case.flow.namespace.replace('.', '/')}/{case.flow.id}.py" for case in CASES
    )
    by_id = {case.flow.id: case.flow for case in CASES}
    for found in loaded.values():
        flow = by_id[found["name"]]
        assert found["is_flow"]
        assert found["deployment"] == flow.namespace
        assert found["tags"] == [f"{k}:{v}" for k, v in flow.labels]
        assert set(found["parameters"]) <= set(found["signature"])
        assert len(found["signature"]) == len(flow.inputs)
        assert found["work_pool"] == "{{ $KFLOW_PREFECT_WORK_POOL }}"


@pytest.mark.parametrize("case", OFFLINE, ids=lambda case: case.name)
def test_same_result_as_the_runner(
    case: Case,
    prefect_runs: dict[str, FlowRunResult],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = prefect_runs[case.name]
    assert run.error is None, run.error
    ends = run.runs_of(END)
    end = ends[0].result if ends else None
    on_prefect = report_from_end(case.flow, end, run.exception)
    on_runner = runner_report(capsys, case.path, tmp_path, INPUTS.get(case.name, {}))
    assert normalize(on_prefect) == normalize(on_runner)

    # Prefect's own verdict agrees: a FAILED execution is a failed flow run; the flow's result
    # is the flow's outputs.
    if on_runner["state"] == "FAILED":
        assert run.state_type == "FAILED", run.message
    else:
        assert run.state_type == "COMPLETED", run.message or run.exception
        assert run.result == on_runner["outputs"]
        assert on_runner["state"] in (run.message or "")

    # One Prefect task run per Kestra task run: Failed for a FAILED one, else Completed with the
    # Kestra task run as its result. A Subflow is a subflow run, which Prefect shows in the
    # parent as a task run named after the child flow, in the child's state.
    subflows = {
        t.id: str(t.properties.get("flowId"))
        for t in case.flow.all_tasks()
        if t.type.endswith(".Subflow")
    }
    records = [r for runs in (end or {}).get("records", {}).values() for r in runs]
    by_id = {(r["task_id"], r["id"]): r for r in records}
    task_runs = [tr for tr in run.task_runs if tr.task != END and tr.state_name != "NotReady"]
    for task_run in task_runs:
        if task_run.task in subflows.values():
            continue
        if task_run.state_type == "FAILED":
            assert "KestraTaskFailed" in (task_run.exception or ""), task_run
        else:
            assert task_run.state_name == "Completed", task_run
            record = task_run.result
            assert by_id[(record["task_id"], record["id"])]["state"] == record["state"]

    def verdict(state: str) -> str:
        return "FAILED" if state == "FAILED" else "COMPLETED"

    # A task inside a loop names its runs `<id>[<value>]`.
    prefect_states = sorted((tr.task.split("[")[0], tr.state_type) for tr in task_runs)
    kestra_states = sorted(
        (subflows[r["task_id"]], verdict(r["outputs"]["state"]))
        if r["task_id"] in subflows
        else (r["task_id"], verdict(r["state"]))
        for r in records
        if r["task_id"] not in subflows or r["state"] != "SKIPPED"
    )
    assert prefect_states == kestra_states


def test_kflow_run_on_prefect_reports_as_the_runner(
    prefect_env: PrefectEnv, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kflow run --engine prefect` in Prefect's environment (an ephemeral API of its own), on
    a flow that calls another (compiled beside it from --flows-dir) and takes inputs."""
    golden = Path(__file__).parents[2] / "golden"
    flows = tmp_path / "flows"  # the runner's --flows-dir is the flow's folder
    flows.mkdir()
    (flows / "child.yml").write_text((golden / "flow-outputs" / "flow.yml").read_text())
    path = flows / "parent.yml"
    path.write_text(
        (golden / "subflow-call" / "flow.yml")
        .read_text()
        .replace('name: "from-parent"', 'name: "{{ inputs.who }}"')
        .replace("tasks:", "inputs:\n  - id: who\n    type: STRING\ntasks:", 1)
    )
    argv = ["-m", "kflow", "run", str(path), "--engine", "prefect", "--output", "json"]
    argv += ["--flows-dir", str(flows), "--input", "who=prefect"]
    done = subprocess.run(
        [str(prefect_env.python), *argv, "--state-dir", str(tmp_path / "prefect")],
        env=prefect_env.environ(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    on_prefect = json.loads(done.stdout)
    on_runner = runner_report(capsys, path, tmp_path / "runner", {"who": "prefect"})
    assert normalize(on_prefect) == normalize(on_runner)
    child = on_prefect["taskRuns"][0]
    assert child["outputs"]["outputs"] == {"greeting": "Hello, prefect!"}
