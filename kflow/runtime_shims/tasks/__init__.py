"""Runnable task implementations, by canonical Kestra type.

`implementation(type)` gives the `run(ctx, props) -> outputs` of a type, or None when kflow has
no implementation for it (flowables such as ForEach are the engine's, not tasks). The modules are
imported on first use, so looking up one type costs only its module.

Every implementation takes a `TaskContext` and the task's properties as plain JSON-like data (the
IR's frozen properties thawed), renders what Kestra renders, and raises `TaskFailure` with a
message naming the task type and the problem.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kflow.runtime_shims.context import TaskContext

__all__ = ["TaskImplementation", "implementation", "implemented_types"]

TaskImplementation = Callable[["TaskContext", Mapping[str, Any]], dict[str, Any]]

_CORE = "io.kestra.plugin.core"
_SCRIPTS = "io.kestra.plugin.scripts"
_JDBC = "io.kestra.plugin.jdbc"

# canonical type → "module:function" of this package
_IMPLEMENTATIONS: dict[str, str] = {
    f"{_CORE}.debug.Return": "core:return_value",
    f"{_CORE}.debug.Echo": "core:echo",
    f"{_CORE}.log.Log": "core:log",
    f"{_CORE}.log.Fetch": "logs:fetch",
    f"{_CORE}.output.OutputValues": "core:output_values",
    f"{_CORE}.execution.Fail": "core:fail",
    f"{_CORE}.execution.Labels": "core:labels",
    f"{_CORE}.execution.Resume": "core:resume",
    f"{_CORE}.flow.Sleep": "core:sleep",
    f"{_CORE}.flow.Pause": "core:pause",  # with a duration, on a target (the runner's: flowables)
    f"{_CORE}.condition.Expression": "core:expression",
    f"{_CORE}.trigger.Toggle": "core:toggle",
    f"{_CORE}.kv.Set": "kv:kv_set",
    f"{_CORE}.kv.Get": "kv:kv_get",
    f"{_CORE}.kv.Delete": "kv:kv_delete",
    f"{_CORE}.state.Set": "kv:state_set",
    f"{_CORE}.state.Get": "kv:state_get",
    f"{_CORE}.state.Delete": "kv:state_delete",
    f"{_CORE}.storage.Size": "files:size",
    f"{_CORE}.storage.Delete": "files:delete",
    f"{_CORE}.storage.Concat": "files:concat",
    f"{_CORE}.storage.Split": "files:split",
    f"{_CORE}.storage.LocalFiles": "files:local_files",
    f"{_CORE}.types.Json": "files:json_file",
    f"{_CORE}.http.Request": "http:request",
    f"{_CORE}.http.Download": "http:download",
    f"{_SCRIPTS}.python.Script": "scripts:python_script",
    f"{_SCRIPTS}.python.Commands": "scripts:python_commands",
    f"{_SCRIPTS}.shell.Script": "scripts:shell_script",
    f"{_SCRIPTS}.shell.Commands": "scripts:shell_commands",
    f"{_JDBC}.postgresql.Query": "jdbc:postgres_query",
    f"{_JDBC}.postgresql.Queries": "jdbc:postgres_queries",
    f"{_JDBC}.postgresql.CopyIn": "jdbc:postgres_copy_in",
    f"{_JDBC}.postgresql.Load": "jdbc:postgres_load",
    f"{_JDBC}.mysql.Query": "jdbc:mysql_query",
    f"{_JDBC}.sqlite.Query": "jdbc:sqlite_query",
    f"{_JDBC}.duckdb.Query": "jdbc:duckdb_query",
}

_LOADED: dict[str, TaskImplementation] = {}


def implementation(type_name: str) -> TaskImplementation | None:
    """The implementation of the canonical task type `type_name`, or None when there is none.

    Built-in types are looked up here; any other type in the plugin registry (a third-party
    plugin of the `kflow.plugins` entry-point group) brings its own `run`.
    """
    found = _LOADED.get(type_name)
    if found is not None:
        return found
    where = _IMPLEMENTATIONS.get(type_name)
    if where is not None:
        module, _, name = where.partition(":")
        found = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    else:
        from kflow.plugin_registry import default_registry

        spec = default_registry().lookup(type_name)
        found = spec[0].implementation if spec is not None else None
    if found is not None:
        _LOADED[type_name] = found
    return found


def implemented_types() -> frozenset[str]:
    """Every canonical type that has an implementation here."""
    return frozenset(_IMPLEMENTATIONS)
