"""Flow triggers at run time: which ended executions start the listening flow.

Triggers come from real flow files, checked and lowered by the compiler; times are explicit.
"""

from __future__ import annotations

import json
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from kflow.compiler import ir
from kflow.compiler.api import check_file
from kflow.compiler.lower import lower
from kflow.runtime_shims.flow_trigger import (
    DEFAULT_STATES,
    Ended,
    FlowTriggerError,
    Preconditions,
    fires,
    matches,
    variables,
)

UTC = timezone.utc
NS = "company.team"
COND = "io.kestra.plugin.core.condition."


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def ended(
    flow_id: str = "extract", state: str = "SUCCESS", namespace: str = NS, **extra: Any
) -> Ended:
    return Ended(f"exec-{flow_id}-{state}", namespace, flow_id, state, **extra)


@pytest.fixture
def trigger(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Lower a Flow trigger written as YAML (the `triggers:` entry) in a flow `listener`."""

    def make(body: str, flow_id: str = "listener") -> ir.Trigger:
        text = textwrap.dedent(
            f"""\
            id: {flow_id}
            namespace: {NS}
            tasks:
              - id: hello
                type: io.kestra.plugin.core.log.Log
                message: hi
            triggers:
            """
        ) + textwrap.indent(textwrap.dedent(body), "  ")
        path = tmp_path / f"{flow_id}.yml"
        path.write_text(text, encoding="utf-8")
        checked = check_file(str(path))
        errors = [str(d) for d in checked.diagnostics if d.level.name == "ERROR"]
        assert not errors, errors
        return lower(checked).triggers[0]

    return make


# -- states and the flow itself -------------------------------------------------------------------


def test_default_states_are_the_terminal_ones_and_paused(trigger) -> None:  # type: ignore[no-untyped-def]
    on_any = trigger(
        """\
        - id: any
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - type: io.kestra.plugin.core.condition.ExecutionNamespace
              namespace: company
              comparison: PREFIX
        """
    )
    for state in DEFAULT_STATES:
        assert matches(on_any, NS, ended(state=state)), state
    for state in ("CREATED", "RUNNING", "QUEUED", "RETRYING", "KILLING"):
        assert not matches(on_any, NS, ended(state=state)), state
    assert "PAUSED" in DEFAULT_STATES and "CANCELLED" in DEFAULT_STATES


def test_states_property_and_disabled_trigger(trigger) -> None:  # type: ignore[no-untyped-def]
    failures = trigger(
        """\
        - id: failures
          type: io.kestra.core.models.triggers.types.Flow
          states: [FAILED, WARNING]
          conditions:
            - type: io.kestra.plugin.core.condition.ExecutionNamespace
              namespace: company.team
        """
    )
    assert matches(failures, NS, ended(state="WARNING"))
    assert not matches(failures, NS, ended(state="SUCCESS"))
    off = trigger(
        """\
        - id: off
          type: io.kestra.plugin.core.trigger.Flow
          disabled: true
          conditions:
            - type: io.kestra.plugin.core.condition.ExecutionNamespace
              namespace: company.team
        """
    )
    assert not matches(off, NS, ended())


def test_a_flow_never_triggers_itself(trigger) -> None:  # type: ignore[no-untyped-def]
    own = trigger(
        """\
        - id: loop
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - type: io.kestra.plugin.core.condition.ExecutionFlow
              namespace: company.team
              flowId: listener
        """
    )
    mine = ended("listener")
    assert matches(own, NS, mine)  # without the listener's id nothing says it is itself
    assert not matches(own, NS, mine, listener_flow_id="listener")
    assert not fires(own, NS, mine, None, at(2024, 1, 1), listener_flow_id="listener")


# -- stateless conditions -------------------------------------------------------------------------


def test_seed_execution_condition_reads_namespace_flow_and_states(trigger) -> None:  # type: ignore[no-untyped-def]
    seed = trigger(
        """\
        - id: after_extract
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - type: io.kestra.plugin.core.condition.Execution
              namespace: company.team
              flowId: extract
              states: [SUCCESS]
        """
    )
    assert matches(seed, NS, ended("extract", "SUCCESS"))
    assert not matches(seed, NS, ended("extract", "FAILED"))
    assert not matches(seed, NS, ended("load", "SUCCESS"))
    assert not matches(seed, NS, ended("extract", "SUCCESS", namespace="company.other"))


def test_execution_flow_and_its_old_name(trigger) -> None:  # type: ignore[no-untyped-def]
    for type_name in (
        "io.kestra.plugin.core.condition.ExecutionFlow",
        "io.kestra.core.models.conditions.types.ExecutionFlowCondition",
        "io.kestra.plugin.core.condition.FlowCondition",
    ):
        flow_trigger = trigger(
            f"""\
            - id: t
              type: io.kestra.plugin.core.trigger.Flow
              conditions:
                - type: {type_name}
                  namespace: company.team
                  flowId: extract
            """
        )
        assert matches(flow_trigger, NS, ended("extract")), type_name
        assert not matches(flow_trigger, NS, ended("other")), type_name


@pytest.mark.parametrize(
    ("condition", "namespace", "expected"),
    [
        ("namespace: company.team", "company.team", True),
        ("namespace: company.team", "company.team.sub", False),
        ("{namespace: company, comparison: PREFIX}", "company.team", True),
        ("{namespace: .team, comparison: SUFFIX}", "company.team", True),
        ("{namespace: .team, comparison: SUFFIX}", "company.teams", False),
        ("{namespace: company, prefix: true}", "company.team", True),
        ("{namespace: other, prefix: true}", "company.team", False),
    ],
)
def test_execution_namespace_comparisons(
    trigger, condition: str, namespace: str, expected: bool
) -> None:  # type: ignore[no-untyped-def]
    inline = condition if condition.startswith("{") else "{" + condition + "}"
    flow_trigger = trigger(
        f"""\
        - id: t
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - {{type: io.kestra.plugin.core.condition.ExecutionNamespace, {inline[1:-1]}}}
        """
    )
    assert matches(flow_trigger, NS, ended(namespace=namespace)) is expected


def test_flow_namespace_condition_old_form(trigger) -> None:  # type: ignore[no-untyped-def]
    flow_trigger = trigger(
        """\
        - id: t
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - type: io.kestra.core.models.conditions.types.FlowNamespaceCondition
              namespace: company
              prefix: true
        """
    )
    assert matches(flow_trigger, NS, ended(namespace="company.x"))
    assert not matches(flow_trigger, NS, ended(namespace="other"))


def test_execution_status_in_and_not_in(trigger) -> None:  # type: ignore[no-untyped-def]
    flow_trigger = trigger(
        """\
        - id: t
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - type: io.kestra.plugin.core.condition.ExecutionStatus
              in: [SUCCESS, WARNING, FAILED]
              notIn: [FAILED]
        """
    )
    assert matches(flow_trigger, NS, ended(state="WARNING"))
    assert not matches(flow_trigger, NS, ended(state="FAILED"))
    assert not matches(flow_trigger, NS, ended(state="KILLED"))


def test_execution_labels_mapping_and_list(trigger) -> None:  # type: ignore[no-untyped-def]
    for labels in (
        "{owner: john, env: prod}",
        "[{key: owner, value: john}, {key: env, value: prod}]",
    ):
        flow_trigger = trigger(
            f"""\
            - id: t
              type: io.kestra.plugin.core.trigger.Flow
              conditions:
                - type: io.kestra.plugin.core.condition.ExecutionLabels
                  labels: {labels}
            """
        )
        assert matches(flow_trigger, NS, ended(labels={"owner": "john", "env": "prod", "x": "1"}))
        assert not matches(flow_trigger, NS, ended(labels={"owner": "john"}))
        assert not matches(flow_trigger, NS, ended(labels={"owner": "john", "env": "dev"}))


def test_execution_outputs_expression(trigger) -> None:  # type: ignore[no-untyped-def]
    flow_trigger = trigger(
        """\
        - id: t
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - type: io.kestra.plugin.core.condition.ExecutionOutputs
              expression: "{{ trigger.outputs.flow_a_output == 'hello' }}"
        """
    )
    assert matches(flow_trigger, NS, ended(outputs={"flow_a_output": "hello"}))
    assert not matches(flow_trigger, NS, ended(outputs={"flow_a_output": "bye"}))
    assert not matches(flow_trigger, NS, ended())  # no outputs: false, as in Kestra
    text = trigger(
        """\
        - id: t
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - type: io.kestra.plugin.core.condition.ExecutionOutputs
              expression: "{{ trigger.outputs.flow_a_output }}"
        """
    )
    with pytest.raises(FlowTriggerError, match="trigger 't': condition ExecutionOutputs"):
        matches(text, NS, ended(outputs={"flow_a_output": "hello"}))


def test_expression_sees_the_trigger_and_the_listening_flow(trigger) -> None:  # type: ignore[no-untyped-def]
    flow_trigger = trigger(
        """\
        - id: t
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - type: io.kestra.plugin.core.condition.Expression
              expression: "{{ trigger.flowId | startsWith('ex') and flow.id == 'listener' }}"
        """
    )
    assert matches(flow_trigger, NS, ended("extract"), listener_flow_id="listener")
    assert not matches(flow_trigger, NS, ended("load"), listener_flow_id="listener")


def test_not_and_or_combine_conditions(trigger) -> None:  # type: ignore[no-untyped-def]
    flow_trigger = trigger(
        """\
        - id: t
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - type: io.kestra.plugin.core.condition.Or
              conditions:
                - type: io.kestra.plugin.core.condition.ExecutionFlow
                  namespace: company.team
                  flowId: a
                - type: io.kestra.plugin.core.condition.ExecutionFlow
                  namespace: company.team
                  flowId: b
            - type: io.kestra.plugin.core.condition.Not
              conditions:
                - type: io.kestra.core.models.conditions.types.ExecutionStatusCondition
                  in: [FAILED]
        """
    )
    assert matches(flow_trigger, NS, ended("a"))
    assert matches(flow_trigger, NS, ended("b", "WARNING"))
    assert not matches(flow_trigger, NS, ended("b", "FAILED"))
    assert not matches(flow_trigger, NS, ended("c"))


def test_unsupported_condition_is_a_clear_error(trigger) -> None:  # type: ignore[no-untyped-def]
    flow_trigger = trigger(
        """\
        - id: t
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - type: io.kestra.plugin.core.condition.HasRetryAttempt
              in: [FAILED]
        """
    )
    with pytest.raises(FlowTriggerError, match="HasRetryAttempt is not supported"):
        matches(flow_trigger, NS, ended())


def test_not_a_flow_trigger(trigger) -> None:  # type: ignore[no-untyped-def]
    schedule = trigger(
        """\
        - id: daily
          type: io.kestra.plugin.core.trigger.Schedule
          cron: "@daily"
        """
    )
    with pytest.raises(FlowTriggerError, match="not a Flow trigger"):
        matches(schedule, NS, ended())


def test_trigger_variable_uses_kestra_names() -> None:
    done = ended(
        outputs={"date": "2024-01-01"},
        labels={"team": "data", "app.tier": "gold"},
        flow_revision=3,
        start_date="2024-01-01T10:00:00Z",
    )
    assert variables(done) == {
        "executionId": "exec-extract-SUCCESS",
        "namespace": NS,
        "flowId": "extract",
        "flowRevision": 3,
        "state": "SUCCESS",
        "outputs": {"date": "2024-01-01"},
        "executionLabels": {"team": "data", "app": {"tier": "gold"}},
        "startDate": "2024-01-01T10:00:00Z",
    }


# -- preconditions --------------------------------------------------------------------------------

TWO_UPSTREAMS = """\
- id: both
  type: io.kestra.plugin.core.trigger.Flow
  preconditions:
    id: extract_and_load
    flows:
      - namespace: company.team
        flowId: extract
        states: [SUCCESS]
      - namespace: company.team
        flowId: load
        labels: {env: prod}
"""


def test_preconditions_wait_for_every_upstream_then_reset(trigger) -> None:  # type: ignore[no-untyped-def]
    both = trigger(TWO_UPSTREAMS)
    pre = Preconditions(both)
    assert not fires(both, NS, ended("extract"), pre, at(2024, 1, 1, 9))
    assert not fires(both, NS, ended("extract"), pre, at(2024, 1, 1, 9, 30))
    assert not fires(both, NS, ended("load", labels={"env": "dev"}), pre, at(2024, 1, 1, 10))
    assert not fires(both, NS, ended("other"), pre, at(2024, 1, 1, 10))
    assert fires(both, NS, ended("load", labels={"env": "prod"}), pre, at(2024, 1, 1, 11))
    # reset on success: both are awaited again
    assert pre.state() == {}
    assert not fires(both, NS, ended("load", labels={"env": "prod"}), pre, at(2024, 1, 1, 12))
    assert fires(both, NS, ended("extract"), pre, at(2024, 1, 1, 13))


def test_preconditions_state_survives_a_restart_as_json(trigger) -> None:  # type: ignore[no-untyped-def]
    both = trigger(TWO_UPSTREAMS)
    first = Preconditions(both)
    assert not first.observe(ended("extract"), at(2024, 1, 1, 9))
    saved = json.loads(json.dumps(first.state()))
    assert saved == {
        "extract_and_load": {
            "start": "2024-01-01T00:00:00Z",
            "end": "2024-01-02T00:00:00Z",
            "results": {"flows[0]": "2024-01-01T09:00:00Z"},
        }
    }
    again = Preconditions(both, saved)
    assert again.observe(ended("load", labels={"env": "prod"}), at(2024, 1, 1, 10))


def test_duration_window_expires_at_midnight(trigger) -> None:  # type: ignore[no-untyped-def]
    both = trigger(TWO_UPSTREAMS)
    pre = Preconditions(both)
    assert not pre.observe(ended("extract"), at(2024, 1, 1, 23))
    assert not pre.observe(ended("load", labels={"env": "prod"}), at(2024, 1, 2, 1))  # new window
    assert pre.observe(ended("extract"), at(2024, 1, 2, 2))


def test_reset_on_success_false_keeps_firing_for_matching_executions(trigger) -> None:  # type: ignore[no-untyped-def]
    keep = trigger(
        """\
        - id: keep
          type: io.kestra.plugin.core.trigger.Flow
          preconditions:
            id: keep
            resetOnSuccess: false
            timeWindow:
              type: SLIDING_WINDOW
              window: PT1H
            flows:
              - {namespace: company.team, flowId: extract}
              - {namespace: company.team, flowId: load}
        """
    )
    pre = Preconditions(keep)
    assert not pre.observe(ended("extract"), at(2024, 1, 1, 9, 10))
    assert pre.observe(ended("load"), at(2024, 1, 1, 9, 20))
    assert pre.observe(ended("extract"), at(2024, 1, 1, 9, 30))
    assert not pre.observe(ended("unrelated"), at(2024, 1, 1, 9, 40))
    # the window (opened at 09:10, one hour) is over: start again
    assert not pre.observe(ended("extract"), at(2024, 1, 1, 10, 15))


def test_daily_deadline_ignores_executions_after_it(trigger) -> None:  # type: ignore[no-untyped-def]
    deadline = trigger(
        """\
        - id: by_nine
          type: io.kestra.plugin.core.trigger.Flow
          preconditions:
            id: by_nine
            timeWindow:
              type: DAILY_TIME_DEADLINE
              deadline: "09:00:00"
            flows:
              - {namespace: company.team, flowId: extract}
              - {namespace: company.team, flowId: load}
        """
    )
    pre = Preconditions(deadline)
    assert not pre.observe(ended("extract"), at(2024, 1, 1, 8))
    assert not pre.observe(ended("load"), at(2024, 1, 1, 9, 30))  # too late
    assert not pre.observe(ended("load"), at(2024, 1, 2, 8))  # a new day: extract again
    assert pre.observe(ended("extract"), at(2024, 1, 2, 8, 30))


def test_daily_time_window_with_offset(trigger) -> None:  # type: ignore[no-untyped-def]
    office = trigger(
        """\
        - id: office
          type: io.kestra.plugin.core.trigger.Flow
          preconditions:
            id: office
            timeWindow:
              type: DAILY_TIME_WINDOW
              startTime: "08:00:00+02:00"
              endTime: "18:00:00+02:00"
            flows:
              - {namespace: company.team, flowId: extract}
        """
    )
    pre = Preconditions(office)
    assert not pre.observe(ended("extract"), at(2024, 6, 3, 5, 30))  # 07:30+02:00
    assert pre.observe(ended("extract"), at(2024, 6, 3, 6, 30))


def test_where_filters(trigger) -> None:  # type: ignore[no-untyped-def]
    alert = trigger(
        """\
        - id: alert
          type: io.kestra.plugin.core.trigger.Flow
          preconditions:
            id: alert
            where:
              - id: company_failures
                filters:
                  - {field: NAMESPACE, type: STARTS_WITH, value: company}
                  - {field: STATE, type: IN, values: [FAILED, WARNING]}
        """
    )
    pre = Preconditions(alert)
    assert not fires(alert, NS, ended(state="SUCCESS"), pre, at(2024, 1, 1, 9))
    assert not fires(alert, NS, ended(state="FAILED", namespace="other"), pre, at(2024, 1, 1, 9))
    assert fires(alert, NS, ended(state="FAILED", namespace="company.x"), pre, at(2024, 1, 1, 9))
    either = trigger(
        """\
        - id: either
          type: io.kestra.plugin.core.trigger.Flow
          preconditions:
            id: either
            where:
              - id: big_or_load
                operand: OR
                filters:
                  - {field: FLOW_ID, type: REGEX, value: "lo.d"}
                  - field: EXPRESSION
                    type: IS_TRUE
                    value: "{{ (trigger.outputs.rows ?? 0) > 100 }}"
        """
    )
    pre = Preconditions(either)
    assert pre.observe(ended("load"), at(2024, 1, 1))
    assert pre.observe(ended("extract", outputs={"rows": 500}), at(2024, 1, 1))
    assert not pre.observe(ended("extract", outputs={"rows": 5}), at(2024, 1, 1))
    assert not pre.observe(ended("loader"), at(2024, 1, 1))  # REGEX matches the whole id


def test_deprecated_multiple_condition_is_a_window_too(trigger) -> None:  # type: ignore[no-untyped-def]
    multiple = trigger(
        """\
        - id: multiple
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - type: io.kestra.plugin.core.condition.ExecutionStatus
              in: [SUCCESS]
            - id: multiple
              type: io.kestra.plugin.core.condition.MultipleCondition
              timeWindow:
                window: PT12H
              conditions:
                flow_a:
                  type: io.kestra.plugin.core.condition.ExecutionFlow
                  namespace: company.team
                  flowId: a
                flow_b:
                  type: io.kestra.plugin.core.condition.ExecutionFlow
                  namespace: company.team
                  flowId: b
        """
    )
    pre = Preconditions(multiple)
    assert matches(multiple, NS, ended("a"))  # MultipleCondition is not a stateless test
    assert not fires(multiple, NS, ended("a"), pre, at(2024, 1, 1, 1))
    assert not fires(multiple, NS, ended("b", "FAILED"), pre, at(2024, 1, 1, 2))
    assert fires(multiple, NS, ended("b"), pre, at(2024, 1, 1, 3))
    assert pre.state() == {}


def test_fires_needs_the_preconditions_object(trigger) -> None:  # type: ignore[no-untyped-def]
    both = trigger(TWO_UPSTREAMS)
    with pytest.raises(FlowTriggerError, match="pass its Preconditions"):
        fires(both, NS, ended("extract"), None, at(2024, 1, 1))
    plain = trigger(
        """\
        - id: plain
          type: io.kestra.plugin.core.trigger.Flow
          conditions:
            - type: io.kestra.plugin.core.condition.ExecutionFlow
              namespace: company.team
              flowId: extract
        """
    )
    assert fires(plain, NS, ended("extract"), None, at(2024, 1, 1))
    assert fires(plain, NS, ended("extract"), Preconditions(plain), at(2024, 1, 1))


def test_preconditions_accept_naive_now(trigger) -> None:  # type: ignore[no-untyped-def]
    both = trigger(TWO_UPSTREAMS)
    pre = Preconditions(both)
    assert not pre.observe(ended("extract"), datetime(2024, 1, 1, 9))
    assert pre.observe(
        ended("load", labels={"env": "prod"}), datetime(2024, 1, 1, 9) + timedelta(hours=1)
    )


# -- kflow validate: upstream flows (KF318) -------------------------------------------------------

UPSTREAM = """\
id: {id}
namespace: {namespace}
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
"""

LISTENER = """\
id: listener
namespace: company.team
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hi
triggers:
  - id: on_upstreams
    type: io.kestra.plugin.core.trigger.Flow
    conditions:
      - type: io.kestra.plugin.core.condition.Or
        conditions:
          - type: io.kestra.core.models.conditions.types.ExecutionFlowCondition
            namespace: company.team
            flowId: extrcat
          - type: io.kestra.plugin.core.condition.ExecutionFlow
            namespace: company.team
            flowId: extract
    preconditions:
      id: upstreams
      flows:
        - namespace: company.other
          flowId: load
        - namespace: company.team
"""


def _kf318(paths: list[str]) -> list[tuple[str, int, int, str | None]]:
    from kflow.compiler.api import validate_paths

    return [
        (Path(d.span.path).name, d.span.line, d.span.column, d.help)
        for d in validate_paths(paths).diagnostics
        if d.code == "KF318"
    ]


def _write(directory: Path) -> tuple[Path, Path, Path]:
    directory.mkdir()
    listener = directory / "listener.yml"
    listener.write_text(LISTENER, encoding="utf-8")
    extract = directory / "extract.yml"
    extract.write_text(UPSTREAM.format(id="extract", namespace="company.team"), encoding="utf-8")
    other = directory / "other.yml"
    other.write_text(UPSTREAM.format(id="report", namespace="company.other"), encoding="utf-8")
    return listener, extract, other


def test_validate_directory_warns_for_every_unknown_upstream(tmp_path: Path) -> None:
    _write(tmp_path / "flows")
    typo, elsewhere = _kf318([str(tmp_path / "flows")])
    assert typo == ("listener.yml", 15, 21, "did you mean 'extract'?")  # nested in Or
    assert elsewhere[:3] == ("listener.yml", 23, 19)  # preconditions.flows
    assert "kflow validate DIR" in (elsewhere[3] or "")  # no close name: how to make it seen


def test_validate_files_warns_only_in_namespaces_given(tmp_path: Path) -> None:
    listener, extract, other = _write(tmp_path / "flows")
    # one file alone: kflow cannot tell a missing flow from one validated elsewhere
    assert _kf318([str(listener)]) == []
    # with a flow of company.team: the typo there is reported, company.other is not looked at
    assert [f[:3] for f in _kf318([str(listener), str(extract)])] == [("listener.yml", 15, 21)]
    assert [f[:3] for f in _kf318([str(listener), str(extract), str(other)])] == [
        ("listener.yml", 15, 21),
        ("listener.yml", 23, 19),
    ]
    (tmp_path / "flows" / "load.yml").write_text(
        UPSTREAM.format(id="load", namespace="company.other"), encoding="utf-8"
    )
    (tmp_path / "flows" / "extrcat.yml").write_text(
        UPSTREAM.format(id="extrcat", namespace="company.team"), encoding="utf-8"
    )
    assert _kf318([str(tmp_path / "flows")]) == []


def test_validate_suggests_a_namespace_when_it_is_mistyped(tmp_path: Path) -> None:
    _write(tmp_path / "flows")
    listener = tmp_path / "flows" / "listener.yml"
    listener.write_text(
        LISTENER.replace("namespace: company.other", "namespace: company.tema").replace(
            "flowId: load", "flowId: extract"
        ),
        encoding="utf-8",
    )
    assert _kf318([str(tmp_path / "flows")])[1] == (
        "listener.yml",
        23,
        19,
        "did you mean 'company.team.extract'?",
    )
