"""What a plugin is: a Kestra type string mapped onto a properties model, outputs and children."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeAlias

from pydantic import BaseModel

# `PluginSpec.type` (a str) shadows the builtin in the class body, so mypy needs another name
PropertiesModel: TypeAlias = type[BaseModel]


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
    """

    type: str
    kind: Kind
    title: str
    properties: PropertiesModel
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
    run: Callable[..., Any] | None = None

    @property
    def flowable(self) -> bool:
        return bool(self.children)
