"""The Airflow target's pieces that need no Airflow: the vendored runtime and report assembly."""

from __future__ import annotations

from kflow.runtime_shims.step import TaskRun, assemble
from kflow.targets.vendor import runtime_files

FOREACH = "io.kestra.plugin.core.flow.ForEach"
IF = "io.kestra.plugin.core.flow.If"
LOG = "io.kestra.plugin.core.log.Log"


def test_vendored_runtime_holds_kflow_and_its_pure_python_libraries() -> None:
    files = runtime_files()
    assert "kflow/runtime_shims/airflow.py" in files
    assert "kflow/expr/pebble.lark" in files
    assert any(p.startswith("kflow/_vendor/lark/") for p in files)
    assert any(p.startswith("kflow/_vendor/isodate/") for p in files)
    assert "_vendor" in files["kflow/__init__.py"]
    assert not any("__pycache__" in p for p in files)
    ignored = files[".airflowignore"].splitlines()
    assert "kflow/runtime_shims/" in ignored and "kflow/_vendor/" in ignored
    # a compiled flow of a namespace `kflow.*` (kflow/<ns>/flow.py) is not ignored
    assert "kflow/" not in ignored


def test_assemble_gives_flowables_their_children_worst_state() -> None:
    tree = {
        "tasks": [
            {
                "id": "each",
                "type": FOREACH,
                "branches": {"tasks": [{"id": "item", "type": LOG}]},
            },
            {
                "id": "check",
                "type": IF,
                "allowFailure": True,
                "branches": {
                    "then": [{"id": "yes", "type": LOG}],
                    "else": [{"id": "no", "type": LOG}],
                },
            },
        ]
    }
    records = {
        "each": [TaskRun("each", "RUNNING", {})],
        "item": [
            TaskRun("item", "SUCCESS", {}, value="a"),
            TaskRun("item", "WARNING", {}, value="b"),
        ],
        "check": [TaskRun("check", "RUNNING", {"evaluationResult": True})],
        "yes": [TaskRun("yes", "FAILED", {}, error="boom")],
    }
    state, runs = assemble(tree, records)
    found = [(r.task_id, r.value, r.state) for r in runs]
    assert found == [
        ("each", None, "WARNING"),
        ("item", "a", "SUCCESS"),
        ("item", "b", "WARNING"),
        ("check", None, "WARNING"),  # its child failed; allowFailure makes it a WARNING
        ("yes", None, "FAILED"),
    ]
    # the execution's state is its top-level tasks' worst, as in the runner: the If's
    # allowFailure turns its child's failure into a WARNING of the whole execution
    assert state == "WARNING"


def test_assemble_leaves_out_what_was_never_created() -> None:
    tree = {
        "tasks": [{"id": "a", "type": LOG}, {"id": "b", "type": LOG}],
        "errors": [],
        "finally": [],
    }
    state, runs = assemble(tree, {"a": [TaskRun("a", "FAILED", {})]})
    assert [r.task_id for r in runs] == ["a"] and state == "FAILED"
