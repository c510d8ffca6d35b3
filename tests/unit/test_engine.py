"""The bundled runner's engine: each flowable, retries, timeouts, errors/finally, outputs.

Every test writes a small flow, runs it in-process with the real stack (compiler, templating,
task implementations, SQLite state) and checks the execution report.
"""

from __future__ import annotations

import base64
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from kflow.runner_cli import FlowsDirectory, load_flow
from kflow.runtime_shims.engine import Engine
from kflow.runtime_shims.execution import report
from kflow.runtime_shims.state import StateStore
from kflow.runtime_shims.storage import LocalStorage

RETURN = "io.kestra.plugin.core.debug.Return"
LOG = "io.kestra.plugin.core.log.Log"
FAIL = "io.kestra.plugin.core.execution.Fail"
FLOW = "io.kestra.plugin.core.flow"


class Runner:
    """Runs flows written in a test against one state directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.flows = root / "flows"
        self.flows.mkdir(exist_ok=True)
        self.store = StateStore(root / "state")
        self.storage = LocalStorage(root / "state" / "storage")
        self.count = 0

    def engine(self) -> Engine:
        loader = FlowsDirectory(self.flows)
        return Engine(self.store, self.storage, loader=loader, flows_dir=str(self.flows))

    def write(self, text: str, name: str | None = None) -> Path:
        self.count += 1
        path = self.flows / (name or f"flow{self.count}.yml")
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def run(self, text: str, inputs: dict[str, Any] | None = None) -> Report:
        path = self.write(text, f"main{self.count}.yml")
        loaded = load_flow(str(path))
        engine = self.engine()
        record = engine.execute(loaded, inputs)
        engine.wait_background()
        return Report(self, report(self.store, record.id))

    def resume(self, execution_id: str) -> Report:
        engine = self.engine()
        record = engine.resume(execution_id)
        engine.wait_background()
        return Report(self, report(self.store, record.id))


class Report:
    """An execution report with lookups by task id."""

    def __init__(self, runner: Runner, data: dict[str, Any]) -> None:
        self.runner = runner
        self.data = data
        self.state = data["state"]
        self.id = data["id"]
        self.outputs = data["outputs"]

    def runs(self, task_id: str) -> list[dict[str, Any]]:
        return [r for r in self.data["taskRuns"] if r["taskId"] == task_id]

    def run(self, task_id: str, value: str | None = None) -> dict[str, Any]:
        found = [r for r in self.runs(task_id) if value is None or r["value"] == value]
        assert len(found) == 1, (task_id, value, self.data["taskRuns"])
        return found[0]

    def states(self) -> dict[str, str]:
        return {r["taskId"]: r["state"] for r in self.data["taskRuns"]}

    def order(self) -> list[str]:
        return [r["taskId"] for r in self.data["taskRuns"]]

    def logs(self) -> list[str]:
        return [line["message"] for line in self.runner.store.logs(self.id)]


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    return Runner(tmp_path)


# -- sequences, errors, finally ---------------------------------------------------------------


def test_tasks_run_in_order_and_read_earlier_outputs(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: chain
        namespace: test.engine
        tasks:
          - id: first
            type: {RETURN}
            format: one
          - id: second-task
            type: {RETURN}
            format: "{{{{ outputs.first.value }}}} two"
          - id: third
            type: {RETURN}
            format: "{{{{ outputs.second-task.value }}}} three {{{{ task.id }}}}"
        outputs:
          - id: final
            type: STRING
            value: "{{{{ outputs.third.value }}}}"
        """
    )
    assert result.state == "SUCCESS"
    assert result.order() == ["first", "second-task", "third"]
    assert result.run("third")["outputs"] == {"value": "one two three third"}
    assert result.outputs == {"final": "one two three third"}
    assert result.run("first")["attempts"][0]["state"] == "SUCCESS"


def test_failure_stops_the_list_then_errors_and_finally_run(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: failing
        namespace: test.engine
        tasks:
          - id: ok
            type: {RETURN}
            format: fine
          - id: boom
            type: {FAIL}
            errorMessage: it broke
          - id: never
            type: {RETURN}
            format: not run
        errors:
          - id: on-error
            type: {RETURN}
            format: "handled"
        finally:
          - id: cleanup
            type: {RETURN}
            format: "always"
        """
    )
    assert result.state == "FAILED"  # handled errors do not make the execution SUCCESS
    assert result.order() == ["ok", "boom", "on-error", "cleanup"]
    assert result.states() == {
        "ok": "SUCCESS",
        "boom": "FAILED",
        "on-error": "SUCCESS",
        "cleanup": "SUCCESS",
    }
    assert any("it broke" in line for line in result.logs())


def test_finally_runs_after_success_and_errors_do_not(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: fine
        namespace: test.engine
        tasks:
          - id: ok
            type: {RETURN}
            format: fine
        errors:
          - id: on-error
            type: {RETURN}
            format: "handled"
        finally:
          - id: cleanup
            type: {RETURN}
            format: "always"
        """
    )
    assert result.state == "SUCCESS"
    assert result.order() == ["ok", "cleanup"]


def test_local_errors_of_a_flowable_run_and_it_stays_failed(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: local-errors
        namespace: test.engine
        tasks:
          - id: seq
            type: {FLOW}.Sequential
            tasks:
              - id: boom
                type: {FAIL}
              - id: skipped-by-failure
                type: {RETURN}
                format: x
            errors:
              - id: local-handler
                type: {RETURN}
                format: local
          - id: after
            type: {RETURN}
            format: x
        errors:
          - id: global-handler
            type: {RETURN}
            format: global
        """
    )
    assert result.state == "FAILED"
    assert result.states() == {
        "seq": "FAILED",
        "boom": "FAILED",
        "local-handler": "SUCCESS",
        "global-handler": "SUCCESS",
    }
    assert result.run("local-handler")["parentTaskRunId"] == result.run("seq")["id"]


def test_allow_failure_ends_in_warning_and_the_flow_goes_on(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: allowed
        namespace: test.engine
        tasks:
          - id: flaky
            type: {FAIL}
            allowFailure: true
          - id: block
            type: {FLOW}.AllowFailure
            tasks:
              - id: inner-fail
                type: {FAIL}
              - id: inner-never
                type: {RETURN}
                format: x
          - id: after
            type: {RETURN}
            format: still here
        """
    )
    assert result.state == "WARNING"
    assert result.states() == {
        "flaky": "WARNING",
        "block": "WARNING",
        "inner-fail": "FAILED",
        "after": "SUCCESS",
    }


def test_allow_warning_turns_a_warning_into_success(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: allow-warning
        namespace: test.engine
        tasks:
          - id: flaky
            type: {FAIL}
            allowFailure: true
            allowWarning: true
        """
    )
    assert result.state == "SUCCESS"
    assert result.run("flaky")["state"] == "SUCCESS"


def test_disabled_tasks_get_no_task_run(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: disabled
        namespace: test.engine
        tasks:
          - id: on
            type: {RETURN}
            format: x
          - id: off
            type: {FAIL}
            disabled: true
          - id: group
            type: {FLOW}.Sequential
            disabled: true
            tasks:
              - id: inside
                type: {RETURN}
                format: x
        """
    )
    assert result.state == "SUCCESS"
    assert result.order() == ["on"]


def test_run_if_false_skips_and_seed_conditions_work(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: run-if
        namespace: test.engine
        inputs:
          - id: go
            type: BOOLEAN
            defaults: false
        tasks:
          - id: check
            type: io.kestra.plugin.core.condition.Expression
            expression: "{{{{ 1 + 1 == 2 }}}}"
          - id: skipped
            type: {RETURN}
            format: x
            runIf: "{{{{ inputs.go }}}}"
          - id: ran
            type: {RETURN}
            format: x
            runIf: "{{{{ not inputs.go }}}}"
          - id: seed-style
            type: {RETURN}
            format: y
            conditions:
              - type: io.kestra.plugin.core.condition.Expression
                expression: "{{{{ outputs.check }}}}"
        """
    )
    assert result.state == "SUCCESS"
    assert result.states() == {
        "check": "SUCCESS",
        "skipped": "SKIPPED",
        "ran": "SUCCESS",
        "seed-style": "SUCCESS",
    }
    assert result.run("skipped")["attempts"] == []


# -- Parallel, If, Switch, Dag ------------------------------------------------------------------


def test_parallel_runs_children_at_once(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: parallel
        namespace: test.engine
        tasks:
          - id: par
            type: {FLOW}.Parallel
            tasks:
              - id: a
                type: {FLOW}.Sleep
                duration: PT0.3S
              - id: b
                type: {FLOW}.Sleep
                duration: PT0.3S
              - id: c
                type: {FLOW}.Sleep
                duration: PT0.3S
          - id: after
            type: {RETURN}
            format: done
        """
    )
    assert result.state == "SUCCESS"
    par = result.run("par")
    assert {r["parentTaskRunId"] for r in result.data["taskRuns"][1:4]} == {par["id"]}
    assert result.order()[-1] == "after"
    record = {r.task_id: r for r in runner.store.task_runs(result.id)}["par"]
    assert record.start_date and record.end_date
    assert seconds_between(record.start_date, record.end_date) < 0.8  # not 3 x 0.3 s


def seconds_between(start: str, end: str) -> float:
    def parse(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return (parse(end) - parse(start)).total_seconds()


def test_parallel_with_concurrent_one_is_sequential_and_stops_on_failure(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: parallel-one
        namespace: test.engine
        tasks:
          - id: par
            type: {FLOW}.Parallel
            concurrent: 1
            tasks:
              - id: a
                type: {RETURN}
                format: x
              - id: b
                type: {FAIL}
              - id: c
                type: {RETURN}
                format: x
        """
    )
    assert result.state == "FAILED"
    assert result.order() == ["par", "a", "b"]


@pytest.mark.parametrize(
    ("value", "branch"),
    [("true", "yes"), ("1", "yes"), ("hello", "yes"), ("false", "no"), ("0", "no"), ("", "no")],
)
def test_if_uses_kestra_truthiness(runner: Runner, value: str, branch: str) -> None:
    result = runner.run(
        f"""
        id: if-flow
        namespace: test.engine
        inputs:
          - id: cond
            type: STRING
            required: false
        tasks:
          - id: decide
            type: {FLOW}.If
            condition: "{{{{ inputs.cond }}}}"
            then:
              - id: "yes"
                type: {RETURN}
                format: x
            else:
              - id: "no"
                type: {RETURN}
                format: x
        """,
        {"cond": value},
    )
    assert result.state == "SUCCESS"
    assert result.order() == ["decide", branch]
    assert result.run("decide")["outputs"] == {"evaluationResult": branch == "yes"}


def test_switch_picks_the_case_or_defaults(runner: Runner) -> None:
    flow = f"""
        id: switch
        namespace: test.engine
        inputs:
          - id: letter
            type: STRING
        tasks:
          - id: sw
            type: {FLOW}.Switch
            value: "{{{{ inputs.letter }}}}"
            cases:
              A:
                - id: case-a
                  type: {RETURN}
                  format: a
              B:
                - id: case-b
                  type: {RETURN}
                  format: b
            defaults:
              - id: other
                type: {RETURN}
                format: other
        """
    chosen = runner.run(flow, {"letter": "B"})
    assert chosen.order() == ["sw", "case-b"]
    assert chosen.run("sw")["outputs"] == {"value": "B", "defaults": False}
    fallback = runner.run(flow, {"letter": "Z"})
    assert fallback.order() == ["sw", "other"]
    assert fallback.run("sw")["outputs"] == {"value": "Z", "defaults": True}


def test_dag_runs_tasks_after_their_dependencies(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: dag
        namespace: test.engine
        tasks:
          - id: graph
            type: {FLOW}.Dag
            tasks:
              - task:
                  id: last
                  type: {RETURN}
                  format: "{{{{ outputs.left.value }}}}+{{{{ outputs.right.value }}}}"
                dependsOn: [left, right]
              - task:
                  id: left
                  type: {RETURN}
                  format: L
                dependsOn: [root]
              - task:
                  id: root
                  type: {RETURN}
                  format: R
              - task:
                  id: right
                  type: {RETURN}
                  format: r
                dependsOn: [root]
        """
    )
    assert result.state == "SUCCESS"
    order = result.order()
    assert order[:2] == ["graph", "root"]
    assert order[-1] == "last"
    assert result.run("last")["outputs"] == {"value": "L+r"}


# -- loops ------------------------------------------------------------------------------------


def test_for_each_outputs_are_keyed_by_value(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: loop
        namespace: test.engine
        tasks:
          - id: each
            type: {FLOW}.ForEach
            values: ["a", "b", "a", 3, {{"k": "v"}}]
            tasks:
              - id: child
                type: {RETURN}
                format: "{{{{ taskrun.value }}}}#{{{{ taskrun.iteration }}}}"
              - id: sibling
                type: {RETURN}
                format: "{{{{ outputs.child[taskrun.value].value }}}}!"
          - id: after
            type: {RETURN}
            format: "{{{{ outputs.child['b'].value }}}} {{{{ outputs.sibling['3'].value }}}}"
        """
    )
    assert result.state == "SUCCESS"
    values = [r["value"] for r in result.runs("child")]
    assert values == ["a", "b", "3", '{"k":"v"}']  # distinct values, JSON for non-strings
    assert result.run("child", '{"k":"v"}')["outputs"] == {"value": '{"k":"v"}#3'}
    assert result.run("after")["outputs"] == {"value": "b#1 3#2!"}


def test_for_each_values_from_a_json_string_and_concurrency(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: loop-json
        namespace: test.engine
        tasks:
          - id: each
            type: {FLOW}.ForEach
            values: '["x", "y", "z", "w"]'
            concurrencyLimit: 0
            tasks:
              - id: wait
                type: {FLOW}.Sleep
                duration: PT0.3S
        """
    )
    assert result.state == "SUCCESS"
    assert len(result.runs("wait")) == 4
    record = runner.store.execution(result.id)
    assert record is not None and record.end_date is not None


def test_nested_for_each_parent_value_and_outputs(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: nested
        namespace: test.engine
        tasks:
          - id: outer
            type: {FLOW}.ForEach
            values: ["s1", "s2"]
            tasks:
              - id: inner
                type: {FLOW}.ForEach
                values: ["a", "b"]
                tasks:
                  - id: leaf
                    type: {RETURN}
                    format: "{{{{ parent.taskrun.value }}}}/{{{{ taskrun.value }}}}"
          - id: read
            type: {RETURN}
            format: "{{{{ outputs.leaf['s2']['a'].value }}}}"
        """
    )
    assert result.state == "SUCCESS"
    assert len(result.runs("leaf")) == 4
    assert result.run("read")["outputs"] == {"value": "s2/a"}


def test_each_sequential_and_each_parallel_aliases(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: each-aliases
        namespace: test.engine
        tasks:
          - id: seq
            type: {FLOW}.EachSequential
            value: ["1", "2"]
            tasks:
              - id: s
                type: {RETURN}
                format: "{{{{ taskrun.value }}}}"
          - id: par
            type: {FLOW}.EachParallel
            value: '[1, 2, 3]'
            tasks:
              - id: p
                type: {RETURN}
                format: "{{{{ taskrun.value }}}}"
        """
    )
    assert result.state == "SUCCESS"
    assert [r["value"] for r in result.runs("s")] == ["1", "2"]
    assert sorted(r["outputs"]["value"] for r in result.runs("p")) == ["1", "2", "3"]


def test_for_each_with_a_null_value_fails(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: nulls
        namespace: test.engine
        tasks:
          - id: each
            type: {FLOW}.ForEach
            values: '["a", null]'
            tasks:
              - id: child
                type: {RETURN}
                format: x
        """
    )
    assert result.state == "FAILED"
    assert result.order() == ["each"]
    assert any("null" in line for line in result.logs())


# -- retry, timeout -----------------------------------------------------------------------------


def test_retry_adds_attempts_to_the_same_task_run(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: retry
        namespace: test.engine
        tasks:
          - id: always
            type: {FAIL}
            retry:
              type: constant
              interval: PT0.01S
              maxAttempts: 3
          - id: flaky
            type: {FAIL}
            condition: "{{{{ taskrun.attemptsCount < 2 }}}}"
            allowFailure: true
            retry:
              type: exponential
              interval: PT0.01S
              maxInterval: PT0.05S
              maxAttempts: 5
        """
    )
    assert result.state == "FAILED"
    always = result.run("always")
    assert [a["state"] for a in always["attempts"]] == ["FAILED", "FAILED", "FAILED"]
    assert always["state"] == "FAILED"
    assert not result.runs("flaky")  # after a failure nothing else is created


def test_retry_until_success_and_warning_on_retry(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: retry-ok
        namespace: test.engine
        tasks:
          - id: flaky
            type: {FAIL}
            condition: "{{{{ taskrun.attemptsCount < 2 }}}}"
            retry:
              type: random
              minInterval: PT0.01S
              maxInterval: PT0.02S
              maxAttempts: 5
          - id: warned
            type: {FAIL}
            condition: "{{{{ taskrun.attemptsCount < 1 }}}}"
            retry:
              type: constant
              interval: PT0.01S
              maxAttempt: 3
              warningOnRetry: true
        """
    )
    assert result.state == "WARNING"
    assert [a["state"] for a in result.run("flaky")["attempts"]] == ["FAILED", "FAILED", "SUCCESS"]
    assert result.run("flaky")["state"] == "SUCCESS"
    assert result.run("warned")["state"] == "WARNING"
    assert len(result.run("warned")["attempts"]) == 2


def test_retry_of_a_flowable_applies_to_its_children(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: retry-flowable
        namespace: test.engine
        tasks:
          - id: group
            type: {FLOW}.Sequential
            retry:
              type: constant
              interval: PT0.01S
              maxAttempts: 2
            tasks:
              - id: child
                type: {FAIL}
        """
    )
    assert result.state == "FAILED"
    assert len(result.run("child")["attempts"]) == 2


def test_timeout_stops_the_task(runner: Runner) -> None:
    started = time.perf_counter()
    result = runner.run(
        f"""
        id: timeout
        namespace: test.engine
        tasks:
          - id: slow
            type: {FLOW}.Sleep
            duration: PT5S
            timeout: PT0.2S
        """
    )
    assert time.perf_counter() - started < 3
    assert result.state == "FAILED"
    assert any("timed out after PT0.2S" in line for line in result.logs())


# -- working directory, subflow, pause --------------------------------------------------------


def test_working_directory_input_and_output_files(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: wd
        namespace: test.engine
        tasks:
          - id: dir
            type: {FLOW}.WorkingDirectory
            inputFiles:
              data.csv: "a,b\\n1,2\\n"
              notes.txt: "{{{{ flow.id }}}}"
            outputFiles:
              - "*.csv"
            tasks:
              - id: inside
                type: {RETURN}
                format: ok
        """
    )
    assert result.state == "SUCCESS"
    files = result.run("dir")["outputs"]["outputFiles"]
    assert list(files) == ["data.csv"]
    assert runner.storage.path(files["data.csv"]).read_text() == "a,b\n1,2\n"


def test_subflow_runs_a_child_execution_with_inputs_and_outputs(runner: Runner) -> None:
    runner.write(
        f"""
        id: child
        namespace: test.sub
        inputs:
          - id: who
            type: STRING
        tasks:
          - id: greet
            type: {RETURN}
            format: "hello {{{{ inputs.who }}}}"
        outputs:
          - id: greeting
            type: STRING
            value: "{{{{ outputs.greet.value }}}}"
        """,
        "child.yml",
    )
    result = runner.run(
        f"""
        id: parent
        namespace: test.engine
        tasks:
          - id: call
            type: {FLOW}.Subflow
            namespace: test.sub
            flowId: child
            inputs:
              who: world
          - id: use
            type: {RETURN}
            format: "{{{{ outputs.call.outputs.greeting }}}} ({{{{ outputs.call.state }}}})"
        """
    )
    assert result.state == "SUCCESS"
    call = result.run("call")
    assert call["outputs"]["state"] == "SUCCESS"
    assert call["outputs"]["outputs"] == {"greeting": "hello world"}
    assert result.run("use")["outputs"] == {"value": "hello world (SUCCESS)"}
    child = runner.store.execution(call["outputs"]["executionId"])
    assert child is not None and child.parent_id == result.id and child.state == "SUCCESS"


def test_subflow_failure_is_transmitted_or_not(runner: Runner) -> None:
    runner.write(
        f"""
        id: broken
        namespace: test.sub
        tasks:
          - id: boom
            type: {FAIL}
        """,
        "broken.yml",
    )
    result = runner.run(
        f"""
        id: parent-failing
        namespace: test.engine
        tasks:
          - id: quiet
            type: {FLOW}.Subflow
            namespace: test.sub
            flowId: broken
            transmitFailed: false
          - id: loud
            type: {FLOW}.Subflow
            namespace: test.sub
            flowId: broken
          - id: missing
            type: {FLOW}.Subflow
            namespace: test.sub
            flowId: nowhere
        """
    )
    assert result.state == "FAILED"
    assert result.states() == {"quiet": "SUCCESS", "loud": "FAILED"}
    assert result.run("quiet")["outputs"]["state"] == "FAILED"


def test_missing_subflow_fails_with_a_readable_message(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: parent-missing
        namespace: test.engine
        tasks:
          - id: missing
            type: {FLOW}.Subflow
            namespace: test.sub
            flowId: nowhere
        """
    )
    assert result.state == "FAILED"
    assert any("flow test.sub.nowhere not found" in line for line in result.logs())


def test_pause_with_a_duration_waits_then_goes_on(runner: Runner) -> None:
    started = time.perf_counter()
    result = runner.run(
        f"""
        id: pause-duration
        namespace: test.engine
        tasks:
          - id: wait
            type: {FLOW}.Pause
            pauseDuration: PT0.2S
          - id: after
            type: {RETURN}
            format: x
        """
    )
    assert time.perf_counter() - started >= 0.2
    assert result.state == "SUCCESS"
    assert result.states() == {"wait": "SUCCESS", "after": "SUCCESS"}


def test_pause_without_duration_pauses_until_resumed(runner: Runner) -> None:
    paused = runner.run(
        f"""
        id: pause-manual
        namespace: test.engine
        tasks:
          - id: before
            type: {RETURN}
            format: x
          - id: wait
            type: {FLOW}.Pause
          - id: after
            type: {RETURN}
            format: "{{{{ outputs.before.value }}}}"
        """
    )
    assert paused.state == "PAUSED"
    assert paused.states() == {"before": "SUCCESS", "wait": "PAUSED"}
    resumed = runner.resume(paused.id)
    assert resumed.state == "SUCCESS"
    assert resumed.states() == {"before": "SUCCESS", "wait": "SUCCESS", "after": "SUCCESS"}
    assert resumed.run("after")["outputs"] == {"value": "x"}
    assert resumed.run("before")["id"] == paused.run("before")["id"]


# -- inputs, labels, secrets, errors ----------------------------------------------------------


def test_invalid_inputs_fail_the_execution_with_a_readable_log(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: typed
        namespace: test.engine
        inputs:
          - id: count
            type: INT
        tasks:
          - id: t
            type: {RETURN}
            format: "{{{{ inputs.count }}}}"
        """,
        {"count": "many"},
    )
    assert result.state == "FAILED"
    assert result.data["taskRuns"] == []
    assert any("count" in line for line in result.logs())


def test_labels_task_sets_execution_labels(runner: Runner) -> None:
    result = runner.run(
        """
        id: labelled
        namespace: test.engine
        labels:
          team: data
        tasks:
          - id: label
            type: io.kestra.plugin.core.execution.Labels
            labels:
              stage: "{{ flow.id }}"
        """
    )
    assert result.state == "SUCCESS"
    record = runner.store.execution(result.id)
    assert record is not None
    assert record.labels == {
        "team": "data",
        "system.correlationId": result.id,
        "stage": "labelled",
    }


def test_secrets_are_masked_in_logs(runner: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_API_TOKEN", base64.b64encode(b"s3cr3t-value").decode())
    result = runner.run(
        f"""
        id: secrets
        namespace: test.engine
        tasks:
          - id: leak
            type: {LOG}
            message: "token is {{{{ secret('API_TOKEN') }}}}"
          - id: fail
            type: {FAIL}
            errorMessage: "failed with {{{{ secret('API_TOKEN') }}}}"
        """
    )
    assert result.state == "FAILED"
    logs = "\n".join(result.logs())
    assert "s3cr3t-value" not in logs
    assert "token is ******" in logs
    record = runner.store.execution(result.id)
    assert record is not None and "s3cr3t-value" not in (record.error or "")


def test_template_errors_fail_the_task_with_a_message(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: bad-template
        namespace: test.engine
        tasks:
          - id: t
            type: {RETURN}
            format: "{{{{ inputs.nope ?? undefined_thing.x }}}}"
        """
    )
    assert result.state == "FAILED"
    assert result.run("t")["state"] == "FAILED"
    assert any("undefined_thing" in line for line in result.logs())


def test_flow_outputs_that_cannot_render_fail_the_execution(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: bad-outputs
        namespace: test.engine
        tasks:
          - id: t
            type: {RETURN}
            format: x
        outputs:
          - id: o
            type: STRING
            value: "{{{{ outputs.t.value | fromJson }}}}"
        """
    )
    assert result.state == "FAILED"
    assert result.outputs == {}


def test_task_run_start_date_and_execution_variables(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: variables
        namespace: test.engine
        variables:
          greeting: hi
        tasks:
          - id: t
            type: {RETURN}
            format: "{{{{ vars.greeting }}}} {{{{ execution.id }}}} {{{{ taskrun.startDate }}}}"
        """
    )
    value = result.run("t")["outputs"]["value"]
    greeting, execution_id, start = value.split(" ")
    assert greeting == "hi" and execution_id == result.id
    assert start.endswith("Z") and "T" in start


def test_subflow_without_wait_returns_at_once(runner: Runner) -> None:
    runner.write(
        f"""
        id: slow-child
        namespace: test.sub
        tasks:
          - id: nap
            type: {FLOW}.Sleep
            duration: PT0.3S
        """,
        "slow-child.yml",
    )
    result = runner.run(
        f"""
        id: fire-and-forget
        namespace: test.engine
        tasks:
          - id: start
            type: {FLOW}.Subflow
            namespace: test.sub
            flowId: slow-child
            wait: false
        """
    )
    assert result.state == "SUCCESS"
    outputs = result.run("start")["outputs"]
    assert outputs["state"] == "RUNNING"
    child = runner.store.execution(outputs["executionId"])
    assert child is not None and child.state == "SUCCESS"  # the runner waited before returning


def test_switch_without_a_matching_case_or_defaults_fails(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: switch-none
        namespace: test.engine
        tasks:
          - id: sw
            type: {FLOW}.Switch
            value: "zzz"
            cases:
              a:
                - id: case-a
                  type: {RETURN}
                  format: a
        """
    )
    assert result.state == "FAILED"
    assert result.order() == ["sw"]


def test_pause_with_only_a_timeout_fails_when_it_passes(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: pause-timeout
        namespace: test.engine
        tasks:
          - id: wait
            type: {FLOW}.Pause
            timeout: PT0.1S
          - id: after
            type: {RETURN}
            format: x
        """
    )
    assert result.state == "FAILED"
    assert result.order() == ["wait"]


def test_after_execution_tasks_see_the_final_state(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: after-execution
        namespace: test.engine
        tasks:
          - id: boom
            type: {FAIL}
        afterExecution:
          - id: report
            type: {RETURN}
            format: "ended {{{{ execution.state }}}}"
        """
    )
    assert result.state == "FAILED"
    assert result.run("report")["outputs"] == {"value": "ended FAILED"}


def test_working_directory_children_get_its_loop_value(runner: Runner) -> None:
    result = runner.run(
        f"""
        id: wd-loop
        namespace: test.engine
        tasks:
          - id: each
            type: {FLOW}.ForEach
            values: ["1", "2"]
            tasks:
              - id: dir
                type: {FLOW}.WorkingDirectory
                tasks:
                  - id: inside
                    type: {RETURN}
                    format: "{{{{ taskrun.value }}}}"
        """
    )
    assert result.state == "SUCCESS"
    assert sorted(r["outputs"]["value"] for r in result.runs("inside")) == ["1", "2"]


def test_the_engine_does_not_import_the_compiler_checker() -> None:
    code = (
        "import sys, kflow.runtime_shims.engine, kflow.runtime_shims.flowables;"
        "print(sorted(m for m in sys.modules if m.startswith('kflow.compiler')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['kflow.compiler', 'kflow.compiler.ir', 'kflow.compiler.source']"
