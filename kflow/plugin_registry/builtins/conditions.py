"""Properties models of the conditions: on executions, on dates, and combinators.

Nested conditions (MultipleCondition, Not, Or) are typed as `ConditionRef` here: the checker
resolves their `type` and validates them against their own specs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from kflow.plugin_registry.builtins.triggers import TimeWindow
from kflow.plugin_registry.types import (
    ConditionRef,
    DayOfWeek,
    Duration,
    Labels,
    Properties,
    State,
    Templated,
    Text,
)

_TRIGGER_DATE = "{{ trigger.date }}"


class ExecutionFlowProperties(Properties):
    """io.kestra.plugin.core.condition.ExecutionFlow."""

    namespace: str = Field(description="Namespace of the flow.")
    flowId: str = Field(description="Id of the flow.")


class ExecutionStatusProperties(Properties):
    """io.kestra.plugin.core.condition.ExecutionStatus."""

    in_: list[State] | None = Field(None, alias="in", description="States that pass.")
    notIn: list[State] | None = Field(None, description="States that do not pass.")


class ExecutionNamespaceProperties(Properties):
    """io.kestra.plugin.core.condition.ExecutionNamespace."""

    namespace: str = Field(description="The namespace, or its prefix or suffix.")
    comparison: Literal["EQUALS", "PREFIX", "SUFFIX"] | None = Field(
        None, description="How to compare (EQUALS by default)."
    )
    prefix: bool = Field(False, deprecated="write 'comparison: PREFIX'")


class ExecutionLabelsProperties(Properties):
    """io.kestra.plugin.core.condition.ExecutionLabels."""

    labels: Labels = Field(description="Labels the execution must have.")


class ExecutionOutputsProperties(Properties):
    """io.kestra.plugin.core.condition.ExecutionOutputs."""

    expression: Templated[bool] = Field(
        description="Passes when this is true; `trigger.outputs` holds the execution's outputs."
    )


class ExpressionProperties(Properties):
    """io.kestra.plugin.core.condition.Expression."""

    expression: Text = Field(description="Passes unless this renders blank or false.")


class ExecutionProperties(Properties):
    """io.kestra.plugin.core.condition.Execution: a seed-notes type, not a Kestra one.

    kflow reads it as ExecutionFlow (namespace, flowId) and ExecutionStatus (in: states).
    """

    namespace: str = Field(description="Namespace of the flow.")
    flowId: str | None = Field(None, description="Id of the flow.")
    states: list[State] | None = Field(None, description="States that pass.")


class _DateProperties(Properties):
    date: Text = Field(_TRIGGER_DATE, description="The date to test (the trigger date by default).")


class DayWeekProperties(_DateProperties):
    """io.kestra.plugin.core.condition.DayWeek."""

    dayOfWeek: Templated[DayOfWeek] = Field(description="The day that passes.")


class DayWeekInMonthProperties(_DateProperties):
    """io.kestra.plugin.core.condition.DayWeekInMonth."""

    dayOfWeek: Templated[DayOfWeek] = Field(description="The day of the week.")
    dayInMonth: Templated[Literal["FIRST", "SECOND", "THIRD", "FOURTH", "LAST"]] = Field(
        description="Which such day of the month passes."
    )


class WeekendProperties(_DateProperties):
    """io.kestra.plugin.core.condition.Weekend."""


class TimeBetweenProperties(_DateProperties):
    """io.kestra.plugin.core.condition.TimeBetween."""

    after: Text | None = Field(None, description="Passes after this time (e.g. 16:00:00+02:00).")
    before: Text | None = Field(None, description="Passes before this time.")


class DateTimeBetweenProperties(_DateProperties):
    """io.kestra.plugin.core.condition.DateTimeBetween."""

    after: Text | None = Field(None, description="Passes from this date-time (with zone).")
    before: Text | None = Field(None, description="Passes up to this date-time (with zone).")


class PublicHolidayProperties(_DateProperties):
    """io.kestra.plugin.core.condition.PublicHoliday."""

    country: Text | None = Field(None, description="ISO 3166 country code (the server's if unset).")
    subDivision: Text | None = Field(None, description="ISO 3166-2 subdivision code.")


class HasRetryAttemptProperties(Properties):
    """io.kestra.plugin.core.condition.HasRetryAttempt."""

    in_: list[State] | None = Field(None, alias="in", description="States that pass.")
    notIn: list[State] | None = Field(None, description="States that do not pass.")


class ConditionListProperties(Properties):
    """io.kestra.plugin.core.condition.Not and Or."""

    conditions: list[ConditionRef] = Field(min_length=1, description="The conditions combined.")


class MultipleConditionProperties(Properties):
    """io.kestra.plugin.core.condition.MultipleCondition (deprecated: use preconditions)."""

    id: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$", description="A unique id.")
    conditions: dict[str, ConditionRef] = Field(
        min_length=1, description="Named conditions that must all pass within the window."
    )
    timeWindow: TimeWindow | None = Field(None, description="When they must all pass.")
    window: Duration | None = Field(None, deprecated="write 'timeWindow.window'")
    windowAdvance: Duration | None = Field(None, deprecated="write 'timeWindow.windowAdvance'")
    resetOnSuccess: bool = Field(True, description="Start over after passing.")


class FlowConditionProperties(Properties):
    """io.kestra.plugin.core.condition.FlowCondition (deprecated: use ExecutionFlow)."""

    namespace: str = Field(description="Namespace of the flow.")
    flowId: str = Field(description="Id of the flow.")


class FlowNamespaceConditionProperties(Properties):
    """io.kestra.plugin.core.condition.FlowNamespaceCondition (deprecated)."""

    namespace: str = Field(description="The namespace, or its prefix.")
    prefix: bool = Field(False, description="Compare by prefix.")
