"""Third-party plugins: the `kflow.plugins` entry-point group.

A package adds task, trigger or condition types to kflow without forking it by declaring, in its
`pyproject.toml`:

    [project.entry-points."kflow.plugins"]
    acme = "acme_kflow:PLUGINS"

The entry point names a `PluginSpec`, a list of them, or a function without arguments that returns
either. A task spec must carry its implementation (`run`, a callable or `"module:function"`); its
properties model may be a pydantic class or `"module:Class"`, imported when a flow first uses it.

A plugin that fails to load, or that names a type already registered, is left out and reported as a
problem: one broken package must not stop `kflow validate` from checking every other flow.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from kflow.plugin_registry.spec import Kind, PluginSpec

GROUP = "kflow.plugins"


@dataclass(frozen=True)
class LoadedPlugins:
    """What the entry points gave: the specs, each with the distribution it came from, and the
    problems of those that could not be used."""

    specs: tuple[PluginSpec, ...]
    origins: dict[str, str]  # canonical type → "distribution version"
    problems: tuple[str, ...]


def load_entry_points() -> LoadedPlugins:
    """Every spec the installed `kflow.plugins` entry points declare."""
    from importlib.metadata import entry_points

    specs: list[PluginSpec] = []
    origins: dict[str, str] = {}
    problems: list[str] = []
    for point in sorted(entry_points(group=GROUP), key=lambda p: (p.name, p.value)):
        origin = _origin(point)
        try:
            found = _specs_of(point.load())
        except Exception as error:  # anything a third-party import may raise
            problems.append(f"plugin '{point.name}' ({origin}) failed to load: {error}")
            continue
        for spec in found:
            problem = _problem(spec)
            if problem:
                problems.append(f"plugin '{point.name}' ({origin}): {problem}")
                continue
            specs.append(spec)
            origins[spec.type] = origin
    return LoadedPlugins(tuple(specs), origins, tuple(problems))


def _specs_of(value: Any) -> list[PluginSpec]:
    if callable(value) and not isinstance(value, PluginSpec):
        value = value()
    if isinstance(value, PluginSpec):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (str, bytes)):
        items = list(value)
        if all(isinstance(item, PluginSpec) for item in items):
            return items
    raise TypeError(
        f"expected a PluginSpec, a list of PluginSpec or a function returning them, "
        f"got {type(value).__name__}"
    )


def _problem(spec: PluginSpec) -> str | None:
    if spec.kind is Kind.TASK and not spec.flowable and spec.run is None:
        return f"task type '{spec.type}' has no implementation (set `run`)"
    if spec.flowable:
        return f"'{spec.type}' has child tasks; kflow does not load third-party flowables"
    # a model or implementation named by "module:name" is imported now: one that cannot be must
    # leave this type out, not fail every flow that uses it later
    try:
        spec.properties  # noqa: B018
        spec.implementation  # noqa: B018
    except Exception as error:
        return f"type '{spec.type}' cannot be loaded: {type(error).__name__}: {error}"
    return None


def _origin(point: Any) -> str:
    dist = getattr(point, "dist", None)
    if dist is None:
        return point.value  # type: ignore[no-any-return]
    return f"{dist.metadata['Name']} {dist.version}"
