"""What a plugin is: a Kestra type string mapped onto a properties model, outputs and children."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from pydantic import BaseModel

# `PluginSpec.type` (a str) shadows the builtin in the class body, so mypy needs another name
PropertiesModel: TypeAlias = "type[BaseModel]"


class Kind(str, Enum):
    TASK = "task"
    TRIGGER = "trigger"
    CONDITION = "condition"


class ChildShape(str, Enum):
    """How a flowable holds child tasks under one property."""

    LIST = "list"  # tasks: [task, ...]
    MAP_OF_LISTS = "map_of_lists"  # Switch cases: {value: [task, ...]}
    DAG = "dag"  # Dag tasks: [{task: task, dependsOn: [id, ...]}, ...]


@dataclass(frozen=True)
class Alias:
    """Another name a type is written under. `note` set: accepted with a KF213 warning."""

    name: str
    note: str | None = None


@dataclass(frozen=True)
class PluginSpec:
    """A task, trigger or condition type.

    `properties` validates the plugin's own properties only: the keys every task has (id, type,
    retry, timeout, …, see `kflow.compiler.schema`) and the child task lists named in `children`
    are checked by the compiler, not by this model.

    `model` is that model, or where it lives as `"package.module:ClassName"`: `properties` then
    imports it the first time it is read. Building a pydantic model costs about a millisecond, so
    a registry of a hundred types names them all up front and builds only those a flow uses.
    """

    type: str
    kind: Kind
    title: str
    model: PropertiesModel | str
    aliases: tuple[Alias, ...] = ()
    # Names of the outputs the task produces; None when they depend on the properties or the
    # run (the checker then does not check output names).
    outputs: tuple[str, ...] | None = ()
    children: dict[str, ChildShape] = field(default_factory=dict)
    # Properties whose absence means a connection must come from pluginDefaults, secrets or the
    # environment (KF214 warning rather than KF201 error).
    connection: tuple[str, ...] = ()
    # Whether children run one after another, all at once, or once per value.
    loops: bool = False
    # False when a flowable may have no child tasks at all (Pause's deprecated `tasks`).
    children_required: bool = True
    # Set when the type itself is deprecated or seed-only: reported as KF213 wherever it is used.
    note: str | None = None
    # The task's implementation, `run(ctx, props) -> outputs`, or where it lives as
    # `"package.module:function"`. Built-in tasks leave it unset: theirs are in
    # `kflow.runtime_shims.tasks`. A third-party task plugin must set it.
    run: Callable[..., Any] | str | None = None
    # A task (or trigger, condition) as a user would write it in a flow, in YAML; `kflow plugins
    # show` builds an example from the required properties when it is unset.
    example: str | None = None

    @property
    def flowable(self) -> bool:
        return bool(self.children)

    @cached_property
    def implementation(self) -> Callable[..., Any] | None:
        """`run`, imported now if it names where it lives."""
        if self.run is None or callable(self.run):
            return self.run
        module, _, name = self.run.partition(":")
        found = getattr(importlib.import_module(module), name)
        if not callable(found):
            raise TypeError(f"{self.run} (implementation of {self.type}) is not callable")
        return found  # type: ignore[no-any-return]

    @cached_property
    def properties(self) -> PropertiesModel:
        """The properties model (imported now if `model` says where it lives)."""
        if not isinstance(self.model, str):
            return self.model
        from pydantic import BaseModel

        module, _, name = self.model.partition(":")
        found = getattr(importlib.import_module(module), name)
        if not (isinstance(found, type) and issubclass(found, BaseModel)):
            raise TypeError(f"{self.model} (properties of {self.type}) is not a pydantic model")
        return found
