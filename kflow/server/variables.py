"""The variables a trigger renders with (its key, inputs, conditions and response code)."""

from __future__ import annotations

from typing import Any

from kflow.compiler import ir
from kflow.runtime_shims.templating import Services, env_secret, env_variables, render_value


def trigger_context(flow: ir.Flow, trigger: dict[str, Any] | None) -> dict[str, Any]:
    """`flow`, `vars`, `envs` and, when given, the `trigger` variable of the execution to be."""
    context: dict[str, Any] = {
        "flow": {"id": flow.id, "namespace": flow.namespace, "revision": 1},
        "vars": ir.thaw(flow.variables),
        "envs": env_variables(),
    }
    if trigger is not None:
        context["trigger"] = trigger
    return context


def services() -> Services:
    """What a trigger's templates may call: `secret()` (Kestra OSS's environment backend)."""
    return Services(secret=env_secret)


def render_inputs(inputs: Any, context: dict[str, Any]) -> dict[str, Any]:
    """A trigger's `inputs` (IR data), every string rendered with `context` (see
    `trigger_context`); TemplateError (or ValueError, from a secret) when one cannot be."""
    rendered = render_value(ir.thaw(inputs) or {}, context, services())
    if not isinstance(rendered, dict):
        raise ValueError("'inputs' must be a map of input id to value")
    return rendered
