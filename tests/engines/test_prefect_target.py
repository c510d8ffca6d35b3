"""Compiled flows in a real Prefect 3.8.8: every golden and seed flow's module loads through
Prefect's own entrypoint loader and `prefect.yaml` through Prefect's own deployment model; every
flow that needs no external service runs and ends exactly as on the bundled runner
(differential test), with Prefect's own states agreeing.

All modules share one folder; every flow runs in ONE `run_flows` call (one process, one
temporary Prefect server).
"""

from __future__ import annotations

import contextlib
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
        # a flow with triggers also takes `kestra_trigger` (which trigger started the run)
        triggered = any(not t.disabled for t in flow.triggers)
        assert len(found["signature"]) == len(flow.inputs) + triggered
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


# -- triggers ---------------------------------------------------------------------------------

FLOWS = Path(__file__).parent / "flows"
TRIGGER_FLOWS = [
    FLOWS / "trigger-upstream.yml",
    FLOWS / "trigger-downstream.yml",
    FLOWS / "trigger-schedule.yml",
    Path(__file__).parents[2] / "golden" / "triggers-schedule" / "flow.yml",
]

#: Runs inside the Prefect environment: validates prefect.yaml's schedules and triggers as
#: `prefect deploy` does, renders a deployment trigger's parameters from an upstream flow run's
#: end event with Prefect's own templating, and runs flow runs as Prefect's workers would (a
#: scheduled one at its scheduled time, one started by the trigger, one standing for a webhook).
TRIGGER_SCRIPT = r"""
import copy, json, sys, traceback, uuid
from datetime import datetime, timezone
from pathlib import Path

import yaml
import prefect.settings
from prefect import get_client
from prefect.cli.deploy._models import PrefectYamlModel
from prefect.cli.deploy._schedules import _schedule_config_to_deployment_schedule
from prefect.cli.deploy._triggers import _initialize_deployment_triggers
from prefect.client.schemas.actions import DeploymentScheduleCreate
from prefect.flow_engine import run_flow
from prefect.flows import load_flow_from_entrypoint
from prefect.server.events.actions import RunDeployment
from prefect.server.events.schemas.events import ReceivedEvent
from prefect.states import Scheduled
from prefect.testing.utilities import prefect_test_harness
from prefect.utilities.schema_tools.hydration import HydrationContext, hydrate

from kflow.runtime_shims import prefect as kestra

root, result_path = Path(sys.argv[1]), sys.argv[2]
raw = yaml.safe_load((root / "prefect.yaml").read_text())
PrefectYamlModel.model_validate(raw)
result = {"deployments": {}, "runs": {}}
for deployment in raw["deployments"]:
    found = {"schedules": [], "triggers": []}
    for item in deployment.get("schedules", []):
        schedule = DeploymentScheduleCreate(**_schedule_config_to_deployment_schedule(item))
        found["schedules"].append({
            "cron": schedule.schedule.cron,
            "timezone": schedule.schedule.timezone,
            "slug": schedule.slug,
            "parameters": schedule.parameters,
        })
    specs = copy.deepcopy(deployment.get("triggers", []))
    for trigger in _initialize_deployment_triggers(deployment["name"], specs):
        trigger.set_deployment_id(uuid.uuid4())  # as `prefect deploy` does once deployed
        automation = trigger.as_automation()
        found["triggers"].append({
            "kind": type(trigger).__name__,
            "expect": sorted(trigger.expect),
            "related": [m.model_dump() for m in trigger.match_related],
            "action": type(automation.actions[0]).__name__,
            "parameters": trigger.parameters,
        })
    result["deployments"][deployment["entrypoint"].split(":")[0]] = found

ends = []
kestra.listen(ends.append)


def flow_of(relative):
    entries = [d["entrypoint"] for d in raw["deployments"]]
    entry = next(e for e in entries if e.startswith(relative))
    path, function = entry.split(":")
    return load_flow_from_entrypoint(f"{root / path}:{function}")


def run(name, relative, parameters, scheduled=None):
    flow = flow_of(relative)
    ends.clear()
    with get_client(sync_client=True) as client:
        state = None if scheduled is None else Scheduled(scheduled_time=scheduled)
        flow_run = client.create_flow_run(flow, parameters=parameters, state=state)
    state = run_flow(flow, flow_run=flow_run, parameters=parameters, return_type="state")
    end = ends[-1] if ends else None
    result["runs"][name] = {
        "flow_run": str(flow_run.id),
        "state_type": state.type.value,
        "state_name": state.name,
        "message": state.message,
        "trigger": None if end is None else end["execution"].get("trigger"),
        "records": None if end is None else end["records"],
    }
    return flow_run, state


def seen(name):
    records = result["runs"][name]["records"]
    return records["seen"][0]["outputs"]["value"]


settings = prefect.settings.temporary_settings(
    updates={prefect.settings.PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}
)
with settings, prefect_test_harness(server_startup_timeout=120):
    try:
        monday = datetime(2024, 1, 1, 8, 0, tzinfo=timezone.utc)
        tuesday = datetime(2024, 1, 2, 8, 0, tzinfo=timezone.utc)
        schedule = result["deployments"]["kflow/engine/trigger-schedule.py"]["schedules"][0]
        run("monday", "kflow/engine/trigger-schedule.py", schedule["parameters"], monday)
        run("tuesday", "kflow/engine/trigger-schedule.py", schedule["parameters"], tuesday)
        hook = {"kestra_trigger": {"body": {"name": "hooked"}, "headers": {}, "parameters": {}}}
        run("webhook", "kflow/engine/trigger-schedule.py", hook)
        run("manual", "kflow/engine/trigger-schedule.py", {})
        upstream, state = run("upstream", "kflow/engine/trigger-upstream.py", {})
        # The event Prefect's server emits for that flow run's end, when run from its deployment
        # (the deployment's name is the namespace; the flow's name the flow id).
        event = ReceivedEvent(
            occurred=datetime.now(timezone.utc),
            event=f"prefect.flow-run.{state.name}",
            resource={
                "prefect.resource.id": f"prefect.flow-run.{upstream.id}",
                "prefect.resource.name": upstream.name,
                "prefect.state-message": state.message or "",
                "prefect.state-name": state.name,
                "prefect.state-type": state.type.value,
            },
            related=[
                {"prefect.resource.id": f"prefect.flow.{uuid.uuid4()}",
                 "prefect.resource.role": "flow", "prefect.resource.name": "trigger-upstream"},
                {"prefect.resource.id": f"prefect.deployment.{uuid.uuid4()}",
                 "prefect.resource.role": "deployment", "prefect.resource.name": "kflow.engine"},
            ],
            id=uuid.uuid4(),
        )
        trigger = result["deployments"]["kflow/engine/trigger-downstream.py"]["triggers"][0]
        parameters = copy.deepcopy(trigger["parameters"])
        RunDeployment._upgrade_v1_templates(parameters)
        rendered = hydrate(parameters, HydrationContext(
            raise_on_error=True, render_jinja=True, jinja_context={"event": event}
        ))
        result["rendered"] = rendered
        run("downstream", "kflow/engine/trigger-downstream.py", rendered)
        names = ("monday", "webhook", "manual", "downstream")
        result["seen"] = {name: seen(name) for name in names}
    except BaseException:
        result["error"] = traceback.format_exc()
with open(result_path, "w") as fh:
    json.dump(result, fh, default=str)
"""


@pytest.fixture(scope="module")
def triggered(
    prefect_env: PrefectEnv, tmp_path_factory: pytest.TempPathFactory, kflow_home: Path
) -> dict[str, Any]:
    import os
    import signal

    out = tmp_path_factory.mktemp("prefect-trigger-flows")
    result = compile_paths([str(p) for p in TRIGGER_FLOWS], "prefect", str(out))
    assert result.ok, [f"{d.span.path}: {d.code} {d.message}" for d in result.diagnostics]
    script = out.parent / f"{out.name}-script.py"
    script.write_text(TRIGGER_SCRIPT)
    result_path = out.parent / f"{out.name}-result.json"
    env = {**prefect_env.environ(), "KFLOW_HOME": str(kflow_home)}
    proc = subprocess.Popen(
        [str(prefect_env.python), str(script), str(out), str(result_path)],
        env=env,
        cwd=prefect_env.home,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=600)
    finally:  # the harness's server is a child of the script: end the whole group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert result_path.exists(), output[-4000:]
    found: dict[str, Any] = json.loads(result_path.read_text())
    assert "error" not in found, found["error"] + output[-3000:]
    return found


def test_prefect_yaml_schedules_and_triggers_validate(triggered: dict[str, Any]) -> None:
    deployments = triggered["deployments"]
    schedule = deployments["kflow/engine/trigger-schedule.py"]
    assert schedule["schedules"] == [
        {
            "cron": "0 9 * * *",
            "timezone": "Europe/Paris",
            "slug": "mondays",
            "parameters": {"kestra_trigger": {"id": "mondays"}},
        }
    ]
    assert schedule["triggers"] == []  # a Webhook is a flow run created through the API
    golden = deployments["kflow/golden/triggers-schedule.py"]
    assert [s["cron"] for s in golden["schedules"]] == ["30 8 * * *", "0 0 1 * *"]
    # plain inputs are the schedule's parameters; templated ones are rendered at run start
    assert golden["schedules"][0]["parameters"] == {
        "kestra_trigger": {"id": "weekdays"},
        "region": "us",
    }
    (trigger,) = deployments["kflow/engine/trigger-downstream.py"]["triggers"]
    assert trigger["kind"] == "DeploymentEventTrigger" and trigger["action"] == "RunDeployment"
    assert trigger["expect"] == ["prefect.flow-run.Completed"]
    assert trigger["related"] == [
        {"prefect.resource.role": "flow", "prefect.resource.name": "trigger-upstream"},
        {"prefect.resource.role": "deployment", "prefect.resource.name": "kflow.engine"},
    ]
    (seed,) = golden["triggers"]
    assert seed["expect"] == ["prefect.flow-run.Completed"]  # SUCCESS and WARNING


def test_a_scheduled_flow_run_sees_its_scheduled_time_as_trigger_date(
    triggered: dict[str, Any],
) -> None:
    monday = triggered["runs"]["monday"]
    assert monday["state_type"] == "COMPLETED" and monday["state_name"] == "Completed"
    date = "2024-01-01T09:00:00+01:00"
    assert monday["trigger"] == {
        "date": date,
        "next": "2024-01-08T09:00:00+01:00",
        "previous": "2023-12-25T09:00:00+01:00",
    }
    assert triggered["seen"]["monday"] == f"{date}||schedule of {date}"


def test_a_schedule_condition_that_does_not_hold_skips_the_flow_run(
    triggered: dict[str, Any],
) -> None:
    tuesday = triggered["runs"]["tuesday"]
    assert tuesday["state_type"] == "COMPLETED" and tuesday["state_name"] == "Skipped"
    assert "do not hold" in tuesday["message"]
    assert tuesday["records"] is None  # no execution: no task ran


def test_a_manual_run_has_no_trigger_and_a_webhook_run_reads_its_parameter(
    triggered: dict[str, Any],
) -> None:
    assert triggered["seen"]["manual"] == "||manual"
    assert triggered["seen"]["webhook"] == "|hooked|manual"


def test_a_deployment_trigger_passes_the_upstream_end_to_the_flow(
    triggered: dict[str, Any],
) -> None:
    upstream = triggered["runs"]["upstream"]["flow_run"]
    rendered = triggered["rendered"]["kestra_trigger"]
    assert rendered["flowRun"] == f"prefect.flow-run.{upstream}"
    assert rendered["namespace"] == "kflow.engine" and rendered["flowId"] == "trigger-upstream"
    assert rendered["state"] == "Completed"
    downstream = triggered["runs"]["downstream"]
    assert downstream["trigger"]["state"] == "SUCCESS"
    # the upstream outputs come from its persisted result (the engine tests persist results)
    assert triggered["seen"]["downstream"] == f"trigger-upstream|SUCCESS|{upstream}|rows-42"
