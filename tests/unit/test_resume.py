"""Crash safety: after `kill -9` mid-flow, `kflow executions resume` finishes the execution
without running again the task runs that had ended, and without losing their outputs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kflow.runner_cli import main
from kflow.runtime_shims.state import StateStore

FLOW = """
id: crash
namespace: test.resume
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: "first at {{ taskrun.startDate }}"
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT5S
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.first.value }} / last"
"""


def wait_for(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_resume_after_kill_9_does_not_rerun_finished_tasks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "crash.yml"
    flow.write_text(textwrap.dedent(FLOW), encoding="utf-8")
    state = tmp_path / "state"
    process = subprocess.Popen(
        [sys.executable, "-m", "kflow.runner_cli", "run", str(flow), "--state-dir", str(state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: (state / "state.db").is_file())
        store = StateStore(state)

        def first_done() -> bool:
            executions = store.executions()
            if not executions:
                return False
            runs = {r.task_id: r for r in store.task_runs(executions[0].id)}
            return (
                runs.get("first") is not None
                and runs["first"].state == "SUCCESS"
                and ("nap" in runs)
            )

        wait_for(first_done)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    execution = store.executions()[0]
    assert execution.state == "RUNNING"
    before = {r.task_id: r for r in store.task_runs(execution.id)}
    assert before["first"].state == "SUCCESS"
    assert before["nap"].state == "RUNNING"
    assert "last" not in before

    code = main(
        [
            "executions",
            "resume",
            "--id",
            execution.id,
            "--state-dir",
            str(state),
            "--output",
            "json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["state"] == "SUCCESS"
    after = {r["taskId"]: r for r in report["taskRuns"]}
    assert [r["taskId"] for r in report["taskRuns"]] == ["first", "nap", "last"]
    first = after["first"]
    assert first["id"] == before["first"].id
    assert first["outputs"] == before["first"].outputs
    assert first["attempts"] == before["first"].attempts
    assert len(first["attempts"]) == 1
    assert after["nap"]["id"] == before["nap"].id  # the interrupted run goes on, same task run
    assert [a["state"] for a in after["nap"]["attempts"]] == ["SUCCESS"]
    assert after["last"]["outputs"] == {"value": f"{first['outputs']['value']} / last"}


def test_resume_refuses_an_execution_that_a_live_process_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flow = tmp_path / "slow.yml"
    flow.write_text(
        textwrap.dedent(
            """
            id: slow
            namespace: test.resume
            tasks:
              - id: nap
                type: io.kestra.plugin.core.flow.Sleep
                duration: PT10S
            """
        ),
        encoding="utf-8",
    )
    state = tmp_path / "state"
    process = subprocess.Popen(
        [sys.executable, "-m", "kflow.runner_cli", "run", str(flow), "--state-dir", str(state)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: (state / "state.db").is_file())
        store = StateStore(state)
        wait_for(lambda: bool(store.executions()) and store.executions()[0].state == "RUNNING")
        execution = store.executions()[0]
        code = main(["executions", "resume", "--id", execution.id, "--state-dir", str(state)])
        assert code == 1
        assert "is being run by process" in capsys.readouterr().err
    finally:
        process.kill()
        process.wait()
