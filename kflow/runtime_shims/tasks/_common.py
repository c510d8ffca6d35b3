"""What every task implementation needs: reading rendered properties, truthiness, failures.

Properties reach `run(ctx, props)` as written (plain JSON-like data). A property Kestra types
(`Property<Boolean>`, `Property<Integer>`) may still hold a template, which renders to text: the
readers here render first, then read the text as the type, and fail with a message that names the
task and the property.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kflow.runtime_shims.context import TaskContext, TaskFailure
from kflow.runtime_shims.storage import StorageError

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")


def as_text(value: Any) -> str:
    """A rendered value as text: null as empty, booleans as `true`, maps and lists as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def label(ctx: TaskContext) -> str:
    """The short name of the task type in messages: `kv.Get` for `io.kestra.plugin.core.kv.Get`."""
    return ".".join(ctx.task_type.split(".")[-2:])


def failure(ctx: TaskContext, message: str) -> TaskFailure:
    """A TaskFailure whose message starts with the task type (`kv.Get: …`)."""
    return TaskFailure(f"{label(ctx)}: {message}")


def rendered(ctx: TaskContext, props: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """Property `name` rendered (maps and lists deeply), or `default` when it is absent or null."""
    value = props.get(name)
    if value is None:
        return default
    return ctx.render(value)


def text(
    ctx: TaskContext,
    props: Mapping[str, Any],
    name: str,
    default: str | None = None,
    required: bool = False,
) -> str | None:
    """Property `name` rendered to text; a TaskFailure when `required` and it is absent."""
    value = props.get(name)
    if value is None:
        if required and default is None:
            raise failure(ctx, f"property '{name}' is required")
        return default
    return as_text(ctx.render(value))


def required_text(ctx: TaskContext, props: Mapping[str, Any], name: str) -> str:
    """Property `name` rendered to non-blank text; a TaskFailure when it is absent or blank."""
    value = text(ctx, props, name, required=True)
    if value is None or not value.strip():
        raise failure(ctx, f"property '{name}' is required and rendered empty")
    return value


def flag(ctx: TaskContext, props: Mapping[str, Any], name: str, default: bool) -> bool:
    """A boolean property: true/false, or a template rendering to `true`/`false` (any case)."""
    value = props.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    result = ctx.render(value)
    if isinstance(result, bool):
        return result
    if isinstance(result, str) and result.strip().lower() in ("true", "false"):
        return result.strip().lower() == "true"
    raise failure(ctx, f"property '{name}' must be true or false, not {result!r}")


def integer(ctx: TaskContext, props: Mapping[str, Any], name: str) -> int | None:
    """An integer property (or a template rendering to one); None when absent."""
    value = props.get(name)
    if value is None:
        return None
    result = ctx.render(value) if isinstance(value, str) else value
    if isinstance(result, int) and not isinstance(result, bool):
        return result
    if isinstance(result, str) and result.strip().lstrip("+-").isdigit():
        return int(result.strip())
    raise failure(ctx, f"property '{name}' must be an integer, not {result!r}")


def level(ctx: TaskContext, props: Mapping[str, Any], name: str = "level") -> str:
    """A log level property (default INFO), upper-cased and checked."""
    value = (text(ctx, props, name, default="INFO") or "INFO").strip().upper()
    if value == "WARNING":
        value = "WARN"
    if value not in LEVELS:
        raise failure(ctx, f"invalid level {value!r}; use one of {', '.join(LEVELS)}")
    return value


def state_store(ctx: TaskContext) -> Any:
    """The runner's StateStore (`ctx.services['state']`); a TaskFailure when there is none."""
    store = ctx.services.get("state")
    if store is None:
        raise failure(ctx, "needs the runner's state store, and this target provides none")
    return store


def storage_path(ctx: TaskContext, uri: str, what: str = "file") -> Path:
    """The local path of a `kestra://` file; a TaskFailure naming `what` when it is not there."""
    try:
        return ctx.storage.path(uri)
    except StorageError as error:
        raise failure(ctx, f"{what}: {error}") from None


def workdir(ctx: TaskContext) -> Path:
    """The task's working directory: the WorkingDirectory's, else a new temporary one.

    The new one is kept in `ctx.workdir` and marked temporary: `step.invoke` removes it after
    the task.
    """
    if ctx.workdir is None:
        ctx.workdir = Path(tempfile.mkdtemp(prefix=f"kflow-{ctx.task_id}-"))
        ctx.temporary_workdir = True
    return ctx.workdir
