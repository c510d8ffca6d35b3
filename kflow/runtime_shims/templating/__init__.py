"""Kestra's templating at run time: Pebble expressions evaluated with Kestra's semantics.

``render(template, variables)`` renders a property value to text, ``evaluate`` gives the typed
value of a template that is one ``{{ expression }}``, ``render_value`` renders every string in a
nested value. Variables are Kestra's context (``flow``, ``execution``, ``task``, ``taskrun``,
``outputs``, ``inputs``, ``vars``, ``labels``, ``trigger``, ``envs``…) as plain data;
``Services`` connects ``secret()``, ``read()``, ``fileURI()`` and ``kv()`` to the outside world.

Error messages name the position and the variable, and never carry a secret's value: every value
``secret()`` returned during the rendering is masked in them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kflow.runtime_shims.templating.errors import (
    SandboxError,
    TemplateError,
    UndefinedError,
    scrub,
)
from kflow.runtime_shims.templating.evaluator import RenderContext, compile_template
from kflow.runtime_shims.templating.services import Services, env_secret, env_variables
from kflow.runtime_shims.templating.values import kestra_truthy as is_truthy

__all__ = [
    "SandboxError",
    "Services",
    "TemplateError",
    "UndefinedError",
    "env_secret",
    "env_variables",
    "evaluate",
    "is_truthy",
    "render",
    "render_value",
]

_NO_SERVICES = Services()
_NO_TASKS: frozenset[str] = frozenset()


def _context(
    template: str,
    variables: Mapping[str, Any],
    services: Services | None,
    task_ids: frozenset[str],
) -> RenderContext:
    return RenderContext(variables, services or _NO_SERVICES, task_ids, template)


def _task_ids(task_ids: Any) -> frozenset[str]:
    return task_ids if type(task_ids) is frozenset else frozenset(task_ids)


def _masked(error: TemplateError, ctx: RenderContext) -> TemplateError:
    if not ctx.secrets:
        return error
    masked = type(error)(scrub(error.message, ctx.secrets), error.start, error.end)
    return masked


def render(
    template: str,
    variables: Mapping[str, Any],
    services: Services | None = None,
    task_ids: frozenset[str] = _NO_TASKS,
) -> str:
    """Render ``template`` to text, as Kestra renders a property.

    Maps and lists print as compact JSON, null as nothing; the result is not rendered again
    (use ``render()`` in the template for that). ``task_ids`` are the flow's task ids, so that
    ``outputs.my-task.value`` means the task ``my-task``. Raises :class:`TemplateError`.
    """
    result: str = _run(template, variables, services, task_ids, typed=False)
    return result


def evaluate(
    template: str,
    variables: Mapping[str, Any],
    services: Services | None = None,
    task_ids: frozenset[str] = _NO_TASKS,
) -> Any:
    """The typed value of a template that is exactly one ``{{ expression }}`` (whitespace
    around it allowed): a bool, number, list, map…; for any other template, :func:`render`'s
    text. For ``If`` conditions, ForEach ``values`` and ``runIf``.
    """
    return _run(template, variables, services, task_ids, typed=True)


def _run(
    template: str,
    variables: Mapping[str, Any],
    services: Services | None,
    task_ids: frozenset[str],
    typed: bool,
) -> Any:
    if "{" not in template:
        return template
    ids = _task_ids(task_ids)
    compiled = compile_template(template, ids)
    ctx = _context(template, variables, services, ids)
    try:
        return compiled.evaluate(ctx) if typed else compiled.render(ctx)
    except TemplateError as error:
        raise _masked(error, ctx) from None


def render_value(
    value: Any,
    variables: Mapping[str, Any],
    services: Services | None = None,
    task_ids: frozenset[str] = _NO_TASKS,
) -> Any:
    """Render every string in ``value``: strings are rendered, maps (keys too) and lists are
    walked, other values are returned unchanged."""
    if isinstance(value, str):
        return render(value, variables, services, task_ids)
    if isinstance(value, Mapping):
        return {
            render_value(k, variables, services, task_ids): render_value(
                v, variables, services, task_ids
            )
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [render_value(v, variables, services, task_ids) for v in value]
    return value
