"""Lookup of plugin specs by canonical type or alias."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache

from kflow.plugin_registry.spec import Alias, Kind, PluginSpec


class Registry:
    """Plugin specs by canonical type and by alias."""

    def __init__(self, specs: Iterable[PluginSpec] = ()) -> None:
        self._by_type: dict[str, PluginSpec] = {}
        self._by_alias: dict[str, tuple[PluginSpec, Alias]] = {}
        # canonical type → the distribution of a third-party plugin (built-ins have none)
        self.origins: dict[str, str] = {}
        # third-party plugins left out, one message each
        self.problems: list[str] = []
        for spec in specs:
            self.add(spec)

    def add(self, spec: PluginSpec) -> None:
        """Register `spec`; a type or alias registered twice is a programming error."""
        names = [spec.type, *(a.name for a in spec.aliases)]
        for name in names:
            if name in self._by_type or name in self._by_alias:
                raise ValueError(f"plugin type {name!r} is registered twice")
        self._by_type[spec.type] = spec
        for alias in spec.aliases:
            self._by_alias[alias.name] = (spec, alias)

    def lookup(self, name: str) -> tuple[PluginSpec, Alias | None] | None:
        """The spec for a type name, and the alias it was written under (None if canonical)."""
        spec = self._by_type.get(name)
        if spec is not None:
            return spec, None
        return self._by_alias.get(name)

    def names(self, kind: Kind | None = None) -> list[str]:
        """Every canonical type name (of `kind`, if given), sorted."""
        return sorted(t for t, s in self._by_type.items() if kind is None or s.kind is kind)

    def __iter__(self) -> Iterator[PluginSpec]:
        return iter(self._by_type[t] for t in sorted(self._by_type))


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The registry of every built-in plugin and of the installed `kflow.plugins` entry points.

    A third-party type that is already registered (built-in types come first) is left out and
    reported in `problems`.
    """
    from kflow.plugin_registry.builtins import SPECS
    from kflow.plugin_registry.external import load_entry_points

    registry = Registry(SPECS)
    loaded = load_entry_points()
    registry.problems.extend(loaded.problems)
    for spec in loaded.specs:
        try:
            registry.add(spec)
        except ValueError as error:
            registry.problems.append(f"{loaded.origins[spec.type]}: {error}")
            continue
        registry.origins[spec.type] = loaded.origins[spec.type]
    return registry
