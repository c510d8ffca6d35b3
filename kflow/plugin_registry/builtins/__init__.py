"""Every built-in plugin spec, gathered from one module per family.

`SPECS` is what `default_registry()` registers. `TYPE_NOTES` holds a note for canonical types that
deserve a warning when written at all (Kestra deprecated them, or only the seed notes use them); it
becomes the spec's `note`, which the checker reports as KF213, as it does for alias notes.
"""

from __future__ import annotations

from dataclasses import replace

from kflow.plugin_registry.builtins import (
    conditions,
    core_flow,
    core_tasks,
    http,
    jdbc,
    scripts,
    storage,
    triggers,
)
from kflow.plugin_registry.spec import PluginSpec

_SPECS: list[PluginSpec] = [
    *core_tasks.SPECS,
    *core_flow.SPECS,
    *storage.SPECS,
    *http.SPECS,
    *scripts.SPECS,
    *jdbc.SPECS,
    *triggers.SPECS,
    *conditions.SPECS,
]

_CORE = "io.kestra.plugin.core"
_SEED = "is not a Kestra type (seed notes); kflow "

TYPE_NOTES: dict[str, str] = {
    f"{_CORE}.debug.Echo": "Echo is deprecated; write 'io.kestra.plugin.core.log.Log'",
    f"{_CORE}.flow.EachSequential": "EachSequential is deprecated since Kestra 0.19; write "
    "'io.kestra.plugin.core.flow.ForEach' (values:, concurrencyLimit: 1)",
    f"{_CORE}.flow.EachParallel": "EachParallel is deprecated since Kestra 0.19; write "
    "'io.kestra.plugin.core.flow.ForEach' (values:, concurrencyLimit: 0)",
    f"{_CORE}.storage.LocalFiles": "LocalFiles is deprecated since Kestra 0.17; use 'inputFiles' "
    "and 'outputFiles' of a WorkingDirectory or script task",
    f"{_CORE}.state.Get": "the state store is deprecated; use 'io.kestra.plugin.core.kv.Get'",
    f"{_CORE}.state.Set": "the state store is deprecated; use 'io.kestra.plugin.core.kv.Set'",
    f"{_CORE}.state.Delete": "the state store is deprecated; use 'io.kestra.plugin.core.kv.Delete'",
    f"{_CORE}.condition.MultipleCondition": "MultipleCondition is deprecated; use the Flow "
    "trigger's 'preconditions'",
    f"{_CORE}.condition.FlowCondition": "FlowCondition is deprecated; write "
    "'io.kestra.plugin.core.condition.ExecutionFlow'",
    f"{_CORE}.condition.FlowNamespaceCondition": "FlowNamespaceCondition is deprecated; write "
    "'io.kestra.plugin.core.condition.ExecutionNamespace'",
    f"{_CORE}.types.Json": f"'{_CORE}.types.Json' {_SEED}parses the JSON file at 'from' into "
    "outputs.value",
    f"{_CORE}.condition.Execution": f"'{_CORE}.condition.Execution' {_SEED}reads it as "
    "ExecutionFlow (namespace, flowId) and ExecutionStatus (in: states)",
    "io.kestra.plugin.jdbc.postgresql.Load": f"'io.kestra.plugin.jdbc.postgresql.Load' {_SEED}"
    "runs it as CopyIn (format: CSV, header: true)",
}

SPECS: list[PluginSpec] = [replace(spec, note=TYPE_NOTES.get(spec.type)) for spec in _SPECS]

__all__ = ["SPECS", "TYPE_NOTES"]
