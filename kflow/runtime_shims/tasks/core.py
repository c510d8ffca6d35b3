"""The core tasks that need nothing but the context: debug, log, output, execution, Sleep, Toggle.

Each is `run(ctx, props) -> outputs`, Kestra's task of the same name:

- `debug.Return`: `format` rendered → `{"value": text}` (null when there is no `format`).
- `debug.Echo` (deprecated): logs `format` rendered at `level`; no outputs.
- `log.Log`: logs `message` (text or a list of texts, each rendered) at `level`; no outputs.
- `output.OutputValues`: `values` rendered (deeply) → `{"values": {...}}`.
- `execution.Fail`: without `condition`, fails with `errorMessage` (default "Task failure"); with
  one, fails only when it renders truthy (Kestra's rule, `kestra_truthy`), with `errorMessage`
  as the reason.
  (Kestra logs `errorMessage` and fails with "Fail on a condition"; kflow fails with the message.)
- `execution.Labels`: `labels` (a mapping, a list of `{key, value}`, or a JSON string of either)
  rendered to text and handed to `ctx.services['set_labels'](dict)`; `system.` keys are refused.
- `execution.Resume`: calls `ctx.services['resume'](execution_id, inputs)` when the engine
  provides it, else fails ("not supported by the runner yet").
- `flow.Sleep`: waits `duration` (`ctx.sleep`); a task stopped meanwhile (its timeout) fails.
- `condition.Expression` used as a task (the seed notes' dialect): `{"value": truthy(expression)}`.
- `trigger.Toggle`: fails; toggling a trigger needs the kflow server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from kflow.runtime_shims.context import TaskContext, TaskFailure, TaskWarning
from kflow.runtime_shims.durations import DurationError, parse_duration
from kflow.runtime_shims.tasks._common import (
    as_text,
    failure,
    level,
    rendered,
    required_text,
    text,
)
from kflow.runtime_shims.templating.values import kestra_truthy as truthy

SYSTEM_LABEL_PREFIX = "system."


def return_value(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """debug.Return: the rendered `format` as `value`."""
    return {"value": text(ctx, props, "format")}


def echo(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """debug.Echo: log the rendered `format` at `level`."""
    ctx.log(level(ctx, props), text(ctx, props, "format") or "")
    return {}


def log(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """log.Log: log each rendered `message` at `level`."""
    message = props.get("message")
    if message is None:
        raise failure(ctx, "property 'message' is required")
    at = level(ctx, props)
    for item in message if isinstance(message, list) else [message]:
        if isinstance(item, (dict, list)):
            raise failure(ctx, "'message' must be a text or a list of texts")
        ctx.log(at, as_text(ctx.render(item)))
    return {}


def output_values(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """output.OutputValues: `values` rendered, as `values`."""
    values = rendered(ctx, props, "values", {})
    if not isinstance(values, dict):
        raise failure(ctx, f"'values' must be a mapping, not {type(values).__name__}")
    return {"values": values}


def fail(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """execution.Fail: fail, or fail when `condition` renders truthy."""
    if props.get("condition") is not None:
        condition = rendered(ctx, props, "condition")
        if not truthy(condition):
            return {}
    # the user's own message, without the `execution.Fail:` prefix of kflow's messages
    raise TaskFailure(text(ctx, props, "errorMessage") or "Task failure")


def labels(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """execution.Labels: add or replace labels of the execution through `set_labels`."""
    raw = props.get("labels")
    if raw is None:
        raise failure(ctx, "property 'labels' is required")
    if isinstance(raw, str):
        raw = _json(ctx, ctx.render(raw), "labels")
    found: dict[str, str] = {}
    if isinstance(raw, dict):
        pairs = list(raw.items())
    elif isinstance(raw, list):
        pairs = []
        for item in raw:
            if not isinstance(item, dict) or "key" not in item or "value" not in item:
                raise failure(ctx, "a label in a list must be a mapping with 'key' and 'value'")
            pairs.append((item["key"], item["value"]))
    else:
        raise failure(ctx, "'labels' must be a mapping, a list of {key, value} or a JSON string")
    for key, value in pairs:
        name = as_text(ctx.render(key))
        # a nested mapping becomes its JSON, as in Kestra; anything else its text
        found[name] = as_text(ctx.render(value))
    system = [k for k in found if k.startswith(SYSTEM_LABEL_PREFIX)]
    if system:
        raise failure(ctx, f"system labels can only be set by kflow itself: '{system[0]}'")
    set_labels = ctx.services.get("set_labels")
    if set_labels is None:
        raise failure(ctx, "this target cannot change the labels of an execution")
    set_labels(found)
    return {}


def resume(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """execution.Resume: resume a paused execution through the engine's `resume` hook."""
    hook = ctx.services.get("resume")
    if hook is None:
        raise failure(ctx, "resuming an execution from a task is not supported by the runner yet")
    execution_id = text(ctx, props, "executionId") or ctx.execution_id
    inputs = rendered(ctx, props, "inputs")
    if inputs is not None and not isinstance(inputs, dict):
        raise failure(ctx, "'inputs' must be a mapping")
    hook(execution_id, inputs)
    return {}


def sleep(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """flow.Sleep: wait for `duration`, or until the task is cancelled."""
    duration = required_text(ctx, props, "duration")
    try:
        seconds = parse_duration(duration)
    except DurationError as error:
        raise failure(ctx, str(error)) from None
    if seconds < 0:
        raise failure(ctx, f"duration {duration!r} is negative")
    if not ctx.sleep(seconds):
        raise failure(ctx, "cancelled while sleeping")
    return {}


def pause(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """flow.Pause with a `pauseDuration` (or `delay`), as a target runs it: wait, then end as
    `behavior` says (RESUME, WARN, FAIL, CANCEL). The runner's own Pause is in `flowables`."""
    duration = text(ctx, props, "pauseDuration") or required_text(ctx, props, "delay")
    sleep(ctx, {"duration": duration})
    behavior = (text(ctx, props, "behavior") or "RESUME").upper()
    if behavior == "WARN":
        raise TaskWarning(f"paused for {duration}; behavior WARN")
    if behavior in ("FAIL", "CANCEL"):
        raise failure(ctx, f"paused for {duration}; behavior {behavior}")
    return {}


def expression(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """condition.Expression as a task (seed notes): whether `expression` renders truthy."""
    if props.get("expression") is None:
        raise failure(ctx, "property 'expression' is required")
    return {"value": truthy(rendered(ctx, props, "expression"))}


def toggle(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """trigger.Toggle: not available without a server that runs triggers."""
    trigger = text(ctx, props, "trigger") or "?"
    raise failure(
        ctx, f"toggling trigger '{trigger}' needs the kflow server; `kflow run` runs no triggers"
    )


def _json(ctx: TaskContext, value: Any, name: str) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise failure(ctx, f"'{name}' is not valid JSON: {error.msg}") from None
