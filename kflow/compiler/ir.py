"""The intermediate representation every target compiles from.

Frozen dataclasses holding tuples; every node keeps its `span` (excluded from equality, so two
flows that differ only in layout are equal). Property values are frozen JSON-like data: `Obj`
for a mapping (a tuple of key/value pairs, in the order written), a tuple for a list, and scalars.
Aliases, deprecated spellings and plugin defaults are resolved by `kflow.compiler.lower`; what is
here is the canonical meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kflow.compiler.source import Span

NO_SPAN = Span("", 0, 0, 0, 0)


class Obj(tuple):  # type: ignore[type-arg]
    """A frozen mapping: a tuple of (key, value) pairs in document order."""

    __slots__ = ()

    def get(self, key: str, default: Any = None) -> Any:
        for k, v in self:
            if k == key:
                return v
        return default

    def keys(self) -> list[str]:
        return [k for k, _ in self]


EMPTY = Obj()


def freeze(value: Any) -> Any:
    """Plain JSON-like data → frozen IR data."""
    if isinstance(value, dict):
        return Obj((str(k), freeze(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)) and not isinstance(value, Obj):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Frozen IR data → plain JSON-like data."""
    if isinstance(value, Obj):
        return {k: thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Reads:
    """What a task's expressions read: task ids, input ids and variable names, sorted."""

    outputs: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    vars: tuple[str, ...] = ()


@dataclass(frozen=True)
class Retry:
    """A retry policy. Durations are ISO-8601 strings as written (canonical names)."""

    type: str  # constant | exponential | random
    max_attempts: int | None = None
    max_duration: str | None = None
    interval: str | None = None
    max_interval: str | None = None
    min_interval: str | None = None
    delay_factor: float | None = None
    warning_on_retry: bool = False
    behavior: str | None = None


@dataclass(frozen=True)
class Concurrency:
    """A flow's `concurrency`: at most `limit` executions at once; over it, `behavior`."""

    limit: int
    behavior: str = "QUEUE"  # QUEUE | CANCEL | FAIL


@dataclass(frozen=True)
class Input:
    id: str
    type: str
    required: bool = True
    default: Any = None
    description: str | None = None
    display_name: str | None = None
    extra: Obj = EMPTY  # the remaining type-specific settings (values, min, max, validator, …)
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Output:
    id: str
    type: str
    value: Any
    description: str | None = None
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Branch:
    """Child tasks under one property of a flowable; `key` is a Switch case's value."""

    name: str
    tasks: tuple[Task, ...]
    key: str | None = None


@dataclass(frozen=True)
class Task:
    id: str
    type: str  # canonical type
    properties: Obj = EMPTY
    description: str | None = None
    branches: tuple[Branch, ...] = ()
    depends_on: tuple[str, ...] = ()  # Dag edges
    retry: Retry | None = None
    timeout: str | None = None
    disabled: bool = False
    allow_failure: bool = False
    allow_warning: bool = False
    run_if: tuple[str, ...] = ()  # every template must render truthy, else SKIPPED
    log_level: str | None = None
    reads: Reads = Reads()
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def walk(self) -> Any:
        """This task and every task below it, in document order."""
        yield self
        for branch in self.branches:
            for task in branch.tasks:
                yield from task.walk()


@dataclass(frozen=True)
class Condition:
    type: str
    properties: Obj = EMPTY
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Trigger:
    id: str
    type: str
    properties: Obj = EMPTY
    conditions: tuple[Condition, ...] = ()
    disabled: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True)
class Listener:
    conditions: tuple[Condition, ...]
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class Flow:
    id: str
    namespace: str
    description: str | None = None
    labels: tuple[tuple[str, str], ...] = ()
    inputs: tuple[Input, ...] = ()
    variables: Obj = EMPTY
    outputs: tuple[Output, ...] = ()
    tasks: tuple[Task, ...] = ()
    errors: tuple[Task, ...] = ()
    finally_: tuple[Task, ...] = ()
    after_execution: tuple[Task, ...] = ()
    listeners: tuple[Listener, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    concurrency: Concurrency | None = None
    retry: Retry | None = None
    disabled: bool = False
    span: Span = field(default=NO_SPAN, compare=False, repr=False)

    def all_tasks(self) -> Any:
        """Every task of the flow (main, errors, finally, afterExecution, listeners)."""
        roots = [*self.tasks, *self.errors, *self.finally_, *self.after_execution]
        roots += [t for listener in self.listeners for t in listener.tasks]
        for root in roots:
            yield from root.walk()


def dependency_order(tasks: tuple[Task, ...] | list[Task]) -> list[Task]:
    """A Dag's tasks, each after those it depends on (otherwise as written); with a cycle or an
    unknown id (which the checker reports) the written order is kept for what remains."""
    ids = {t.id for t in tasks}
    done: dict[str, Task] = {}
    waiting = list(tasks)
    while waiting:
        ready = [t for t in waiting if all(d in done or d not in ids for d in t.depends_on)]
        for task in ready or waiting[:1]:
            done[task.id] = task
            waiting.remove(task)
    return list(done.values())
