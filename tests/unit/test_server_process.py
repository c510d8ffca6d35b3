"""`kflow server` as its own process: restarts, shutdown, and `kflow run` beside it.

The server runs as `python -m kflow server --port 0 …` (its first stdout line gives its URL) and
is stopped with SIGTERM, as a service manager would; executions are read back from the state
database the processes share.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import httpx
import pytest

from tests.unit.test_server import (
    RETURN,
    SCHEDULE,
    WEBHOOK,
    ended,
    executions,
    schedule_date,
    wait_for,
    write,
)


@contextmanager
def server_process(flows: Path, state: Path, *options: str) -> Iterator[tuple[str, Path]]:
    """A running `kflow server` process: its URL and its log file; SIGTERM at the end."""
    log = state.parent / f"server-{time.monotonic_ns()}.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kflow",
                "server",
                "--port",
                "0",
                "--flows-dir",
                str(flows),
                "--state-dir",
                str(state),
                *options,
            ],
            stdout=subprocess.PIPE,
            stderr=err,
        )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().decode()
        assert "listening on http://" in line, log.read_text()
        yield line.split("listening on ")[1].split()[0], log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, log.read_text()


TICK = f"""
id: tick
namespace: team.clock
tasks:
  - id: t
    type: {RETURN}
    format: "{{{{ trigger.date }}}}"
triggers:
  - id: every-second
    type: {SCHEDULE}
    cron: "* * * * * *"
    withSeconds: true
"""


def test_a_restart_neither_misses_nor_doubles_a_scheduled_date(tmp_path: Path) -> None:
    flows, state = tmp_path / "flows", tmp_path / "state"
    write(flows / "tick.yml", TICK)
    with server_process(flows, state):
        wait_for(lambda: len(executions(state, "tick")) >= 3, what="scheduled executions")
    stopped = len(executions(state, "tick"))
    time.sleep(2.5)  # dates pass while no server runs
    assert len(executions(state, "tick")) == stopped
    with server_process(flows, state):
        wait_for(lambda: len(executions(state, "tick")) >= stopped + 5, what="more executions")
    records = executions(state, "tick")
    dates = sorted(schedule_date(r) for r in records)
    assert len(dates) == len(set(dates)), "a date ran twice"
    gaps = [b - a for a, b in pairwise(dates)]
    assert set(gaps) == {timedelta(seconds=1)}, "a date was missed"
    assert all(r.state == "SUCCESS" for r in records)


def test_a_flow_trigger_fires_after_kflow_run_in_another_process(tmp_path: Path) -> None:
    flows, state = tmp_path / "flows", tmp_path / "state"
    upstream = write(
        flows / "upstream.yml",
        f"""
        id: upstream
        namespace: team.chain
        tasks:
          - id: t
            type: {RETURN}
            format: "42"
        outputs:
          - id: answer
            type: STRING
            value: "{{{{ outputs.t.value }}}}"
        """,
    )
    write(
        flows / "downstream.yml",
        f"""
        id: downstream
        namespace: team.chain
        inputs:
          - id: answer
            type: INT
        tasks:
          - id: t
            type: {RETURN}
            format: "{{{{ inputs.answer }}}} from {{{{ trigger.executionId }}}}"
        triggers:
          - id: after-upstream
            type: io.kestra.plugin.core.trigger.Flow
            inputs:
              answer: "{{{{ trigger.outputs.answer }}}}"
            conditions:
              - type: io.kestra.plugin.core.condition.ExecutionFlow
                namespace: team.chain
                flowId: upstream
              - type: io.kestra.plugin.core.condition.ExecutionStatus
                in: [SUCCESS]
        """,
    )
    with server_process(flows, state):
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "kflow",
                "run",
                str(upstream),
                "--state-dir",
                str(state),
                "--output",
                "json",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        upstream_id = __import__("json").loads(run.stdout)["id"]
        found = wait_for(lambda: executions(state, "downstream"), what="the downstream run")
        record = ended(state, found[0].id)
    assert record.state == "SUCCESS"
    assert record.inputs == {"answer": 42}
    assert (record.trigger or {})["executionId"] == upstream_id
    assert len(executions(state, "downstream")) == 1


def test_shutdown_leaves_unfinished_executions_to_the_next_start(tmp_path: Path) -> None:
    flows, state = tmp_path / "flows", tmp_path / "state"
    write(
        flows / "slow.yml",
        f"""
        id: slow
        namespace: team.slow
        tasks:
          - id: nap
            type: io.kestra.plugin.core.flow.Sleep
            duration: PT1.5S
          - id: done
            type: {RETURN}
            format: done
        triggers:
          - id: hook
            type: {WEBHOOK}
            key: slow-key
        """,
    )
    with server_process(flows, state, "--workers", "1", "--grace", "0.2") as (url, log):
        hook = f"{url}/api/v1/executions/webhook/team.slow/slow/slow-key"
        ids = [httpx.post(hook).json()["id"] for _ in range(3)]
        wait_for(lambda: any(r.state == "RUNNING" for r in executions(state)), what="a run")
    states = sorted(r.state for r in executions(state, "slow"))
    assert states == ["CREATED", "CREATED", "RUNNING"]
    assert "left to resume" in log.read_text()
    with server_process(flows, state, "--workers", "2"):
        for execution_id in ids:
            assert ended(state, execution_id, timeout=20).state == "SUCCESS"


@pytest.mark.parametrize("argv", [["--workers", "0"], ["--port", "70000"]])
def test_bad_options_are_usage_errors(tmp_path: Path, argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "kflow", "server", "--flows-dir", str(tmp_path), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and "error:" in result.stderr


def test_a_taken_port_is_a_usage_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "kflow",
                "server",
                "--flows-dir",
                str(tmp_path),
                "--port",
                str(port),
                "--state-dir",
                str(tmp_path / "state"),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
