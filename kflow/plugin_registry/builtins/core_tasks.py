"""Properties models of the core tasks: debug, log, execution, output, state and KV stores."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from kflow.plugin_registry.types import (
    Duration,
    Dynamic,
    Labels,
    Level,
    Properties,
    Templated,
    Text,
    TextList,
)

# -- debug and log --------------------------------------------------------------------------------


class ReturnProperties(Properties):
    """io.kestra.plugin.core.debug.Return."""

    format: Text | None = Field(None, description="The template to render; its result is `value`.")


class EchoProperties(Properties):
    """io.kestra.plugin.core.debug.Echo (deprecated: use Log)."""

    format: Text | None = Field(None, description="The template to render and log.")
    level: Templated[Level] = Field("INFO", description="The log level.")


class LogProperties(Properties):
    """io.kestra.plugin.core.log.Log."""

    message: TextList = Field(description="One message, or a list of messages, to log.")
    level: Templated[Level] = Field("INFO", description="The log level.")


class FetchProperties(Properties):
    """io.kestra.plugin.core.log.Fetch."""

    namespace: Text | None = Field(None, description="Namespace of the execution (with flowId).")
    flowId: Text | None = Field(None, description="Flow of the execution (with namespace).")
    executionId: Text | None = Field(None, description="The execution; the current one if unset.")
    tasksId: Templated[list[Text]] | None = Field(None, description="Only the logs of these tasks.")
    level: Templated[Level] = Field("INFO", description="The lowest level to fetch.")


# -- execution ------------------------------------------------------------------------------------


class FailProperties(Properties):
    """io.kestra.plugin.core.execution.Fail."""

    condition: Text | None = Field(
        None, description="Fail only when this renders truthy (not '', 0, -0 or false)."
    )
    errorMessage: Text = Field("Task failure", description="The error message.")


class LabelsProperties(Properties):
    """io.kestra.plugin.core.execution.Labels."""

    labels: Dynamic[Labels] = Field(
        description="Labels to add: a mapping, a list of {key, value}, or a JSON string of either."
    )


class ResumeProperties(Properties):
    """io.kestra.plugin.core.execution.Resume."""

    namespace: Text | None = Field(None, description="Namespace of the paused execution.")
    flowId: Text | None = Field(None, description="Flow of the paused execution.")
    executionId: Text | None = Field(None, description="The execution; the current one if unset.")
    inputs: Templated[dict[str, Any]] | None = Field(None, description="onResume input values.")


class OutputValuesProperties(Properties):
    """io.kestra.plugin.core.output.OutputValues."""

    values: Templated[dict[str, Any]] = Field(
        default_factory=dict, description="Values to render; reachable as `outputs.<id>.values`."
    )


# -- state store (deprecated in favour of the KV store) -------------------------------------------


class _StateProperties(Properties):
    name: Text = Field("default", description="The name of the state file.")
    namespace: Templated[bool] = Field(
        False, description="Share the state across the namespace rather than the flow."
    )
    taskrunValue: Templated[bool] = Field(
        True, description="Keep one state per `taskrun.value` inside loops."
    )


class StateGetProperties(_StateProperties):
    """io.kestra.plugin.core.state.Get."""

    errorOnMissing: Templated[bool] = Field(False, description="Fail when there is no state.")


class StateSetProperties(_StateProperties):
    """io.kestra.plugin.core.state.Set."""

    data: Templated[dict[str, Any]] | None = Field(
        None, description="Values merged into the state."
    )


class StateDeleteProperties(_StateProperties):
    """io.kestra.plugin.core.state.Delete."""

    errorOnMissing: Templated[bool] = Field(False, description="Fail when there is no state.")


# -- KV store -------------------------------------------------------------------------------------

KvType = Literal["STRING", "NUMBER", "BOOLEAN", "DATETIME", "DATE", "DURATION", "JSON"]


class _KvProperties(Properties):
    key: Text = Field(description="The key.")
    namespace: Text = Field("{{ flow.namespace }}", description="The namespace of the KV store.")


class KvSetProperties(_KvProperties):
    """io.kestra.plugin.core.kv.Set."""

    value: Any = Field(description="The value to store.")
    overwrite: Templated[bool] = Field(True, description="Replace an existing value.")
    ttl: Duration | None = Field(None, description="Delete the pair after this duration.")
    kvType: Templated[KvType] | None = Field(None, description="Store the value as this type.")
    kvDescription: Text | None = Field(None, description="A description of the pair.")


class KvGetProperties(_KvProperties):
    """io.kestra.plugin.core.kv.Get."""

    errorOnMissing: Templated[bool] = Field(False, description="Fail when the key has no value.")


class KvDeleteProperties(_KvProperties):
    """io.kestra.plugin.core.kv.Delete."""

    errorOnMissing: Templated[bool] = Field(False, description="Fail when the key has no value.")


# -- triggers -------------------------------------------------------------------------------------


class ToggleProperties(Properties):
    """io.kestra.plugin.core.trigger.Toggle."""

    trigger: Text = Field(description="The id of the trigger to toggle.")
    enabled: Templated[bool] = Field(False, description="Enable (true) or disable (false) it.")
    namespace: Text | None = Field(None, description="Namespace of its flow; this flow's if unset.")
    flowId: Text | None = Field(None, description="Its flow; this flow if unset.")
