"""The Airflow target's pieces that need no Airflow: the vendored runtime, report assembly, and
what triggers compile to (a timetable, assets) and give a run (the `trigger` variable)."""

from __future__ import annotations

import ast
import textwrap
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kflow.compiler.check import check
from kflow.compiler.loader import load_text
from kflow.compiler.lower import lower
from kflow.runtime_shims.step import (
    Execution,
    TaskRun,
    assemble,
    by_flow,
    by_schedule,
    by_webhook,
    flow_data,
    start,
)
from kflow.targets.airflow import emit
from kflow.targets.vendor import runtime_files

from .test_airflow_injection import CALLS, IDS, TEXT, call_name

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


# -- triggers --------------------------------------------------------------------------------------

CORE = "io.kestra.plugin.core"


def compile_text(text: str) -> Any:
    checked = check(load_text("flow.yml", textwrap.dedent(text)))
    assert checked.ok, checked.diagnostics
    return emit(lower(checked))


def source_of(text: str) -> str:
    emitted = compile_text(text)
    (source,) = emitted.files.values()
    return str(source)


def dag_args(source: str) -> dict[str, str]:
    """The keyword arguments of the `DAG(...)` call, as `ast.unparse` writes them."""
    call = next(
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and call_name(node) == "DAG"
    )
    return {str(kw.arg): ast.unparse(kw.value) for kw in call.keywords}


def flow_with(triggers: str) -> str:
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


@pytest.mark.parametrize(("behavior", "warned"), [("QUEUE", []), ("CANCEL", ["KF402"])])
def test_flow_concurrency_is_max_active_runs(behavior: str, warned: list[str]) -> None:
    emitted = compile_text(
        f"""
        id: limited
        namespace: t
        concurrency: {{limit: 2, behavior: {behavior}}}
        tasks:
          - id: hello
            type: {CORE}.log.Log
            message: hi
        """
    )
    (source,) = emitted.files.values()
    assert dag_args(str(source))["max_active_runs"] == "2"
    assert [d.code for d in emitted.diagnostics] == warned
    no_limit = source_of(flow_with(""))
    assert "max_active_runs" not in dag_args(no_limit)


def test_a_schedule_is_a_cron_timetable_in_its_timezone() -> None:
    source = source_of(
        flow_with(
            f"""
            - id: mornings
              type: {CORE}.trigger.Schedule
              cron: "0 9 * * 1-5"
              timezone: Europe/Paris
              inputs:
                who: "{{{{ trigger.date }}}}"
              conditions:
                - type: {CORE}.condition.DayWeekInMonth
                  dayOfWeek: MONDAY
                  dayInMonth: FIRST
            """
        )
    )
    args = dag_args(source)
    assert args["schedule"] == "CronTriggerTimetable('0 9 * * 1-5', timezone='Europe/Paris')"
    # no backfill: no start date (the first run is the next date) and no catchup
    assert "start_date" not in args and args["catchup"] == "False"
    # the trigger's inputs and conditions are data the start task evaluates
    (trigger,) = flow_literal(source)["triggers"]
    assert trigger["properties"]["inputs"] == {"who": "{{ trigger.date }}"}
    assert trigger["conditions"][0]["properties"]["dayInMonth"] == "FIRST"


def test_a_backfill_is_the_start_date_and_catchup() -> None:
    source = source_of(
        flow_with(
            f"""
            - id: daily
              type: {CORE}.trigger.Schedule
              cron: "@daily"
              backfill:
                start: "2024-03-10T02:00:00+02:00"
            """
        )
    )
    args = dag_args(source)
    assert args["schedule"] == "CronTriggerTimetable('0 0 * * *', timezone='UTC')"
    assert args["start_date"] == "pendulum.datetime(2024, 3, 10, 0, 0, 0, tz='UTC')"
    assert args["catchup"] == "True"


def test_several_schedules_are_one_multiple_cron_timetable() -> None:
    source = source_of(
        flow_with(
            f"""
            - id: morning
              type: {CORE}.trigger.Schedule
              cron: "0 0 9 * * *"
              withSeconds: true
              timezone: "+02:00"
            - id: evening
              type: {CORE}.trigger.Schedule
              cron: "0 18 * * *"
              timezone: "UTC+2"
            """
        )
    )
    # seconds 0 is a 5-field cron; an offset of whole hours is an Etc/GMT zone (sign inverted)
    assert dag_args(source)["schedule"] == (
        "MultipleCronTriggerTimetable('0 9 * * *', '0 18 * * *', timezone='Etc/GMT-2')"
    )


def test_a_flow_trigger_schedules_on_the_upstream_end_assets() -> None:
    source = source_of(
        flow_with(
            f"""
            - id: after
              type: {CORE}.trigger.Flow
              conditions:
                - type: {CORE}.condition.ExecutionFlow
                  namespace: team.two
                  flowId: producer
                - type: {CORE}.condition.ExecutionStatus
                  in: [SUCCESS, FAILED]
            - id: nightly
              type: {CORE}.trigger.Schedule
              cron: "0 2 * * *"
            """
        )
    )
    assert dag_args(source)["schedule"] == (
        "AssetOrTimeSchedule(timetable=CronTriggerTimetable('0 2 * * *', timezone='UTC'), "
        "assets=AssetAny(Asset('kestra://team.two/producer/SUCCESS'), "
        "Asset('kestra://team.two/producer/FAILED')))"
    )
    # every DAG's end emits the event of its end state on its flow's asset alias
    last = ast.unparse(ast.parse(source).body[-1].body[-1])  # type: ignore[attr-defined]
    assert last == (
        "end >> KestraEnded(task_id='_kflow_ended', flow=FLOW, "
        "outlets=[AssetAlias('kestra://team.one/listener')])"
    )


def test_preconditions_wait_for_every_upstream_flow() -> None:
    emitted = compile_text(
        flow_with(
            f"""
            - id: both
              type: {CORE}.trigger.Flow
              preconditions:
                id: both
                flows:
                  - namespace: team.two
                    flowId: a
                    states: [SUCCESS]
                  - namespace: team.two
                    flowId: b
            """
        )
    )
    (source,) = emitted.files.values()
    assert dag_args(source)["schedule"].startswith(
        "AssetAll(Asset('kestra://team.two/a/SUCCESS'), AssetAny(Asset('kestra://team.two/b/"
    )
    assert [d.code for d in emitted.diagnostics] == ["KF402"]  # the time window is not kept


def test_triggers_airflow_cannot_express_are_kf401() -> None:
    emitted = compile_text(
        flow_with(
            f"""
            - id: every-ten-seconds
              type: {CORE}.trigger.Schedule
              cron: "*/10 * * * * *"
              withSeconds: true
            - id: half-hour-zone
              type: {CORE}.trigger.Schedule
              cron: "0 9 * * *"
              timezone: "+05:30"
            - id: any-flow-of-a-namespace
              type: {CORE}.trigger.Flow
              conditions:
                - type: {CORE}.condition.ExecutionNamespace
                  namespace: team
                  comparison: PREFIX
            - id: poll
              type: {CORE}.http.Trigger
              uri: http://127.0.0.1/health
            """
        )
    )
    assert not emitted.files
    messages = [(d.code, d.message) for d in emitted.diagnostics]
    assert [code for code, _ in messages] == ["KF401"] * 4
    text = " | ".join(m for _, m in messages)
    assert "'every-ten-seconds' fires on seconds" in text
    assert "'half-hour-zone' is an offset that is not a whole number of hours" in text
    assert "'any-flow-of-a-namespace' names no upstream flow" in text
    assert "'poll' (Trigger) cannot be compiled for Airflow" in text


def test_schedules_in_different_timezones_are_kf401() -> None:
    emitted = compile_text(
        flow_with(
            f"""
            - id: paris
              type: {CORE}.trigger.Schedule
              cron: "0 9 * * *"
              timezone: Europe/Paris
            - id: tokyo
              type: {CORE}.trigger.Schedule
              cron: "0 9 * * *"
              timezone: Asia/Tokyo
            """
        )
    )
    assert [d.code for d in emitted.diagnostics] == ["KF401"]
    assert "different timezones" in emitted.diagnostics[0].message


def test_trigger_approximations_are_kf402() -> None:
    emitted = compile_text(
        flow_with(
            f"""
            - id: daily
              type: {CORE}.trigger.Schedule
              cron: "0 9 * * *"
              recoverMissedSchedules: NONE
              lateMaximumDelay: PT1H
            - id: after
              type: {CORE}.trigger.Flow
              states: [SUCCESS, RUNNING]
              conditions:
                - type: {CORE}.condition.ExecutionFlow
                  namespace: team.two
                  flowId: producer
            """
        )
    )
    assert emitted.files
    messages = sorted(d.message for d in emitted.diagnostics if d.code == "KF402")
    assert len(messages) == 3 and len(emitted.diagnostics) == 3
    assert messages[0].startswith("'lateMaximumDelay' of trigger 'daily' is not kept")
    assert messages[1].startswith("'recoverMissedSchedules: NONE' of trigger 'daily'")
    assert messages[2].startswith("Flow trigger 'after': 'states' RUNNING")


def test_the_webhook_key_stays_out_of_the_dag() -> None:
    source = source_of(
        flow_with(
            f"""
            - id: hook
              type: {CORE}.trigger.Webhook
              key: the-secret-key-42
            """
        )
    )
    assert "the-secret-key-42" not in source
    assert dag_args(source)["schedule"] == "None"  # a webhook call is a run with a conf


def flow_literal(source: str) -> dict[str, Any]:
    module = ast.parse(source)
    value = next(
        n.value
        for n in module.body
        if isinstance(n, ast.Assign) and getattr(n.targets[0], "id", "") == "FLOW"
    )
    found: dict[str, Any] = ast.literal_eval(value)
    return found


# -- which trigger started a run (what both targets' start tasks call) -------------------------


def data_of(text: str) -> dict[str, Any]:
    checked = check(load_text("flow.yml", textwrap.dedent(text)))
    assert checked.ok, checked.diagnostics
    return flow_data(lower(checked))


SCHEDULED = flow_with(
    f"""
    - id: mondays
      type: {CORE}.trigger.Schedule
      cron: "0 9 * * *"
      timezone: Europe/Paris
      inputs:
        who: "run of {{{{ trigger.date }}}}"
      conditions:
        - type: {CORE}.condition.DayWeek
          dayOfWeek: MONDAY
    - id: after
      type: {CORE}.trigger.Flow
      inputs:
        who: "{{{{ trigger.outputs.name }}}}"
      conditions:
        - type: {CORE}.condition.ExecutionFlow
          namespace: team.two
          flowId: producer
        - type: {CORE}.condition.ExecutionStatus
          in: [SUCCESS]
    - id: hook
      type: {CORE}.trigger.Webhook
      key: secret
    """
)


def test_a_schedule_gives_trigger_date_and_its_inputs(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("KFLOW_HOME", str(tmp_path))
    data = data_of(SCHEDULED)
    found = by_schedule(data, datetime(2024, 1, 1, 8, tzinfo=timezone.utc))
    assert found is not None and found.skip is None and found.trigger_id == "mondays"
    execution = start(data, {"who": "nobody"}, trigger=found)
    assert execution["trigger"]["date"] == "2024-01-01T09:00:00+01:00"
    assert execution["inputs"] == {"who": "run of 2024-01-01T09:00:00+01:00"}
    # the tasks render with the trigger variable
    assert Execution(data, execution, {}).base["trigger"]["previous"] == (
        "2023-12-25T09:00:00+01:00"
    )
    tuesday = by_schedule(data, datetime(2024, 1, 2, 8, tzinfo=timezone.utc))
    assert tuesday is not None and "do not hold on 2024-01-02T09:00:00+01:00" in str(tuesday.skip)


def test_an_upstream_end_starts_the_flow_trigger_it_matches() -> None:
    data = data_of(SCHEDULED)
    ended = {
        "executionId": "e1",
        "namespace": "team.two",
        "flowId": "producer",
        "state": "SUCCESS",
        "outputs": {"name": "made"},
    }
    found = by_flow(data, ended)
    assert found is not None and found.skip is None and found.trigger_id == "after"
    assert found.variables["executionId"] == "e1" and found.variables["outputs"] == {"name": "made"}
    assert found.inputs == {"who": "{{ trigger.outputs.name }}"}
    warned = by_flow(data, {**ended, "state": "WARNING"})
    assert warned is not None and "matches no Flow trigger" in str(warned.skip)


def test_a_webhook_call_is_the_trigger_variable() -> None:
    data = data_of(SCHEDULED)
    assert "secret" not in str(data)
    found = by_webhook(data, {"body": {"a": 1}, "headers": {"x": ["y"]}})
    assert found is not None and found.trigger_id == "hook"
    assert found.variables == {"body": {"a": 1}, "headers": {"x": ["y"]}, "parameters": {}}
    assert by_webhook(data, {"id": "nope"}) is None


# -- no flow content reaches code but as literals ------------------------------------------------

TRIGGER_CALLS = {
    *CALLS,
    "KestraEnded",
    "AssetAlias",
    "Asset",
    "AssetAny",
    "AssetOrTimeSchedule",
    "CronTriggerTimetable",
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(TEXT, min_size=3, max_size=3), trigger_id=IDS)
def test_trigger_content_cannot_inject_code(texts: list[str], trigger_id: str) -> None:
    document = {
        "id": "listener",
        "namespace": "team.one",
        "inputs": [{"id": "who", "type": "STRING", "defaults": "x"}],
        "tasks": [{"id": "hello", "type": f"{CORE}.log.Log", "message": "hi"}],
        "triggers": [
            {
                "id": trigger_id,
                "type": f"{CORE}.trigger.Schedule",
                "cron": "0 9 * * *",
                "timezone": "Europe/Paris",
                "inputs": {"who": texts[0]},
                "conditions": [{"type": f"{CORE}.condition.Expression", "expression": texts[1]}],
            },
            {
                "id": trigger_id + "-flow",
                "type": f"{CORE}.trigger.Flow",
                "conditions": [
                    {
                        "type": f"{CORE}.condition.ExecutionFlow",
                        "namespace": "team.two",
                        "flowId": "producer",
                    },
                    {"type": f"{CORE}.condition.Expression", "expression": texts[2]},
                ],
            },
            {
                "id": trigger_id + "-hook",
                "type": f"{CORE}.trigger.Webhook",
                "key": texts[2] + "secret-marker",
            },
        ],
    }
    checked = check(load_text("attack.yml", yaml.safe_dump(document, allow_unicode=True)))
    if not checked.ok:  # a template the checker refuses (KF5xx): nothing is emitted
        return
    flow = lower(checked)
    emitted = emit(flow)
    (source,) = emitted.files.values()
    module = ast.parse(source)
    assigned = [t.id for n in module.body if isinstance(n, ast.Assign) for t in n.targets]  # type: ignore[attr-defined]
    assert assigned == ["FLOW", "TREE"]
    for node in ast.walk(module):
        assert not isinstance(node, (ast.Lambda, ast.Subscript, ast.Global, ast.Starred))
        if isinstance(node, ast.Call):
            assert call_name(node) in TRIGGER_CALLS, call_name(node)
    literals = {t.id: n.value for n in module.body if isinstance(n, ast.Assign) for t in n.targets}  # type: ignore[attr-defined]
    assert ast.literal_eval(literals["FLOW"]) == flow_data(flow)
    assert "secret-marker" not in source  # the webhook's key
