"""What a task implementation sees when it runs: `TaskContext`.

Every target calls task implementations the same way, `run(ctx, props) -> outputs`: `props` are the
task's properties as written (unrendered, after plugin defaults), and the implementation renders
what Kestra renders with `ctx.render(...)`, as Kestra plugins call `runContext.render(...)`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kflow.runtime_shims.storage import Storage


class Renderer(Protocol):
    def __call__(self, value: Any, variables: Mapping[str, Any]) -> Any: ...


class TaskFailure(Exception):
    """A task ends FAILED with this message (no traceback is shown to the user)."""


class TaskWarning(Exception):
    """A task ends in WARNING with this message; `outputs` are kept."""

    def __init__(self, message: str, outputs: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.outputs = outputs or {}


@dataclass
class TaskContext:
    """The run of one task: its variables, logger, storage and working directory."""

    execution_id: str
    namespace: str
    flow_id: str
    task_id: str
    task_run_id: str
    task_type: str
    variables: dict[str, Any]  # the render context: flow, execution, task, taskrun, outputs, …
    storage: Storage
    log: Callable[[str, str], None]  # (level, message)
    renderer: Renderer
    workdir: Path | None = None  # set inside a WorkingDirectory, else a fresh temp dir on demand
    temporary_workdir: bool = False  # the temp dir was made for this task: removed after it
    services: dict[str, Any] = field(default_factory=dict)  # state store, kv, flows dir, …
    # Set when the engine stops the task (its timeout passed): a long task checks it, or waits
    # with `sleep`, and a task that starts a process registers a kill hook with `on_kill`.
    cancelled: threading.Event = field(default_factory=threading.Event)
    _kill_hooks: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def on_kill(self, hook: Callable[[], None]) -> None:
        """Call `hook` when the task is stopped (e.g. kill the process the task started)."""
        self._kill_hooks.append(hook)
        if self.cancelled.is_set():
            hook()

    def stop(self) -> None:
        """Stop the task: set `cancelled` and run the kill hooks (called by the engine)."""
        self.cancelled.set()
        for hook in list(self._kill_hooks):
            try:
                hook()
            except Exception:  # a hook that fails must not hide the timeout
                continue

    def sleep(self, seconds: float) -> bool:
        """Wait `seconds`, or less if the task is stopped; True if the full time passed."""
        return not self.cancelled.wait(max(seconds, 0.0))

    def render(self, value: Any) -> Any:
        """Render every template string in `value` (strings, lists, mappings)."""
        return self.renderer(value, self.variables)

    def render_str(self, value: Any) -> str | None:
        """Render `value` to a string (None stays None)."""
        if value is None:
            return None
        rendered = self.render(value)
        return rendered if isinstance(rendered, str) else str(rendered)

    def storage_key(self, name: str) -> str:
        """Where a file this task produces lives in internal storage."""
        return "/".join(
            [
                *self.namespace.split("."),
                self.flow_id,
                "executions",
                self.execution_id,
                "tasks",
                self.task_id,
                self.task_run_id,
                name,
            ]
        )
