"""The runner's commands: `run`, `flows`, `namespaces`, `executions` (in-process, real state)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from kflow.runner_cli import main

RETURN = "io.kestra.plugin.core.debug.Return"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    root = tmp_path / "flows"
    write(
        root / "hello.yml",
        f"""
        id: hello
        namespace: team.demo
        inputs:
          - id: name
            type: STRING
            defaults: world
          - id: times
            type: INT
            required: false
        tasks:
          - id: greet
            type: {RETURN}
            format: "hello {{{{ inputs.name }}}}"
          - id: log
            type: io.kestra.plugin.core.log.Log
            message: "{{{{ outputs.greet.value }}}}"
        outputs:
          - id: greeting
            type: STRING
            value: "{{{{ outputs.greet.value }}}}"
        """,
    )
    write(
        root / "nested" / "failing.yaml",
        """
        id: failing
        namespace: team.other
        tasks:
          - id: boom
            type: io.kestra.plugin.core.execution.Fail
            errorMessage: nope
        """,
    )
    return root


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code, out, _err = run_cli(capsys, *argv, "--output", "json")
    return code, json.loads(out)


def test_run_prints_one_json_report(
    capsys: pytest.CaptureFixture[str], flows: Path, state: Path
) -> None:
    code, report = run_json(
        capsys, "run", str(flows / "hello.yml"), "--input", "name=kflow", "--state-dir", str(state)
    )
    assert code == 0
    assert set(report) == {"id", "namespace", "flowId", "state", "inputs", "outputs", "taskRuns"}
    assert report["namespace"] == "team.demo" and report["flowId"] == "hello"
    assert report["state"] == "SUCCESS"
    assert report["inputs"] == {"name": "kflow", "times": None}
    assert report["outputs"] == {"greeting": "hello kflow"}
    runs = report["taskRuns"]
    assert [r["taskId"] for r in runs] == ["greet", "log"]
    assert set(runs[0]) == {
        "id",
        "taskId",
        "parentTaskRunId",
        "value",
        "state",
        "attempts",
        "outputs",
    }
    assert runs[0]["outputs"] == {"value": "hello kflow"}
    assert runs[0]["attempts"][0]["state"] == "SUCCESS"


def test_run_text_output_and_exit_code_of_a_failure(
    capsys: pytest.CaptureFixture[str], flows: Path, state: Path
) -> None:
    code, out, _ = run_cli(
        capsys, "run", str(flows / "nested" / "failing.yaml"), "--state-dir", str(state)
    )
    assert code == 1
    assert "FAILED" in out and "boom" in out and "nope" in out


def test_run_reports_flow_errors_without_an_execution(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, state: Path
) -> None:
    bad = write(
        tmp_path / "bad.yml",
        """
        id: bad
        namespace: team.demo
        tasks:
          - id: t
            type: io.kestra.plugin.core.debug.Retrun
            format: x
        """,
    )
    code, out, err = run_cli(capsys, "run", str(bad), "--state-dir", str(state))
    assert code == 1
    assert "KF204" in err and "nothing was run" in err
    code, out, _ = run_cli(
        capsys, "executions", "list", "--state-dir", str(state), "--format", "json"
    )
    assert json.loads(out) == []


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "run", str(tmp_path / "missing.yml"))
    assert code == 2 and "no such file" in err
    flow = write(
        tmp_path / "f.yml", f"id: f\nnamespace: a\ntasks:\n  - id: t\n    type: {RETURN}\n"
    )
    code, _, err = run_cli(capsys, "run", str(flow), "--input", "novalue")
    assert code == 2 and "NAME=VALUE" in err


def test_invalid_input_ends_the_execution_failed(
    capsys: pytest.CaptureFixture[str], flows: Path, state: Path
) -> None:
    code, report = run_json(
        capsys, "run", str(flows / "hello.yml"), "--input", "times=lots", "--state-dir", str(state)
    )
    assert code == 1
    assert report["state"] == "FAILED" and report["taskRuns"] == []
    code, out, _ = run_cli(
        capsys, "executions", "logs", "--id", report["id"], "--state-dir", str(state)
    )
    assert "input 'times'" in out


def test_file_inputs_are_stored_in_internal_storage(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, state: Path
) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a,b\n", encoding="utf-8")
    flow = write(
        tmp_path / "file.yml",
        f"""
        id: file-input
        namespace: team.demo
        inputs:
          - id: data
            type: FILE
        tasks:
          - id: t
            type: {RETURN}
            format: "{{{{ inputs.data }}}}"
        """,
    )
    code, report = run_json(
        capsys, "run", str(flow), "--input", f"data=@{data}", "--state-dir", str(state)
    )
    assert code == 0
    uri = report["inputs"]["data"]
    assert uri.startswith("kestra:///team/demo/file-input/executions/")
    stored = list((state / "storage").rglob("data.csv"))
    assert len(stored) == 1 and stored[0].read_text() == "a,b\n"


def test_flows_and_namespaces_list(
    capsys: pytest.CaptureFixture[str], flows: Path, state: Path
) -> None:
    code, out, _ = run_cli(capsys, "flows", "list", "--flows-dir", str(flows), "--format", "json")
    assert code == 0
    assert [(f["namespace"], f["id"]) for f in json.loads(out)] == [
        ("team.demo", "hello"),
        ("team.other", "failing"),
    ]
    code, out, _ = run_cli(
        capsys, "flows", "list", "--flows-dir", str(flows), "--namespace", "team.other"
    )
    assert "failing" in out and "hello" not in out
    code, out, _ = run_cli(
        capsys, "namespaces", "list", "--flows-dir", str(flows), "--state-dir", str(state)
    )
    assert out.split() == ["team.demo", "team.other"]


def test_flows_execute_and_executions_commands(
    capsys: pytest.CaptureFixture[str], flows: Path, state: Path
) -> None:
    common = ["--flows-dir", str(flows), "--state-dir", str(state)]
    code, report = run_json(
        capsys, "flows", "execute", "--namespace", "team.demo", "--flow", "hello", *common
    )
    assert code == 0 and report["state"] == "SUCCESS"
    code, _ = run_json(
        capsys, "flows", "execute", "--namespace", "team.other", "--flow", "failing", *common
    )
    assert code == 1
    code, out, err = run_cli(capsys, "flows", "execute", "--namespace", "x", "--flow", "y", *common)
    assert code == 1 and "not found" in err

    code, out, _ = run_cli(
        capsys, "executions", "list", "--state-dir", str(state), "--format", "json"
    )
    listed = json.loads(out)
    assert [e["state"] for e in listed] == ["SUCCESS", "FAILED"]
    code, out, _ = run_cli(
        capsys, "executions", "list", "--state-dir", str(state), "--state", "failed"
    )
    assert "failing" in out and "hello" not in out
    code, out, _ = run_cli(
        capsys,
        "executions",
        "list",
        "--state-dir",
        str(state),
        "--namespace",
        "team.demo",
        "--flow",
        "hello",
    )
    assert report["id"] in out

    code, out, _ = run_cli(
        capsys, "executions", "get", "--id", report["id"], "--state-dir", str(state)
    )
    assert code == 0 and "SUCCESS" in out and "greet" in out
    code, out, _ = run_cli(
        capsys,
        "executions",
        "get",
        "--id",
        report["id"],
        "--state-dir",
        str(state),
        "--format",
        "json",
    )
    assert json.loads(out) == report

    code, out, _ = run_cli(
        capsys,
        "executions",
        "logs",
        "--id",
        report["id"],
        "--state-dir",
        str(state),
        "--level",
        "INFO",
        "--task",
        "log",
    )
    assert "hello world" in out
    code, out, _ = run_cli(
        capsys,
        "executions",
        "logs",
        "--id",
        report["id"],
        "--state-dir",
        str(state),
        "--level",
        "ERROR",
    )
    assert out == ""
    code, out, _ = run_cli(
        capsys, "executions", "logs", "--id", report["id"], "--state-dir", str(state), "--follow"
    )
    assert code == 0 and "hello world" in out

    code, _, err = run_cli(capsys, "executions", "get", "--id", "nope", "--state-dir", str(state))
    assert code == 1 and "no execution" in err


def test_pause_and_resume_through_the_cli(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, state: Path
) -> None:
    flow = write(
        tmp_path / "pause.yml",
        f"""
        id: approval
        namespace: team.demo
        tasks:
          - id: before
            type: {RETURN}
            format: prepared
          - id: wait
            type: io.kestra.plugin.core.flow.Pause
          - id: after
            type: {RETURN}
            format: "{{{{ outputs.before.value }}}} and approved"
        """,
    )
    code, out, _ = run_cli(capsys, "run", str(flow), "--state-dir", str(state))
    assert code == 1
    assert "PAUSED" in out and "kflow executions resume --id" in out
    execution_id = out.split("--id ")[-1].split()[0]
    code, report = run_json(
        capsys, "executions", "resume", "--id", execution_id, "--state-dir", str(state)
    )
    assert code == 0 and report["state"] == "SUCCESS"
    assert [r["taskId"] for r in report["taskRuns"]] == ["before", "wait", "after"]
    assert report["taskRuns"][2]["outputs"] == {"value": "prepared and approved"}
    code, _, err = run_cli(
        capsys, "executions", "resume", "--id", execution_id, "--state-dir", str(state)
    )
    assert code == 1 and "already ended in SUCCESS" in err


def test_state_dir_comes_from_kflow_home(
    capsys: pytest.CaptureFixture[str],
    flows: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("KFLOW_HOME", str(home))
    code, report = run_json(capsys, "run", str(flows / "hello.yml"))
    assert code == 0
    assert (home / "state.db").is_file()
    code, out, _ = run_cli(capsys, "executions", "list")
    assert report["id"] in out
