"""Trigger conditions at run time: on the trigger date (Schedule) and on an ended execution (Flow).

A condition is a plain mapping, `{"type": ..., **properties}`, as `ir.thaw` gives it. Type names
go through the plugin registry, so old names (`...DayWeekCondition`, `...types.VariableCondition`)
mean their canonical type. One evaluator serves both trigger kinds, as in Kestra, where every
condition tests one context:

- date conditions (DayWeek, DayWeekInMonth, Weekend, TimeBetween, DateTimeBetween) read their
  `date` property, `{{ trigger.date }}` by default, rendered with the variables;
- execution conditions (ExecutionFlow, ExecutionNamespace, ExecutionStatus, ExecutionLabels,
  ExecutionOutputs, the seed's Execution, FlowCondition, FlowNamespaceCondition) read the ended
  execution; on a Schedule there is none and Kestra leaves them out, so they pass (except
  ExecutionOutputs, false without outputs, as in Kestra);
- Expression, Not and Or combine the others.

Errors (an unsupported type, a template that fails, a value of the wrong form) raise
`ConditionError` naming the condition.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from kflow.compiler import ir
from kflow.runtime_shims.templating import Services, TemplateError, render
from kflow.runtime_shims.templating.dates import DEFAULT_ZONE, parse_moment
from kflow.runtime_shims.templating.errors import FilterError

__all__ = ["ConditionError", "canonical_type", "condition_dicts", "holds", "short_name"]

_CORE = "io.kestra.plugin.core.condition."
TRIGGER_DATE = "{{ trigger.date }}"
_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_NTH = {"FIRST": 1, "SECOND": 2, "THIRD": 3, "FOURTH": 4}
_OFFSET_TIME = re.compile(
    r"(?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<off>Z|[+-]\d{2}(?::?\d{2})?)?\Z"
)


class ConditionError(ValueError):
    """A condition that cannot be evaluated; the message names the condition."""


def canonical_type(name: str) -> str:
    """The canonical type of a condition type name (old names resolved through the registry)."""
    from kflow.plugin_registry import default_registry

    found = default_registry().lookup(name)
    return found[0].type if found else name


def short_name(type_name: str) -> str:
    """`io.kestra.plugin.core.condition.DayWeek` → `DayWeek` (for messages)."""
    return type_name.rpartition(".")[2]


def condition_dicts(
    conditions: Iterable[ir.Condition | Mapping[str, Any]],
) -> tuple[dict[str, Any], ...]:
    """IR conditions (or mappings) as plain `{"type": canonical, **properties}` dicts."""
    result: list[dict[str, Any]] = []
    for condition in conditions:
        if isinstance(condition, ir.Condition):
            data = {"type": condition.type, **ir.thaw(condition.properties)}
        else:
            data = dict(ir.thaw(condition))
        data["type"] = canonical_type(str(data.get("type", "")))
        result.append(data)
    return tuple(result)


def holds(
    condition: Mapping[str, Any],
    variables: Mapping[str, Any],
    execution: Mapping[str, Any] | None = None,
    services: Services | None = None,
) -> bool:
    """Whether `condition` passes.

    `variables` are the rendering variables (with `trigger`); `execution` is the ended execution
    a Flow trigger looks at (`namespace`, `flowId`, `state`, `labels`, `outputs`), None for a
    Schedule.
    """
    kind = canonical_type(str(condition.get("type", "")))
    name = short_name(kind)
    check = _CHECKS.get(kind)
    if check is None:
        if kind == _CORE + "PublicHoliday":
            raise ConditionError(
                "condition PublicHoliday is not supported by kflow (it needs a holiday "
                "calendar); use DayWeek/DateTimeBetween conditions or an Expression instead"
            )
        if kind == _CORE + "HasRetryAttempt":
            raise ConditionError(
                "condition HasRetryAttempt is not supported by kflow's triggers (the ended "
                "execution's task attempts are not available to them)"
            )
        raise ConditionError(f"condition type '{kind}' is not supported here")
    try:
        return check(_Context(condition, name, variables, execution, services))
    except ConditionError:
        raise
    except (TemplateError, FilterError) as error:
        raise ConditionError(f"condition {name}: {error}") from None


class _Context:
    """One condition being evaluated: its properties, and what it looks at."""

    def __init__(
        self,
        condition: Mapping[str, Any],
        name: str,
        variables: Mapping[str, Any],
        execution: Mapping[str, Any] | None,
        services: Services | None,
    ) -> None:
        self.condition = condition
        self.name = name
        self.variables = variables
        self.execution = execution
        self.services = services

    def fail(self, problem: str) -> ConditionError:
        return ConditionError(f"condition {self.name}: {problem}")

    def text(self, key: str, default: Any = None) -> str | None:
        """The property rendered to text (None when absent)."""
        value = self.condition.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool):
            value = "true" if value else "false"
        return render(str(value), self.variables, self.services)

    def required(self, key: str) -> str:
        value = self.text(key)
        if value is None:
            raise self.fail(f"'{key}' is required")
        return value

    def date(self) -> datetime:
        """The tested date: the rendered `date` property (the trigger date by default)."""
        text = self.text("date", TRIGGER_DATE) or ""
        try:
            return parse_moment(text.strip(), DEFAULT_ZONE).dt
        except FilterError:
            raise self.fail(f"cannot read the date {text!r} (ISO-8601 expected)") from None

    def nested(self) -> list[Mapping[str, Any]]:
        items = self.condition.get("conditions")
        if not isinstance(items, Sequence) or isinstance(items, str) or not items:
            raise self.fail("'conditions' must be a non-empty list of conditions")
        return [item for item in items if isinstance(item, Mapping)]

    def sub(self, condition: Mapping[str, Any]) -> bool:
        return holds(condition, self.variables, self.execution, self.services)

    def executed(self) -> Mapping[str, Any] | None:
        return self.execution


# -- date conditions ----------------------------------------------------------------------------


def _day_of_week(ctx: _Context) -> str:
    day = ctx.required("dayOfWeek").strip().upper()
    if day not in _DAYS:
        raise ctx.fail(f"dayOfWeek {day!r} is not a day (MONDAY … SUNDAY)")
    return day


def _day_week(ctx: _Context) -> bool:
    return _DAYS[ctx.date().weekday()] == _day_of_week(ctx)


def _day_week_in_month(ctx: _Context) -> bool:
    moment = ctx.date()
    if _DAYS[moment.weekday()] != _day_of_week(ctx):
        return False
    which = ctx.required("dayInMonth").strip().upper()
    if which == "LAST":
        return moment.day + 7 > calendar.monthrange(moment.year, moment.month)[1]
    if which not in _NTH:
        raise ctx.fail(f"dayInMonth {which!r} is not FIRST, SECOND, THIRD, FOURTH or LAST")
    return (moment.day - 1) // 7 + 1 == _NTH[which]


def _weekend(ctx: _Context) -> bool:
    return ctx.date().weekday() >= 5


def _offset_time(ctx: _Context, key: str) -> float | None:
    """Java's `OffsetTime` ordering key: seconds of day minus the offset (UTC if none given)."""
    text = ctx.text(key)
    if text is None or not text.strip():
        return None
    match = _OFFSET_TIME.match(text.strip())
    if match is None:
        raise ctx.fail(f"'{key}' {text!r} is not a time such as 16:00:00+02:00")
    seconds = int(match["h"]) * 3600 + int(match["m"]) * 60 + int(match["s"] or 0)
    seconds_f = seconds + float("0." + (match["f"] or "0"))
    return seconds_f - _offset_seconds(match["off"])


def _offset_seconds(text: str | None) -> int:
    if not text or text == "Z":
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60)


def _time_between(ctx: _Context) -> bool:
    moment = ctx.date()
    offset = moment.utcoffset() or timedelta(0)
    of_day = moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6
    current = of_day - offset.total_seconds()
    after, before = _offset_time(ctx, "after"), _offset_time(ctx, "before")
    if after is None and before is None:
        raise ctx.fail("set 'after', 'before' or both")
    return (after is None or current > after) and (before is None or current < before)


def _zoned(ctx: _Context, key: str) -> datetime | None:
    text = ctx.text(key)
    if text is None or not text.strip():
        return None
    try:
        return parse_moment(text.strip(), DEFAULT_ZONE).dt
    except FilterError:
        raise ctx.fail(f"'{key}' {text!r} is not an ISO-8601 date-time") from None


def _date_time_between(ctx: _Context) -> bool:
    moment = ctx.date()
    after, before = _zoned(ctx, "after"), _zoned(ctx, "before")
    if after is None and before is None:
        raise ctx.fail("set 'after', 'before' or both")
    return (after is None or moment >= after) and (before is None or moment <= before)


# -- execution conditions -----------------------------------------------------------------------


def _field(ctx: _Context, key: str) -> Any:
    execution = ctx.executed()
    return None if execution is None else execution.get(key)


def _execution_flow(ctx: _Context) -> bool:
    if ctx.executed() is None:
        return True
    return bool(
        _field(ctx, "namespace") == ctx.condition.get("namespace")
        and _field(ctx, "flowId") == ctx.condition.get("flowId")
    )


def _seed_execution(ctx: _Context) -> bool:
    if ctx.executed() is None:
        return True
    flow_id = ctx.condition.get("flowId")
    states = ctx.condition.get("states")
    return bool(
        _field(ctx, "namespace") == ctx.condition.get("namespace")
        and (flow_id is None or _field(ctx, "flowId") == flow_id)
        and (not states or _field(ctx, "state") in states)
    )


def _execution_namespace(ctx: _Context) -> bool:
    if ctx.executed() is None:
        return True
    actual = str(_field(ctx, "namespace") or "")
    wanted = str(ctx.condition.get("namespace") or "")
    comparison = ctx.condition.get("comparison")
    if comparison is None:
        comparison = "PREFIX" if ctx.condition.get("prefix") else "EQUALS"
    if comparison == "PREFIX":
        return actual.startswith(wanted)
    if comparison == "SUFFIX":
        return actual.endswith(wanted)
    return actual == wanted


def _execution_status(ctx: _Context) -> bool:
    if ctx.executed() is None:
        return True
    state = _field(ctx, "state")
    in_, not_in = ctx.condition.get("in"), ctx.condition.get("notIn")
    if in_ is None and not_in is None:
        raise ctx.fail("set 'in', 'notIn' or both")
    return (in_ is None or state in in_) and (not_in is None or state not in not_in)


def _label_pairs(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping):
        return {str(k): _text(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return {
            str(item.get("key")): _text(item.get("value"))
            for item in value
            if isinstance(item, Mapping)
        }
    return {}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _execution_labels(ctx: _Context) -> bool:
    if ctx.executed() is None:
        return True
    wanted = _label_pairs(ctx.condition.get("labels"))
    actual = _label_pairs(_field(ctx, "labels") or {})
    return all(actual.get(key) == value for key, value in wanted.items())


def _execution_outputs(ctx: _Context) -> bool:
    outputs = _field(ctx, "outputs")
    if not outputs:
        return False
    variables = dict(ctx.variables)
    variables["trigger"] = {**dict(variables.get("trigger") or {}), "outputs": outputs}
    text = render(str(ctx.condition.get("expression", "")), variables, ctx.services).strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise ctx.fail(f"the expression gave {text!r}, not true or false")


def _flow_namespace(ctx: _Context) -> bool:
    if ctx.executed() is None:
        return True
    actual = str(_field(ctx, "namespace") or "")
    wanted = str(ctx.condition.get("namespace") or "")
    return actual.startswith(wanted) if ctx.condition.get("prefix") else actual == wanted


# -- combinators and expressions ----------------------------------------------------------------


def _expression(ctx: _Context) -> bool:
    text = ctx.required("expression").strip()
    return not (text == "" or text == "false")


def _not(ctx: _Context) -> bool:
    return not any(ctx.sub(item) for item in ctx.nested())


def _or(ctx: _Context) -> bool:
    return any(ctx.sub(item) for item in ctx.nested())


def _multiple(ctx: _Context) -> bool:
    # a window over several executions: `flow_trigger.Preconditions` keeps it, not a test
    return True


_CHECKS = {
    _CORE + "DayWeek": _day_week,
    _CORE + "DayWeekInMonth": _day_week_in_month,
    _CORE + "Weekend": _weekend,
    _CORE + "TimeBetween": _time_between,
    _CORE + "DateTimeBetween": _date_time_between,
    _CORE + "ExecutionFlow": _execution_flow,
    _CORE + "FlowCondition": _execution_flow,
    _CORE + "Execution": _seed_execution,
    _CORE + "ExecutionNamespace": _execution_namespace,
    _CORE + "FlowNamespaceCondition": _flow_namespace,
    _CORE + "ExecutionStatus": _execution_status,
    _CORE + "ExecutionLabels": _execution_labels,
    _CORE + "ExecutionOutputs": _execution_outputs,
    _CORE + "Expression": _expression,
    _CORE + "Not": _not,
    _CORE + "Or": _or,
    _CORE + "MultipleCondition": _multiple,
}

#: The condition types that look at an ended execution (Kestra leaves them out on a Schedule).
EXECUTION_TYPES = frozenset(
    _CORE + name
    for name in (
        "ExecutionFlow",
        "FlowCondition",
        "Execution",
        "ExecutionNamespace",
        "FlowNamespaceCondition",
        "ExecutionStatus",
        "ExecutionLabels",
        "MultipleCondition",
    )
)
