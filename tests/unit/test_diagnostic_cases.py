"""Every diagnostic code has a flow in tests/diagnostics/ that triggers it, at a known place."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from kflow.compiler.api import check_file, compile_paths, validate_paths
from kflow.compiler.diagnostics import CODES, Diagnostic

CASES_DIR = Path(__file__).resolve().parents[1] / "diagnostics"

# file → every diagnostic it must give, as (code, line, column); nothing else may be reported
EXPECTED: dict[str, list[tuple[str, int, int]]] = {
    "KF101-yaml-syntax.yml": [("KF101", 6, 14)],
    "KF102-duplicate-key.yml": [("KF102", 7, 5)],
    "KF103-empty-file.yml": [("KF103", 1, 1)],
    "KF104-multiple-documents.yml": [("KF104", 8, 1)],
    "KF105-not-a-mapping.yml": [("KF105", 1, 1)],
    "KF106-tab-indentation.yml": [("KF106", 4, 1)],
    "KF107-unreadable-file.yml": [("KF107", 1, 1)],
    "KF108-nesting-too-deep.yml": [("KF108", 3, 131)],
    "KF201-missing-property.yml": [("KF201", 4, 5)],
    "KF202-unknown-property.yml": [("KF201", 4, 5), ("KF202", 6, 5)],
    "KF203-wrong-type.yml": [("KF203", 7, 23)],
    "KF204-unknown-task-type.yml": [("KF204", 5, 11)],
    "KF205-unknown-trigger-type.yml": [("KF205", 9, 11)],
    "KF206-unknown-condition-type.yml": [("KF206", 11, 15)],
    "KF207-invalid-duration.yml": [("KF207", 7, 14)],
    "KF208-invalid-cron.yml": [("KF208", 10, 11)],
    "KF209-unknown-input-type.yml": [("KF209", 5, 11)],
    "KF210-invalid-input-default.yml": [("KF210", 6, 15)],
    "KF211-invalid-value.yml": [("KF211", 7, 12)],
    "KF212-empty-task-list.yml": [("KF212", 5, 11)],
    "KF213-deprecated-form.yml": [("KF213", 4, 5)],
    "KF214-connection-from-defaults.yml": [("KF214", 4, 5)],
    "KF215-invalid-input.yml": [("KF215", 6, 16)],
    "KF301-invalid-flow-id.yml": [("KF301", 1, 5)],
    "KF302-invalid-namespace.yml": [("KF302", 2, 12)],
    "KF303-duplicate-task-id.yml": [("KF303", 8, 9)],
    "KF304-duplicate-input-id.yml": [("KF304", 6, 9)],
    "KF305-duplicate-trigger-id.yml": [("KF305", 11, 9)],
    "KF306-dag-cycle.yml": [("KF306", 11, 20)],
    "KF307-unknown-dependency.yml": [("KF307", 12, 13)],
    "KF308-undefined-input.yml": [("KF308", 9, 24)],
    "KF309-undefined-variable.yml": [("KF309", 8, 18)],
    "KF310-undefined-task.yml": [("KF310", 9, 18)],
    "KF311-unknown-output.yml": [("KF311", 9, 18)],
    "KF312-output-not-ready.yml": [("KF312", 6, 18)],
    "KF313-recursive-subflow.yml": [("KF313", 7, 13)],
    "KF314-reserved-label.yml": [("KF314", 4, 3)],
    "KF315-invalid-task-id.yml": [("KF315", 4, 9)],
    "KF316-enterprise-only.yml": [("KF316", 7, 5)],
    "KF317-task-not-allowed-here.yml": [("KF317", 8, 15)],
    "KF318-unknown-upstream-flow.yml": [("KF318", 14, 19)],  # a directory of two flows
    "KF401-not-expressible-on-target.yml": [("KF401", 4, 5)],
    "KF402-approximated-on-target.yml": [("KF402", 4, 5)],
    "KF501-expression-syntax.yml": [("KF501", 6, 21)],
    "KF502-unknown-filter.yml": [("KF502", 6, 33)],
    "KF503-unknown-function.yml": [("KF503", 6, 18)],
    "KF504-unknown-test.yml": [("KF504", 6, 34)],
    "KF505-unknown-root-variable.yml": [("KF505", 6, 18)],
}


def test_every_code_has_a_case() -> None:
    covered = {code for found in EXPECTED.values() for code, _, _ in found}
    assert covered == set(CODES)
    assert sorted(p.name for p in CASES_DIR.iterdir()) == sorted(EXPECTED)


def diagnostics_of(path: Path) -> list[Diagnostic]:
    """What kflow reports for a case: `kflow validate`, or for a target code (KF4xx) what
    `kflow compile --target airflow` reports. A case about flows validated together (KF318) is a
    directory of flows."""
    if path.is_dir():
        return validate_paths([str(path)]).diagnostics
    if path.name.startswith("KF4"):
        with tempfile.TemporaryDirectory() as out:
            return compile_paths([str(path)], "airflow", out, check=True).diagnostics
    return check_file(str(path)).diagnostics


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_case(name: str) -> None:
    diagnostics = diagnostics_of(CASES_DIR / name)
    found = [(d.code, d.span.line, d.span.column) for d in diagnostics]
    assert found == EXPECTED[name]
    for d in diagnostics:
        assert d.level is CODES[d.code].severity or d.severity is not None
