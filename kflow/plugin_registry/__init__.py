"""The plugin hub: Kestra type strings (and their aliases) → `PluginSpec`."""

from __future__ import annotations

from kflow.plugin_registry.registry import Registry, default_registry
from kflow.plugin_registry.spec import Alias, ChildShape, Kind, PluginSpec

__all__ = ["Alias", "ChildShape", "Kind", "PluginSpec", "Registry", "default_registry"]
