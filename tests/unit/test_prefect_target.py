"""The Prefect target without Prefect: the emitter's choices, the shared prefect.yaml, and the
runtime shim's task and flow-body logic (with stand-in Prefect states).

Running the compiled flows in a real Prefect is `tests/engines/test_prefect_target.py`.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from kflow.compiler.api import compile_paths
from kflow.compiler.check import check
from kflow.compiler.loader import load_text
from kflow.compiler.lower import lower
from kflow.runtime_shims import prefect as shim
from kflow.runtime_shims.step import flow_data, start
from kflow.targets.prefect import EVENT_PARAMETERS, PREFECT_YAML, emit, join

CORE = "io.kestra.plugin.core"


def compile_text(text: str) -> Any:
    checked = check(load_text("flow.yml", textwrap.dedent(text)))
    assert checked.ok, checked.diagnostics
    return emit(lower(checked))


def source_of(text: str) -> str:
    emitted = compile_text(text)
    (source,) = emitted.files.values()
    return str(source)


def codes(text: str) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in compile_text(text).diagnostics]


# -- the emitter ---------------------------------------------------------------------------------


def test_retries_become_prefect_retry_options() -> None:
    source = source_of(
        f"""
        id: retries
        namespace: t
        tasks:
          - id: exponential
            type: {CORE}.log.Log
            message: x
            retry: {{type: exponential, interval: PT1S, maxInterval: PT10S, maxAttempts: 7}}
            timeout: PT1M30S
          - id: constant
            type: {CORE}.log.Log
            message: x
            retry: {{type: constant, interval: PT5S, maxAttempts: 2}}
          - id: random
            type: {CORE}.log.Log
            message: x
            retry: {{type: random, minInterval: PT2S, maxInterval: PT6S, maxAttempts: 3}}
        """
    )
    # capped at maxInterval: Prefect repeats the last delay for the remaining retries
    assert (
        '@task(name="exponential", retries=6, retry_delay_seconds=[1, 2, 4, 8, 10], '
        "timeout_seconds=120)" in source  # PT90S + 30 s of grace
    )
    assert 'timeout="PT1M30S"' in source  # the shim stops the task as the runner does
    assert '@task(name="constant", retries=1, retry_delay_seconds=5)' in source
    assert (
        '@task(name="random", retries=2, retry_delay_seconds=4, retry_jitter_factor=0.5)' in source
    )


def test_constructs_prefect_cannot_express_are_kf401() -> None:
    found = codes(
        f"""
        id: refused
        namespace: t
        tasks:
          - id: child
            type: {CORE}.flow.Subflow
            namespace: t
            flowId: "{{{{ 'other' }}}}"
          - id: fire-and-forget
            type: {CORE}.flow.Subflow
            namespace: t
            flowId: other
            wait: false
          - id: wait-for-me
            type: {CORE}.flow.Pause
          - id: workdir
            type: {CORE}.flow.WorkingDirectory
            tasks:
              - id: inside
                type: {CORE}.log.Log
                message: x
          - id: outer
            type: {CORE}.flow.ForEach
            values: [1, 2]
            tasks:
              - id: inner
                type: {CORE}.flow.ForEach
                values: [3, 4]
                tasks:
                  - id: deep
                    type: {CORE}.log.Log
                    message: x
          - id: guarded
            type: {CORE}.flow.Sequential
            runIf: "{{{{ true }}}}"
            tasks:
              - id: g
                type: {CORE}.log.Log
                message: x
        """
    )
    assert [c for c, _ in found] == ["KF401"] * 6
    messages = " | ".join(m for _, m in found)
    assert "Subflow 'child' names its flow with a template" in messages
    assert "Subflow 'fire-and-forget' does not wait for its flow" in messages
    for what in ("Pause 'wait-for-me'", "WorkingDirectory 'workdir'"):
        assert what in messages
    assert "'inner' is inside another loop" in messages
    assert "'runIf' on the Sequential 'guarded'" in messages
    assert not compile_text(
        f"""
        id: refused
        namespace: t
        tasks:
          - id: wait-for-me
            type: {CORE}.flow.Pause
        """
    ).files


def test_a_subflow_calls_the_child_flow_beside_it() -> None:
    source = source_of(
        f"""
        id: parent
        namespace: team.one
        tasks:
          - id: child
            type: {CORE}.flow.Subflow
            namespace: team.two
            flowId: child-flow
            inputs:
              size: 3
        """
    )
    call = " ".join(source[source.index("run.subflow(") :].split())
    assert call.startswith('run.subflow( __file__, "../two/child-flow.py:child_flow", "child",')


def test_approximations_are_kf402() -> None:
    found = codes(
        f"""
        id: approximated
        namespace: t
        tasks:
          - id: graph
            type: {CORE}.flow.Dag
            concurrent: 1
            tasks:
              - task: {{id: a, type: {CORE}.log.Log, message: x}}
              - task: {{id: b, type: {CORE}.log.Log, message: x}}
                dependsOn: [a]
          - id: bounded
            type: {CORE}.log.Log
            message: x
            retry: {{type: constant, interval: PT1S, maxDuration: PT1M}}
        """
    )
    assert found == [
        ("KF402", "the 'concurrent' limit of 'graph' is not kept on Prefect"),
        ("KF402", "retry 'maxDuration' of 'bounded' is not enforced by Prefect"),
    ]


def test_names_are_unique_identifiers() -> None:
    source = source_of(
        f"""
        id: flow
        namespace: t
        inputs:
          - id: run
            type: STRING
            defaults: x
          - id: a-b
            type: INT
        tasks:
          - id: a-b
            type: {CORE}.log.Log
            message: x
          - id: a_b
            type: {CORE}.log.Log
            message: x
          - id: kestra
            type: {CORE}.log.Log
            message: x
        """
    )
    # parameters are named first (users type them), required ones first; names the body uses
    # are never shadowed
    assert 'def flow_2(a_b: int, run_2: str = "x") -> Any:' in source
    assert '{"run": run_2, "a-b": a_b}' in source
    assert 'PARAMETERS = {"run": "run_2", "a-b": "a_b"}' in source
    assert "def a_b_2(" in source and "def a_b_3(" in source and "def t_kestra(" in source


def test_prefect_yaml_has_one_deployment_per_flow(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    for name, namespace, labels in (("b", "team.two", "{env: prod}"), ("a", "team.one", "{}")):
        (flows / f"{name}.yml").write_text(
            textwrap.dedent(
                f"""
                id: {name}
                namespace: {namespace}
                description: Flow {name}
                labels: {labels}
                inputs:
                  - id: size
                    type: INT
                    defaults: 3
                tasks:
                  - id: hello
                    type: {CORE}.log.Log
                    message: hi
                """
            )
        )
    out = tmp_path / "out"
    result = compile_paths([str(flows), str(flows / "a.yml")], "prefect", str(out))
    assert result.ok
    text = (out / PREFECT_YAML).read_text()
    assert yaml.safe_load(text) == {
        "deployments": [
            {
                "name": "team.one",
                "entrypoint": "team/one/a.py:a",
                "description": "Flow a",
                "tags": [],
                "parameters": {"size": 3},
                "work_pool": {"name": "{{ $KFLOW_PREFECT_WORK_POOL }}"},
            },
            {
                "name": "team.two",
                "entrypoint": "team/two/b.py:b",
                "description": "Flow b",
                "tags": ["env:prod"],
                "parameters": {"size": 3},
                "work_pool": {"name": "{{ $KFLOW_PREFECT_WORK_POOL }}"},
            },
        ]
    }
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.py")) == [
        "team/one/a.py",
        "team/two/b.py",
    ]
    assert compile_paths([str(flows)], "prefect", str(out), check=True).drifted == []
    (flows / "b.yml").unlink()
    drift = compile_paths([str(flows)], "prefect", str(out), check=True)
    assert drift.drifted == [str(out / PREFECT_YAML)]
    assert "-  entrypoint: team/two/b.py:b" in drift.diff.replace("- name", "-  name")


def test_flow_concurrency_is_the_deployment_concurrency_limit() -> None:
    emitted = compile_text(
        f"""
        id: limited
        namespace: t
        concurrency: {{limit: 2, behavior: FAIL}}
        tasks:
          - id: hello
            type: {CORE}.log.Log
            message: hi
        """
    )
    (deployment,) = emitted.shared[PREFECT_YAML]
    assert deployment["concurrency_limit"] == {"limit": 2, "collision_strategy": "CANCEL_NEW"}
    assert [d.code for d in emitted.diagnostics] == ["KF402"]


def test_join_sorts_entries() -> None:
    entries = [{"name": "n", "entrypoint": e} for e in ("b.py:b", "a.py:a")]
    assert join(PREFECT_YAML, entries) == join(PREFECT_YAML, entries[::-1])
    with pytest.raises(LookupError):
        join("other.yaml", entries)


# -- the shim ------------------------------------------------------------------------------------


def test_importing_the_shim_imports_neither_prefect_nor_the_compiler() -> None:
    code = (
        "import sys, kflow.runtime_shims.prefect;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('prefect', 'lark', 'black')"
        " or m.startswith('kflow.compiler') or m.startswith('kflow.runtime_shims.templating')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


FLOW_TEXT = f"""
id: shim
namespace: t
tasks:
  - id: hello
    type: {CORE}.log.Log
    message: hi
"""


@pytest.fixture
def execution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict[str, Any]]:
    monkeypatch.setenv("KFLOW_HOME", str(tmp_path))
    data = flow_data(lower(check(load_text("flow.yml", FLOW_TEXT))))
    return data, start(data, {})


def test_run_task_returns_the_task_run(execution: tuple[Any, dict[str, Any]]) -> None:
    data, started = execution
    found = shim.run_task(
        data,
        started,
        {"up": [{"task_id": "up", "state": "SUCCESS", "outputs": {"value": "u"}}]},
        "ret",
        f"{CORE}.debug.Return",
        {"format": "{{ outputs.up.value }}-{{ taskrun.value }}"},
        value="v",
        iteration=2,
        direct=True,
    )
    assert (found["state"], found["outputs"]) == ("SUCCESS", {"value": "u-v"})
    assert (found["value"], found["iteration"], found["loop"]) == ("v", 2, "v")


def test_a_failed_task_raises_with_its_record(execution: tuple[Any, dict[str, Any]]) -> None:
    data, started = execution
    with pytest.raises(shim.KestraTaskFailed) as raised:
        shim.run_task(data, started, {}, "f", f"{CORE}.execution.Fail", {"errorMessage": "no"})
    assert str(raised.value) == "no"
    assert (raised.value.record["task_id"], raised.value.record["state"]) == ("f", "FAILED")
    again = pickle.loads(pickle.dumps(raised.value))  # Prefect persists it
    assert (str(again), again.record) == ("no", raised.value.record)
    tolerated = shim.run_task(
        data, started, {}, "f", f"{CORE}.execution.Fail", {"errorMessage": "no"}, allow_failure=True
    )
    assert (tolerated["state"], tolerated["error"]) == ("WARNING", "no")


def test_a_task_times_out_as_in_the_runner(execution: tuple[Any, dict[str, Any]]) -> None:
    data, started = execution
    with pytest.raises(shim.KestraTaskFailed, match=r"timed out after PT0\.2S"):
        shim.run_task(
            data, started, {}, "s", f"{CORE}.flow.Sleep", {"duration": "PT5S"}, timeout="PT0.2S"
        )


def test_decisions(execution: tuple[Any, dict[str, Any]]) -> None:
    data, started = execution
    decided = shim.run_task(data, started, {}, "if", f"{CORE}.flow.If", {"condition": "{{ 1 }}"})
    assert decided["outputs"] == {"evaluationResult": True}
    switch = f"{CORE}.flow.Switch"
    found = shim.run_task(data, started, {}, "s", switch, {"value": "b"}, cases=["a", "b"])
    assert found["outputs"] == {"value": "b", "defaults": False}
    with pytest.raises(shim.KestraTaskFailed, match="no case matches the value 'c'"):
        shim.run_task(data, started, {}, "s", switch, {"value": "c"}, cases=["a"])
    found = shim.run_task(
        data, started, {}, "s", switch, {"value": "c"}, cases=["a"], has_defaults=True
    )
    assert found["outputs"]["defaults"] is True
    loop = shim.run_task(data, started, {}, "l", f"{CORE}.flow.ForEach", {"values": [1, "a", 1]})
    assert loop["values"] == ["1", "a"]
    skipped = shim.run_task(
        data, started, {}, "l", f"{CORE}.flow.ForEach", {"values": [1]}, run_if=["{{ false }}"]
    )
    assert skipped["state"] == "SKIPPED" and "values" not in skipped


class State:
    """A stand-in for a Prefect state: its type and its result."""

    def __init__(self, kind: str, data: Any = None) -> None:
        self.kind, self.data, self.name, self.message = kind, data, kind, None

    def is_completed(self) -> bool:
        return self.kind == "COMPLETED"

    def is_failed(self) -> bool:
        return self.kind == "FAILED"

    def is_crashed(self) -> bool:
        return False

    def is_pending(self) -> bool:
        return self.kind == "PENDING"

    def result(self, raise_on_failure: bool = True) -> Any:
        return self.data


def done(task_id: str, state: str = "SUCCESS", **more: Any) -> State:
    record = {"task_id": task_id, "state": state, "outputs": {}, **more}
    if state == "FAILED":
        return State("FAILED", shim.KestraTaskFailed("boom", record))
    return State("COMPLETED", record)


def test_the_flow_body_records_task_runs_and_stops_on_a_failure() -> None:
    run = shim.Run({}, {}, {"id": "e"})
    assert run.add(done("a", outputs={"value": 1}))["state"] == "SUCCESS"  # type: ignore[index]
    assert run.add(State("PENDING")) is None  # NotReady: never ran
    with pytest.raises(shim.Stopped):
        run.add(done("b", "FAILED"))
    with pytest.raises(shim.Stopped):
        run.wait([done("c"), done("d", "FAILED"), done("e")])
    assert sorted(run.records) == ["a", "b", "c", "d", "e"]
    with pytest.raises(ValueError, match="not kestra"):
        run.add(State("FAILED", ValueError("not kestra")))
    with run:
        run.add(done("f", "FAILED"))
        pytest.fail("not reached")  # pragma: no cover
    future = object()
    assert run.outputs("a", "zz", futures={"g": future}) == {
        "a": [run.records["a"][0]],
        "g": [future],
    }


def test_decisions_in_the_flow_body() -> None:
    run = shim.Run({}, {}, {"id": "e"})
    assert run.condition(done("i", outputs={"evaluationResult": False})) is False
    assert run.condition(done("i", "SKIPPED")) is None
    assert run.case(done("s", outputs={"value": "x", "defaults": False})) == "x"
    assert run.case(done("s", outputs={"value": "y", "defaults": True})) is shim.DEFAULTS
    assert run.values(done("l", values=["1", "2"])) == ["1", "2"]
    assert run.values(State("PENDING")) == []


def test_concurrently_starts_no_job_after_a_failure() -> None:
    run = shim.Run({}, {}, {"id": "e"})
    ran: list[str] = []

    def job(name: str, fails: bool = False, seconds: float = 0.0) -> Any:
        def body() -> None:
            ran.append(name)
            time.sleep(seconds)
            if fails:
                raise shim.Stopped(name)

        return body

    with pytest.raises(shim.Stopped):
        run.concurrently([job("a"), job("b", True), job("c"), job("d")], limit=1)
    assert ran == ["a", "b"]
    ran.clear()
    with pytest.raises(shim.Stopped):
        run.concurrently([job("a", True), job("b", seconds=0.5), job("c")], limit=2)
    assert sorted(ran) == ["a", "b"]  # the first two start together
    ran.clear()
    run.each(["x", "y", "z"], lambda value, index: ran.append(f"{value}{index}"), limit=0)
    assert sorted(ran) == ["x0", "y1", "z2"]


# -- triggers ------------------------------------------------------------------------------------


def triggered_flow(triggers: str) -> str:
    """A flow with an input and a task, and these triggers (YAML list items)."""
    head = textwrap.dedent(
        f"""\
        id: listener
        namespace: team.one
        inputs:
          - id: who
            type: STRING
            defaults: nobody
        tasks:
          - id: hello
            type: {CORE}.log.Log
            message: "{{{{ trigger.date ?? 'manual' }}}}"
        triggers:
        """
    )
    return head + textwrap.indent(textwrap.dedent(triggers).strip("\n"), "  ") + "\n"


def deployment_of(text: str) -> dict[str, Any]:
    emitted = compile_text(text)
    (deployment,) = emitted.shared[PREFECT_YAML]
    return dict(deployment)


def test_schedules_are_cron_schedules_with_their_trigger_and_plain_inputs() -> None:
    deployment = deployment_of(
        triggered_flow(
            f"""
            - id: mornings
              type: {CORE}.trigger.Schedule
              cron: "30 0 9 * * *"
              withSeconds: true
              timezone: Europe/Paris
              inputs:
                who: team
              conditions:
                - type: {CORE}.condition.Weekend
            - id: nightly
              type: {CORE}.trigger.Schedule
              cron: "@daily"
              inputs:
                who: "{{{{ trigger.date }}}}"
            """
        )
    )
    assert deployment["schedules"] == [
        {
            # Prefect's croniter reads seconds as a sixth field, last
            "cron": "0 9 * * * 30",
            "timezone": "Europe/Paris",
            "slug": "mornings",
            "active": True,
            "parameters": {"kestra_trigger": {"id": "mornings"}, "who": "team"},
        },
        {
            "cron": "0 0 * * *",
            "timezone": "UTC",
            "slug": "nightly",
            "active": True,
            # a templated input is rendered by the shim when the run starts, never by Prefect
            "parameters": {"kestra_trigger": {"id": "nightly"}},
        },
    ]
    assert "triggers" not in deployment


def test_the_flow_takes_kestra_trigger_and_checks_it() -> None:
    source = source_of(
        triggered_flow(
            f"""
            - id: hook
              type: {CORE}.trigger.Webhook
              key: the-secret-key-42
            """
        )
    )
    assert (
        'def listener(who: str = "nobody", kestra_trigger: dict[str, Any] | None = None)' in source
    )
    assert 'with kestra.execution(FLOW, TREE, {"who": who}, kestra_trigger) as run:' in source
    body = source[source.index("as run:") :].splitlines()
    assert body[1].strip() == "run.check_trigger()"
    assert "the-secret-key-42" not in source


def test_a_flow_trigger_is_a_deployment_trigger_on_the_upstream_end_events() -> None:
    deployment = deployment_of(
        triggered_flow(
            f"""
            - id: after
              type: {CORE}.trigger.Flow
              conditions:
                - type: {CORE}.condition.ExecutionFlow
                  namespace: team.two
                  flowId: producer
                - type: {CORE}.condition.ExecutionStatus
                  notIn: [SUCCESS, WARNING]
            """
        )
    )
    (trigger,) = deployment["triggers"]
    parameters = trigger.pop("parameters")
    assert trigger == {
        "name": "team.one.listener: after",
        "description": "Kestra Flow trigger 'after' of team.one.listener",
        "enabled": True,
        "type": "event",
        "match": {"prefect.resource.id": "prefect.flow-run.*"},
        "match_related": [
            {"prefect.resource.role": "flow", "prefect.resource.name": "producer"},
            {"prefect.resource.role": "deployment", "prefect.resource.name": "team.two"},
        ],
        # FAILED and KILLED
        "expect": [
            "prefect.flow-run.Cancelled",
            "prefect.flow-run.Crashed",
            "prefect.flow-run.Failed",
        ],
    }
    assert parameters["kestra_trigger"]["id"] == "after"
    assert parameters["kestra_trigger"]["flowRun"] == "{{ event.resource.id }}"


def test_preconditions_are_a_compound_trigger_within_their_window() -> None:
    emitted = compile_text(
        triggered_flow(
            f"""
            - id: both
              type: {CORE}.trigger.Flow
              preconditions:
                id: both
                timeWindow:
                  type: SLIDING_WINDOW
                  window: PT6H
                flows:
                  - namespace: team.two
                    flowId: a
                  - namespace: team.three
                    flowId: b
                    states: [FAILED]
            """
        )
    )
    assert emitted.diagnostics == []
    ((trigger,),) = [d["triggers"] for d in emitted.shared[PREFECT_YAML]]
    assert trigger["type"] == "compound" and trigger["require"] == "all"
    assert trigger["within"] == 6 * 3600
    assert [t["match_related"][0]["prefect.resource.name"] for t in trigger["triggers"]] == [
        "a",
        "b",
    ]
    assert trigger["triggers"][1]["expect"] == [
        "prefect.flow-run.Crashed",
        "prefect.flow-run.Failed",
    ]


def test_triggers_prefect_cannot_express_are_kf401_and_approximations_kf402() -> None:
    found = codes(
        triggered_flow(
            f"""
            - id: "bad id {{{{ x }}}}"
              type: {CORE}.trigger.Schedule
              cron: "0 9 * * *"
            - id: any-flow
              type: {CORE}.trigger.Flow
              conditions:
                - type: {CORE}.condition.ExecutionNamespace
                  namespace: team
            - id: poll
              type: {CORE}.http.Trigger
              uri: http://127.0.0.1/health
            - id: late
              type: {CORE}.trigger.Schedule
              cron: "0 9 * * *"
              recoverMissedSchedules: LAST
              backfill:
                start: "2024-01-01T00:00:00Z"
            """
        )
    )
    errors = [m for c, m in found if c == "KF401"]
    warnings = [m for c, m in found if c == "KF402"]
    assert len(errors) == 3 and len(warnings) == 2
    assert "is not an id" in errors[0] and "names no upstream flow" in errors[1]
    assert "(Trigger) cannot be compiled for Prefect" in errors[2]
    assert "backfill of trigger 'late' is not part of prefect.yaml" in warnings[0]
    assert "'recoverMissedSchedules: LAST' of trigger 'late'" in warnings[1]


def test_the_shim_reads_the_upstream_end_from_the_event() -> None:
    event = {
        "id": "after",
        "flowRun": "prefect.flow-run.1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "state": "Completed",
        "message": "Kestra execution WARNING (tasks ending WARNING: a)",
        "flowId": "producer",
        "namespace": "team.two",
    }
    assert shim.upstream_end(event) == {
        "executionId": "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        "namespace": "team.two",
        "flowId": "producer",
        "state": "WARNING",
        "outputs": {},  # no Prefect API here: the upstream result cannot be read
    }
    assert shim.upstream_end({**event, "state": "Cancelled"})["state"] == "KILLED"
    assert shim.upstream_end({**event, "message": "Kestra execution SUCCESS"})["state"] == "SUCCESS"


def test_a_run_whose_trigger_does_not_hold_creates_no_execution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KFLOW_HOME", str(tmp_path))
    text = triggered_flow(
        f"""
        - id: after
          type: {CORE}.trigger.Flow
          inputs:
            who: "{{{{ trigger.flowId }}}}"
          conditions:
            - type: {CORE}.condition.ExecutionFlow
              namespace: team.two
              flowId: producer
            - type: {CORE}.condition.ExecutionStatus
              in: [SUCCESS]
        - id: hook
          type: {CORE}.trigger.Webhook
          key: k
        """
    )
    data = flow_data(lower(check(load_text("flow.yml", text))))
    event = {"id": "after", "flowRun": "x", "flowId": "producer", "namespace": "team.two"}
    matched = shim.triggered_by(data, {**event, "state": "Completed"})
    assert matched is not None and matched.skip is None
    assert start(data, {"who": "nobody"}, trigger=matched)["inputs"] == {"who": "producer"}
    refused = shim.triggered_by(data, {**event, "state": "Failed"})
    run = shim.Run(data, {}, {}, skipped=refused.skip)
    with run:
        run.check_trigger()
        raise AssertionError("the body goes on")
    assert "matches no Flow trigger" in str(run.skipped)
    hook = shim.triggered_by(data, {"body": {"name": "x"}})
    assert hook.trigger_id == "hook" and hook.variables["body"] == {"name": "x"}
    assert shim.triggered_by(data, None) is None


def test_trigger_content_cannot_reach_prefect_templates() -> None:
    """User text in triggers never reaches prefect.yaml as a `{{ }}` Prefect would resolve."""
    emitted = compile_text(
        triggered_flow(
            f"""
            - id: nightly
              type: {CORE}.trigger.Schedule
              cron: "0 2 * * *"
              inputs:
                who: "{{{{ secret('TOKEN') }}}} {{% raw %}}{{{{ $HOME }}}}{{% endraw %}}"
            - id: after
              type: {CORE}.trigger.Flow
              inputs:
                who: "{{{{ trigger.outputs.x }}}}"
              conditions:
                - type: {CORE}.condition.ExecutionFlow
                  namespace: team.two
                  flowId: producer
            """
        )
    )
    data = yaml.safe_load(join(PREFECT_YAML, emitted.shared[PREFECT_YAML]))

    def strings(value: Any) -> list[str]:
        if isinstance(value, dict):
            return [s for k, v in value.items() for s in [k, *strings(v)]]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return [value] if isinstance(value, str) else []

    templates = {text for text in strings(data) if "{{" in text}
    assert templates == {"{{ $KFLOW_PREFECT_WORK_POOL }}", *EVENT_PARAMETERS.values()}
