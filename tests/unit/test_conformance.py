"""Kestra's own test flows (conformance/kestra-0.21): valids validate, invalids are rejected."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kflow.compiler.api import check_file
from kflow.compiler.diagnostics import Severity

TEST_ONLY_TYPE = re.compile(r"type:\s*\"?io\.kestra\.core\.(?:tasks\.test|runners\.test)\.")

# invalid flow → the errors kflow must give, as (code, line of the offending node)
INVALIDS: dict[str, list[tuple[str, int]]] = {
    "dag-cyclicdependency.yaml": [("KF306", 13)],
    "dag-notexist-task.yaml": [("KF307", 17)],
    "duplicate-inputs.yaml": [("KF304", 8)],
    "duplicate-key.yaml": [("KF102", 10)],
    "duplicate-parallel.yaml": [("KF310", 8), ("KF303", 38)],
    "duplicate.yaml": [
        ("KF303", 6),
        ("KF303", 21),
        ("KF303", 25),
        ("KF303", 30),
        ("KF305", 37),
    ],
    "empty.yaml": [("KF201", 1)],
    "inputs-bad-type.yaml": [("KF215", 4), ("KF209", 5)],
    "inputs-bad-validator-syntax.yaml": [("KF215", 6)],
    "inputs-validation.yaml": [("KF210", 7), ("KF215", 10)],
    "inputs.yaml": [("KF201", 4), ("KF215", 4)],
    "invalid-parallel.yaml": [
        ("KF301", 1),
        ("KF302", 2),
        ("KF212", 13),
        ("KF212", 17),
        ("KF212", 21),
    ],
    "invalid-property.yaml": [("KF202", 7)],
    "invalid-task.yaml": [("KF204", 7), ("KF204", 12), ("KF204", 18)],
    "invalid.yaml": [("KF301", 1), ("KF302", 2), ("KF201", 4)],
    "listener.yaml": [("KF212", 7), ("KF212", 9)],
    "recursive-flow.yaml": [("KF313", 7)],
    "switch-invalid.yaml": [("KF212", 10)],
    "system-labels.yaml": [("KF314", 5), ("KF314", 6), ("KF201", 10)],
    "worker-group.yaml": [("KF316", 8)],
    "workingdirectory-invalid.yaml": [("KF317", 12)],
    "workingdirectory-no-tasks.yaml": [("KF212", 6)],
}


def errors(path: Path) -> list[tuple[str, int]]:
    checked = check_file(str(path))
    return [(d.code, d.span.line) for d in checked.diagnostics if d.level is Severity.ERROR]


def test_every_invalid_flow_is_listed(shared: Path) -> None:
    names = sorted(p.name for p in (shared / "conformance/kestra-0.21/invalids").iterdir())
    assert names == sorted(INVALIDS)


@pytest.mark.parametrize("name", sorted(INVALIDS))
def test_invalid_flow_is_rejected_on_the_offending_line(shared: Path, name: str) -> None:
    assert errors(shared / "conformance/kestra-0.21/invalids" / name) == INVALIDS[name]


def test_valid_flows_validate(shared: Path) -> None:
    files = sorted((shared / "conformance/kestra-0.21/valids").iterdir())
    usable = [f for f in files if not TEST_ONLY_TYPE.search(f.read_text(encoding="utf-8"))]
    failing = {f.name: errors(f) for f in usable}
    failing = {name: found for name, found in failing.items() if found}
    rate = 1 - len(failing) / len(usable)
    assert len(usable) > 150
    assert rate >= 0.95, f"{len(failing)} of {len(usable)} valid flows have errors: {failing}"


def test_seed_flows_validate_with_warnings_only(shared: Path) -> None:
    for path in sorted((shared / "examples/seed").glob("*.yml")):
        assert errors(path) == [], path.name
