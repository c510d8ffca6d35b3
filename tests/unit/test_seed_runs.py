"""The seed flows that need no external service run on the runner and do what the notes say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kflow.cli import main


def run(capsys: pytest.CaptureFixture[str], flow: Path, tmp: Path, *inputs: str) -> dict[str, Any]:
    argv = ["run", str(flow), "--output", "json", "--state-dir", str(tmp)]
    for pair in inputs:
        argv += ["--input", pair]
    code = main(argv)
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert code == (0 if report["state"] in ("SUCCESS", "WARNING") else 1)
    return report


def by_task(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {run["taskId"]: run for run in report["taskRuns"]}


@pytest.fixture
def seed(shared: Path) -> Path:
    return shared / "examples/seed"


def test_04_variables_templating(seed: Path, tmp_path: Path, capsys: Any) -> None:
    report = run(capsys, seed / "04-variables-templating.yml", tmp_path)
    runs = by_task(report)
    assert report["state"] == "SUCCESS"
    # "{{ task.id }} started at {{ execution.startDate }}", read back through a hyphenated id
    assert runs["set-vars"]["outputs"]["value"].startswith("set-vars started at 20")
    assert runs["use-output"]["state"] == "SUCCESS"


def test_05_conditional_execution(seed: Path, tmp_path: Path, capsys: Any) -> None:
    report = run(capsys, seed / "05-conditional-execution.yml", tmp_path)
    runs = by_task(report)
    assert report["state"] == "SUCCESS"
    daytime = runs["check-condition"]["outputs"]["value"]
    assert isinstance(daytime, bool)
    # the task-level condition reads the check's result: the task runs only in day hours
    assert runs["day-task"]["state"] == ("SUCCESS" if daytime else "SKIPPED")


def test_06_parallel_processing(seed: Path, tmp_path: Path, capsys: Any) -> None:
    report = run(capsys, seed / "06-parallel-processing.yml", tmp_path)
    assert report["state"] == "SUCCESS"
    assert {t: r["state"] for t, r in by_task(report).items()} == {
        "parallel-tasks": "SUCCESS",
        "task1": "SUCCESS",
        "task2": "SUCCESS",
    }


def test_09_inputs_default_and_given(seed: Path, tmp_path: Path, capsys: Any) -> None:
    report = run(capsys, seed / "09-inputs.yml", tmp_path)
    assert report["state"] == "SUCCESS"
    assert report["inputs"]["filename"] == "data.csv"
    assert report["inputs"]["process_date"] is None
    report = run(
        capsys,
        seed / "09-inputs.yml",
        tmp_path,
        "filename=orders.csv",
        "process_date=2024-01-31T10:00:00+01:00",
    )
    assert report["inputs"] == {"filename": "orders.csv", "process_date": "2024-01-31T09:00:00Z"}


def test_09_inputs_reject_a_bad_datetime(seed: Path, tmp_path: Path, capsys: Any) -> None:
    code = main(
        [
            "run",
            str(seed / "09-inputs.yml"),
            "--state-dir",
            str(tmp_path),
            "--input",
            "process_date=yesterday",
        ]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert "process_date" in captured.out + captured.err


def test_10_task_outputs(seed: Path, tmp_path: Path, capsys: Any) -> None:
    report = run(capsys, seed / "10-task-outputs.yml", tmp_path)
    runs = by_task(report)
    assert report["state"] == "SUCCESS"
    assert runs["generate-data"]["outputs"]["value"] == f"output-data-{report['id']}"


def test_14_quick_reference(seed: Path, tmp_path: Path, capsys: Any) -> None:
    report = run(capsys, seed / "14-quick-reference.yml", tmp_path)
    assert report["state"] == "SUCCESS"
    assert [r["taskId"] for r in report["taskRuns"]] == ["only-task"]
