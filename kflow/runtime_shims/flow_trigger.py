"""Flow triggers at run time: does an ended execution start the listening flow?

`matches` is the stateless part (the trigger's `states` and `conditions`); `Preconditions` keeps
what must persist between executions (`preconditions` and the deprecated `MultipleCondition`:
which upstream executions were seen in the current time window); `fires` is both.

Choices (Kestra's documentation is silent or kflow differs):

- Default `states`: the terminal states and PAUSED (Kestra 1.x): SUCCESS, WARNING, FAILED,
  KILLED, CANCELLED, RETRIED, SKIPPED, PAUSED.
- A flow never triggers itself: an execution of the listening flow is ignored, whatever the
  conditions say (Kestra's `FlowService.removeUnwanted`).
- Precondition windows are computed in UTC (Kestra: the server's zone); `deadline`,
  `startTime` and `endTime` may carry an offset (`09:00:00+02:00`).
- A window is opened by the first matching execution seen when none is open (as in Kestra): a
  DURATION_WINDOW is aligned (P1D → midnight, PT1H → the hour, PT15M → the quarter, then
  `windowAdvance`); a SLIDING_WINDOW starts at that execution and lasts `window`; daily windows
  are today's `[startTime, endTime]` or `[00:00, deadline]`, and executions outside them are
  not counted.
- With `resetOnSuccess: false`, once every precondition is met the trigger fires for each
  further execution that meets one of them, until the window closes (Kestra fires for any
  execution then; kflow requires it to match a precondition).
- `trigger.outputs` are the outputs of the execution that fires the trigger (Kestra also merges
  in those of the execution that opened the window).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from kflow.runtime_shims.conditions import ConditionError, condition_dicts, holds

if TYPE_CHECKING:
    from kflow.compiler import ir
    from kflow.runtime_shims.templating import Services

__all__ = [
    "DEFAULT_STATES",
    "FLOW_TRIGGER_TYPE",
    "Ended",
    "FlowTriggerError",
    "Preconditions",
    "fires",
    "matches",
    "variables",
]

FLOW_TRIGGER_TYPE = "io.kestra.plugin.core.trigger.Flow"
_MULTIPLE = "io.kestra.plugin.core.condition.MultipleCondition"

#: The states a Flow trigger looks at when it sets no `states` (Kestra 1.x).
DEFAULT_STATES = (
    "FAILED",
    "WARNING",
    "SUCCESS",
    "KILLED",
    "CANCELLED",
    "RETRIED",
    "SKIPPED",
    "PAUSED",
)
_UTC = timezone.utc
_DAY = timedelta(days=1)
_TIME = re.compile(
    r"(?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d{1,9})?)?(?P<off>Z|[+-]\d{2}(?::?\d{2})?)?\Z"
)


class FlowTriggerError(ValueError):
    """A Flow trigger that cannot be evaluated; the message names the trigger."""


@dataclass(frozen=True)
class Ended:
    """An execution that ended (or changed state): what a Flow trigger looks at.

    `outputs` are the flow outputs; `labels` the execution labels; `flow_revision`,
    `start_date` and `end_date` (ISO-8601 text) are given to `trigger.*` when known.
    """

    execution_id: str
    namespace: str
    flow_id: str
    state: str
    outputs: Mapping[str, Any] = field(default_factory=dict, hash=False)
    labels: Mapping[str, Any] = field(default_factory=dict, hash=False)
    flow_revision: int | None = None
    start_date: str | None = None
    end_date: str | None = None

    def as_condition_subject(self) -> dict[str, Any]:
        """The execution as conditions read it."""
        return {
            "id": self.execution_id,
            "namespace": self.namespace,
            "flowId": self.flow_id,
            "state": self.state,
            "labels": dict(self.labels),
            "outputs": dict(self.outputs),
        }


def variables(ended: Ended) -> dict[str, Any]:
    """The `trigger` variable of the execution a Flow trigger starts (Kestra's names):
    `executionId`, `namespace`, `flowId`, `flowRevision`, `state`, `outputs`, `executionLabels`
    (nested at dots, as Kestra's `Label.toNestedMap`), and `startDate`/`endDate` when known."""
    result: dict[str, Any] = {
        "executionId": ended.execution_id,
        "namespace": ended.namespace,
        "flowId": ended.flow_id,
        "flowRevision": ended.flow_revision,
        "state": ended.state,
        "outputs": dict(ended.outputs),
        "executionLabels": _nested(ended.labels),
    }
    if ended.start_date is not None:
        result["startDate"] = ended.start_date
    if ended.end_date is not None:
        result["endDate"] = ended.end_date
    return result


def _nested(labels: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in labels.items():
        *parents, leaf = str(key).split(".")
        node = result
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        node[leaf] = value
    return result


def _properties(trigger: ir.Trigger) -> dict[str, Any]:
    from kflow.compiler import ir as ir_module

    if trigger.type != FLOW_TRIGGER_TYPE:
        raise FlowTriggerError(f"trigger '{trigger.id}' is a {trigger.type}, not a Flow trigger")
    props = ir_module.thaw(trigger.properties)
    return props if isinstance(props, dict) else {}


def _scope(ended: Ended, listener_namespace: str, listener_flow_id: str | None) -> dict[str, Any]:
    """Rendering variables of a Flow trigger's conditions: `trigger` (the ended execution),
    `flow` (the listening flow), `execution` (the ended one) and `labels` (its labels)."""
    return {
        "trigger": variables(ended),
        "flow": {"namespace": listener_namespace, "id": listener_flow_id},
        "execution": {"id": ended.execution_id, "state": ended.state},
        "labels": dict(ended.labels),
    }


def matches(
    trigger: ir.Trigger,
    listener_namespace: str,
    ended: Ended,
    *,
    listener_flow_id: str | None = None,
    services: Services | None = None,
) -> bool:
    """The stateless part of a Flow trigger: it is enabled, `ended` is in one of its `states`
    and passes every condition (MultipleCondition aside: see `Preconditions`).

    With `listener_flow_id`, an execution of the listening flow itself never matches (Kestra
    forbids a flow triggering itself). Raises `FlowTriggerError` for a condition that cannot be
    evaluated.
    """
    props = _properties(trigger)
    if trigger.disabled:
        return False
    if listener_flow_id is not None and (ended.namespace, ended.flow_id) == (
        listener_namespace,
        listener_flow_id,
    ):
        return False
    states = props.get("states") or DEFAULT_STATES
    if ended.state not in states:
        return False
    scope = _scope(ended, listener_namespace, listener_flow_id)
    subject = ended.as_condition_subject()
    try:
        return all(
            holds(condition, scope, subject, services)
            for condition in condition_dicts(trigger.conditions)
            if condition["type"] != _MULTIPLE
        )
    except ConditionError as error:
        raise FlowTriggerError(f"trigger '{trigger.id}': {error}") from None


# -- preconditions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Group:
    """Named tests that must all have passed within one time window."""

    id: str
    members: tuple[tuple[str, str, Mapping[str, Any]], ...]  # (name, kind, data)
    window: Mapping[str, Any]
    reset: bool


class Preconditions:
    """The stateful part of a Flow trigger: upstream executions seen in the current window.

    Built from `preconditions` (`flows`, `where`, `timeWindow`, `resetOnSuccess`) and from any
    deprecated MultipleCondition in `conditions`. `state()` is JSON data to persist between
    restarts; pass it back as `state`.
    """

    def __init__(
        self,
        trigger: ir.Trigger,
        state: Mapping[str, Any] | None = None,
        *,
        listener_namespace: str | None = None,
        listener_flow_id: str | None = None,
        services: Services | None = None,
    ) -> None:
        props = _properties(trigger)
        self.trigger_id = trigger.id
        self._listener = (listener_namespace or "", listener_flow_id)
        self._services = services
        self._groups = _groups(props, condition_dicts(trigger.conditions))
        saved = dict(state or {})
        self._windows: dict[str, dict[str, Any]] = {
            group.id: _load_window(saved.get(group.id)) for group in self._groups
        }

    def observe(self, ended: Ended, now: datetime) -> bool:
        """Record `ended` (already accepted by `matches`) at `now`; True when the trigger fires
        now. On firing, the windows with `resetOnSuccess` (the default) start over."""
        if not self._groups:
            return True
        now = now.replace(tzinfo=_UTC) if now.tzinfo is None else now.astimezone(_UTC)
        counted = False
        complete = True
        for group in self._groups:
            window = self._windows[group.id]
            if window and not _is_open(window, now):
                window.clear()  # expired: its results are forgotten
            passed = [name for name, kind, data in group.members if self._passes(kind, data, ended)]
            if passed and not window:
                window.update(_open(group.window, now))
            if passed and _is_open(window, now):
                counted = True
                results = window.setdefault("results", {})
                for name in passed:
                    results.setdefault(name, _stamp(now))
            if len(window.get("results", {})) < len(group.members):
                complete = False
        if not (counted and complete):
            return False
        for group in self._groups:
            if group.reset:
                self._windows[group.id] = {}
        return True

    def state(self) -> dict[str, Any]:
        """The open windows as JSON data: `{group id: {"start", "end", "results"}}`."""
        return {key: json_copy(value) for key, value in self._windows.items() if value}

    def _passes(self, kind: str, data: Mapping[str, Any], ended: Ended) -> bool:
        try:
            if kind == "flow":
                return _upstream_passes(data, ended)
            scope = _scope(ended, *self._listener)
            if kind == "where":
                return _where_passes(data, ended, scope, self._services)
            return holds(data, scope, ended.as_condition_subject(), self._services)
        except ConditionError as error:
            raise FlowTriggerError(f"trigger '{self.trigger_id}': {error}") from None


def json_copy(value: Any) -> Any:
    """A deep copy of JSON-like data (mappings become dicts, sequences lists)."""
    if isinstance(value, Mapping):
        return {str(k): json_copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_copy(v) for v in value]
    return value


def _groups(props: Mapping[str, Any], conditions: Sequence[Mapping[str, Any]]) -> list[_Group]:
    """The windows a trigger keeps: one for `preconditions`, one per MultipleCondition."""
    groups: list[_Group] = []
    pre = props.get("preconditions")
    if isinstance(pre, Mapping):
        members: list[tuple[str, str, Mapping[str, Any]]] = []
        for index, item in enumerate(pre.get("flows") or ()):
            if isinstance(item, Mapping):
                members.append((f"flows[{index}]", "flow", item))
        for index, item in enumerate(pre.get("where") or ()):
            if isinstance(item, Mapping):
                members.append((f"where[{item.get('id', index)}]", "where", item))
        if members:
            reset = pre.get("resetOnSuccess", True) is not False
            window = pre.get("timeWindow") or {}
            groups.append(
                _Group(str(pre.get("id", "preconditions")), tuple(members), window, reset)
            )
    for condition in conditions:
        if condition["type"] != _MULTIPLE:
            continue
        named = condition.get("conditions") or {}
        window = dict(condition.get("timeWindow") or {})
        for legacy in ("window", "windowAdvance"):
            if condition.get(legacy) is not None and legacy not in window:
                window[legacy] = condition[legacy]
        groups.append(
            _Group(
                "multipleCondition:" + str(condition.get("id", "")),
                tuple((str(k), "condition", v) for k, v in named.items() if isinstance(v, Mapping)),
                window,
                condition.get("resetOnSuccess", True) is not False,
            )
        )
    return groups


def _upstream_passes(upstream: Mapping[str, Any], ended: Ended) -> bool:
    """One entry of `preconditions.flows`: namespace, flowId, states, labels."""
    if upstream.get("namespace") != ended.namespace:
        return False
    flow_id = upstream.get("flowId")
    if flow_id is not None and flow_id != ended.flow_id:
        return False
    states = upstream.get("states")
    if states and ended.state not in states:
        return False
    labels = upstream.get("labels") or {}
    return all(_label_text(ended.labels.get(k)) == _label_text(v) for k, v in labels.items())


def _label_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _where_passes(
    clause: Mapping[str, Any],
    ended: Ended,
    scope: Mapping[str, Any],
    services: Services | None,
) -> bool:
    """One entry of `preconditions.where`: its filters, combined by `operand`."""
    from kflow.runtime_shims.templating import TemplateError, render

    results = []
    for item in clause.get("filters") or ():
        kind = item.get("field")
        value = item.get("value")
        if kind == "FLOW_ID":
            actual: str | None = ended.flow_id
        elif kind == "NAMESPACE":
            actual = ended.namespace
        elif kind == "STATE":
            actual = ended.state
        elif kind == "EXPRESSION":
            try:
                actual = render(str(value or ""), scope, services)
            except TemplateError as error:
                raise ConditionError(f"where '{clause.get('id')}': {error}") from None
        else:
            raise ConditionError(f"where '{clause.get('id')}': unknown field {kind!r}")
        results.append(_compare(str(item.get("type")), actual, value, item.get("values")))
    if clause.get("operand", "AND") == "OR":
        return any(results)
    return all(results)


def _compare(kind: str, actual: str | None, value: Any, values: Any) -> bool:
    from kflow.runtime_shims.templating import is_truthy

    text = None if value is None else str(value)
    options = [str(v) for v in values or ()]
    if kind == "EQUAL_TO":
        return text == actual
    if kind == "NOT_EQUAL_TO":
        return text != actual
    if kind == "IN":
        return actual in options
    if kind == "NOT_IN":
        return actual not in options
    if kind == "IS_TRUE":
        return is_truthy(actual)
    if kind == "IS_FALSE":
        return not is_truthy(actual)
    if kind == "IS_NULL":
        return actual is None
    if kind == "IS_NOT_NULL":
        return actual is not None
    if actual is None or text is None:
        return False
    if kind == "STARTS_WITH":
        return actual.startswith(text)
    if kind == "ENDS_WITH":
        return actual.endswith(text)
    if kind == "REGEX":
        return re.fullmatch(text, actual) is not None
    if kind == "CONTAINS":
        return text in actual
    raise ConditionError(f"unknown filter type {kind!r}")


# -- windows ----------------------------------------------------------------------------------


def _stamp(moment: datetime) -> str:
    return moment.astimezone(_UTC).isoformat().replace("+00:00", "Z")


def _read(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=_UTC)


def _load_window(saved: Any) -> dict[str, Any]:
    return dict(saved) if isinstance(saved, Mapping) else {}


def _is_open(window: Mapping[str, Any], now: datetime) -> bool:
    return _read(window["start"]) <= now < _read(window["end"])


def _duration(text: Any, default: timedelta) -> timedelta:
    from kflow.runtime_shims.durations import DurationError, parse_duration

    if text is None:
        return default
    try:
        return timedelta(seconds=parse_duration(text))
    except DurationError as error:
        raise FlowTriggerError(f"timeWindow: {error}") from None


def _time_of_day(text: Any, day: datetime, what: str) -> datetime:
    match = _TIME.match(str(text or "").strip())
    if match is None:
        raise FlowTriggerError(f"timeWindow.{what} {text!r} is not a time such as 09:00:00")
    off = match["off"]
    offset = 0
    if off and off != "Z":
        digits = off[1:].replace(":", "")
        offset = (int(digits[:2]) * 3600 + int(digits[2:4] or 0) * 60) * (
            -1 if off[0] == "-" else 1
        )
    zone = timezone(timedelta(seconds=offset))
    local_day = day.astimezone(zone)
    return local_day.replace(
        hour=int(match["h"]), minute=int(match["m"]), second=int(match["s"] or 0), microsecond=0
    )


def _open(window: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A new window around `now`, as Kestra opens one."""
    kind = window.get("type") or "DURATION_WINDOW"
    length = _duration(window.get("window"), _DAY)
    if kind == "SLIDING_WINDOW":
        return {"start": _stamp(now), "end": _stamp(now + length)}
    if kind == "DAILY_TIME_WINDOW":
        start = _time_of_day(window.get("startTime"), now, "startTime")
        end = _time_of_day(window.get("endTime"), now, "endTime")
        return {"start": _stamp(start), "end": _stamp(end)}
    if kind == "DAILY_TIME_DEADLINE":
        deadline = _time_of_day(window.get("deadline"), now, "deadline")
        midnight = deadline.replace(hour=0, minute=0, second=0)
        return {"start": _stamp(midnight), "end": _stamp(deadline)}
    start = now.replace(microsecond=0)
    if length >= _DAY:
        start = start.replace(hour=0, minute=0, second=0)
    elif length >= timedelta(hours=1):
        start = start.replace(minute=0, second=0)
    elif length >= timedelta(minutes=1):
        minutes = int(length.total_seconds() // 60)
        start = start.replace(minute=start.minute // minutes * minutes, second=0)
    start += _duration(window.get("windowAdvance"), timedelta(0))
    return {"start": _stamp(start), "end": _stamp(start + length)}


def fires(
    trigger: ir.Trigger,
    listener_namespace: str,
    ended: Ended,
    preconditions: Preconditions | None,
    now: datetime,
    *,
    listener_flow_id: str | None = None,
    services: Services | None = None,
) -> bool:
    """Whether `ended` starts the listening flow now: `matches`, then `preconditions.observe`
    (which records it). A trigger with preconditions needs its `Preconditions` object."""
    if not matches(
        trigger,
        listener_namespace,
        ended,
        listener_flow_id=listener_flow_id,
        services=services,
    ):
        return False
    if preconditions is None:
        if _groups(_properties(trigger), condition_dicts(trigger.conditions)):
            raise FlowTriggerError(
                f"trigger '{trigger.id}' has preconditions: pass its Preconditions object"
            )
        return True
    return preconditions.observe(ended, now)
