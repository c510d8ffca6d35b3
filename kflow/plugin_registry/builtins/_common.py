"""Helpers of the built-in spec table: spec constructors, old names, common child lists.

A spec names its properties model as `"family.ClassName"`, a class of the family module
`kflow.plugin_registry.builtins.<family>`; that module is imported when the model is first used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kflow.plugin_registry.spec import Alias, ChildShape, Kind, PluginSpec

LIST = ChildShape.LIST

#: The child lists of a Sequential-like flowable: its tasks, then `errors` and `finally`.
TASKS_ERRORS_FINALLY: Mapping[str, ChildShape] = {"tasks": LIST, "errors": LIST, "finally": LIST}
#: Only `errors` and `finally` (ForEachItem, whose tasks Kestra generates).
ERRORS_FINALLY: Mapping[str, ChildShape] = {"errors": LIST, "finally": LIST}


def old_names(canonical: str, since: str | None, *names: str) -> tuple[Alias, ...]:
    """Deprecated names of `canonical`: each is accepted with a KF213 note naming the new one."""
    when = f"deprecated since Kestra {since}" if since else "an old name"
    return tuple(Alias(name, note=f"'{name}' is {when}; write '{canonical}'") for name in names)


def model_ref(properties: str) -> str:
    """Where the model `"family.ClassName"` lives, as `PluginSpec.model` takes it."""
    family, _, name = properties.rpartition(".")
    return f"{__package__}.{family}:{name}"


def task(
    type_: str,
    title: str,
    properties: str,
    *,
    outputs: tuple[str, ...] | None = (),
    since: str | None = None,
    old: Iterable[str] = (),
    children: Mapping[str, ChildShape] | None = None,
    loops: bool = False,
    connection: tuple[str, ...] = (),
    children_required: bool = True,
) -> PluginSpec:
    """A task spec; `old` names are aliases deprecated `since` that Kestra version."""
    return PluginSpec(
        type=type_,
        kind=Kind.TASK,
        title=title,
        model=model_ref(properties),
        aliases=old_names(type_, since, *old),
        outputs=outputs,
        children=dict(children or {}),
        connection=connection,
        loops=loops,
        children_required=children_required,
    )


def trigger(
    type_: str,
    title: str,
    properties: str,
    *,
    outputs: tuple[str, ...] | None = (),
    since: str | None = None,
    old: Iterable[str] = (),
) -> PluginSpec:
    """A trigger spec; its outputs are what `trigger.*` holds in the execution it starts."""
    return PluginSpec(
        type=type_,
        kind=Kind.TRIGGER,
        title=title,
        model=model_ref(properties),
        aliases=old_names(type_, since, *old),
        outputs=outputs,
    )


def condition(
    type_: str,
    title: str,
    properties: str,
    *,
    old: Iterable[str] = (),
) -> PluginSpec:
    """A condition spec under `io.kestra.plugin.core.condition.<Name>`.

    Kestra 0.17 moved `io.kestra.core.models.conditions.types.<Name>Condition` there, and 0.20
    dropped the `Condition` suffix; `old` lists the names that existed for this one.
    """
    return PluginSpec(
        type=type_,
        kind=Kind.CONDITION,
        title=title,
        model=model_ref(properties),
        aliases=tuple(
            Alias(
                name,
                note=f"'{name}' is deprecated since Kestra {_condition_since(name)}; "
                f"write '{type_}'",
            )
            for name in old
        ),
        outputs=(),
    )


def condition_old_names(short: str) -> tuple[str, str]:
    """The old names of condition `short`: its pre-0.17 class and its pre-0.20 `-Condition` name."""
    return (
        f"io.kestra.core.models.conditions.types.{short}Condition",
        f"io.kestra.plugin.core.condition.{short}Condition",
    )


def _condition_since(name: str) -> str:
    return "0.17" if name.startswith("io.kestra.core.") else "0.20"
