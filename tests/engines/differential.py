"""What the engine tests share: which flows to run, the runner's report, and how reports compare.

A flow is compared on every target when it needs no external service: each of its tasks is a
flowable or a task type kflow implements with no network (no HTTP, script or database task). Its
report on a target must equal the bundled runner's: the final state, and per task run (task id,
loop value) its state and outputs. Ids and dates differ between two executions by nature:
`normalize` replaces the execution id, task run ids and timestamps with placeholders.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kflow.cli import main
from kflow.compiler import ir
from kflow.compiler.api import check_file
from kflow.compiler.lower import lower

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
OFFLINE_PREFIXES = (
    "io.kestra.plugin.core.flow.",
    "io.kestra.plugin.core.log.Log",
    "io.kestra.plugin.core.debug.",
    "io.kestra.plugin.core.output.",
    "io.kestra.plugin.core.execution.Fail",
    "io.kestra.plugin.core.execution.Labels",
    "io.kestra.plugin.core.kv.",
    "io.kestra.plugin.core.storage.",
)
#: Golden cases that are errors on purpose.
NOT_COMPILED = {"bad-references"}


@dataclass(frozen=True)
class Case:
    name: str  # golden case name, or seed file stem
    path: Path
    flow: ir.Flow

    @property
    def offline(self) -> bool:
        return all(t.type.startswith(OFFLINE_PREFIXES) for t in self.flow.all_tasks())


def cases() -> list[Case]:
    """Every golden and seed flow that compiles (the golden `seed-*` cases are the seed's)."""
    paths = [
        (p.parent.name, p)
        for p in sorted((REPO / "golden").glob("*/flow.yml"))
        if p.parent.name not in NOT_COMPILED and not p.parent.name.startswith("seed-")
    ]
    paths += [(p.stem, p) for p in sorted((SHARED / "examples/seed").glob("*.yml"))]
    found = []
    for name, path in paths:
        checked = check_file(str(path))
        if checked.ok:
            found.append(Case(name, path, lower(checked)))
    return found


def runner_report(
    capsys: pytest.CaptureFixture[str], path: Path, state_dir: Path, inputs: dict[str, str]
) -> dict[str, Any]:
    """The bundled runner's `--output json` report of one flow."""
    flows_dir = REPO / "golden" if path.is_relative_to(REPO / "golden") else path.parent
    argv = ["run", str(path), "--output", "json", "--state-dir", str(state_dir)]
    argv += ["--flows-dir", str(flows_dir)]  # where a Subflow finds its flow
    for key, value in inputs.items():
        argv += ["--input", f"{key}={value}"]
    main(argv)
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


# kflow's execution and task run ids, and Prefect's flow run ids (a Prefect execution's id)
_ID = re.compile(r"\b[0-9A-Za-z]{22}\b|\b[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}\b")
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?")


def normalize(report: dict[str, Any]) -> dict[str, Any]:
    """What must be equal between two executions of one flow, wherever they ran."""
    text = json.dumps(report)
    ids = [report.get("id") or ""] + [run.get("id") or "" for run in report["taskRuns"]]
    for found in ids:
        if found:
            text = text.replace(found, "<id>")
    text = _ID.sub("<id>", _TIMESTAMP.sub("<date>", text))
    data = json.loads(text)
    runs = sorted(
        (
            (
                run["taskId"],
                str(run["value"]),
                run["state"],
                json.dumps(run["outputs"], sort_keys=True),
            )
            for run in data["taskRuns"]
        ),
    )
    return {"state": data["state"], "outputs": data.get("outputs") or {}, "taskRuns": runs}
