"""Properties models of the flow tasks: flowables, loops, subflows, pauses and waits.

Child task lists (`tasks`, `then`, `cases`, `errors`, `finally`, …) are named in each spec's
`children` and checked by the compiler; the models below hold the other properties only.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, NonNegativeInt, PositiveInt

from kflow.plugin_registry.types import (
    Duration,
    Dynamic,
    Labels,
    NamespaceFiles,
    Properties,
    Templated,
    Text,
)


class NoProperties(Properties):
    """A flowable whose only properties are its child task lists."""


class ParallelProperties(Properties):
    """io.kestra.plugin.core.flow.Parallel."""

    concurrent: Templated[NonNegativeInt] = Field(
        0, description="How many children run at once; 0 means all."
    )


class IfProperties(Properties):
    """io.kestra.plugin.core.flow.If."""

    condition: Text = Field(description="Run `then` when this renders truthy, else `else`.")


class SwitchProperties(Properties):
    """io.kestra.plugin.core.flow.Switch."""

    value: Text = Field(description="Rendered and matched against the keys of `cases`.")


class ForEachProperties(Properties):
    """io.kestra.plugin.core.flow.ForEach."""

    values: Dynamic[list[Any]] = Field(
        description="The values to loop over: a list, a JSON array string, or a template."
    )
    concurrencyLimit: Templated[NonNegativeInt] = Field(
        1, description="How many iterations run at once; 0 means all."
    )


class EachSequentialProperties(Properties):
    """io.kestra.plugin.core.flow.EachSequential (deprecated: use ForEach)."""

    value: Dynamic[list[Any]] = Field(
        description="The values to loop over: a list, a JSON array string, or a template."
    )


class EachParallelProperties(EachSequentialProperties):
    """io.kestra.plugin.core.flow.EachParallel (deprecated: use ForEach)."""

    concurrent: Templated[NonNegativeInt] = Field(
        0, description="How many iterations run at once; 0 means all."
    )


class DagProperties(Properties):
    """io.kestra.plugin.core.flow.Dag."""

    concurrent: Templated[NonNegativeInt] = Field(
        0, description="How many tasks run at once; 0 means all that are ready."
    )


class _ChildFlowProperties(Properties):
    namespace: Text = Field(description="Namespace of the flow to start.")
    flowId: Text = Field(description="Id of the flow to start.")
    revision: Templated[PositiveInt] | None = Field(
        None, description="Revision to start; the latest if unset."
    )
    inputs: Templated[dict[str, Any]] | None = Field(None, description="Inputs of the subflow.")
    labels: Labels | None = Field(None, description="Labels of the subflow execution.")
    wait: Templated[bool] = Field(True, description="Wait for the subflow execution to end.")
    transmitFailed: Templated[bool] = Field(
        True, description="Fail when the subflow execution fails (needs wait)."
    )
    inheritLabels: Templated[bool] = Field(False, description="Pass this execution's labels on.")
    scheduleDate: Text | None = Field(None, description="Start it at this date instead of now.")
    restartBehavior: Literal["RETRY_FAILED", "NEW_EXECUTION"] = Field(
        "RETRY_FAILED", description="On restart: retry the failed execution, or start a new one."
    )


class SubflowProperties(_ChildFlowProperties):
    """io.kestra.plugin.core.flow.Subflow."""

    outputs: Templated[dict[str, Any]] | None = Field(
        None, deprecated="declare 'outputs' in the subflow itself"
    )


class Batch(Properties):
    """ForEachItem `batch`: give one of rows, bytes or partitions."""

    rows: Templated[PositiveInt] | None = Field(None, description="Items per batch.")
    bytes: Text | None = Field(None, description="Batch size in bytes (e.g. 10MB).")
    partitions: Templated[PositiveInt] | None = Field(None, description="Number of batches.")
    separator: Text = Field("\n", description="The item separator.")


class ForEachItemProperties(_ChildFlowProperties):
    """io.kestra.plugin.core.flow.ForEachItem."""

    items: Text = Field(description="The kestra:// URI of a file with one item per line.")
    batch: Batch = Field(Batch.model_validate({}), description="How to split the items.")


class PauseProperties(Properties):
    """io.kestra.plugin.core.flow.Pause (its `tasks` list is deprecated)."""

    pauseDuration: Duration | None = Field(
        None, description="Resume by itself after this duration (else wait for a resume)."
    )
    delay: Duration | None = Field(None, deprecated="write 'pauseDuration'")
    behavior: Templated[Literal["RESUME", "WARN", "CANCEL", "FAIL"]] = Field(
        "RESUME", description="What happens when the duration is reached."
    )
    onResume: list[dict[str, Any]] | None = Field(
        None, description="Inputs asked when resuming (flow input definitions)."
    )


class SleepProperties(Properties):
    """io.kestra.plugin.core.flow.Sleep."""

    duration: Duration = Field(description="How long to sleep.")


class CheckFrequency(Properties):
    """WaitFor `checkFrequency`."""

    maxIterations: Templated[PositiveInt] = Field(
        100, description="Stop after this many iterations."
    )
    maxDuration: Duration = Field("PT1H", description="Stop after this duration.")
    interval: Duration = Field("PT1S", description="Delay between two iterations.")


class WaitForProperties(Properties):
    """io.kestra.plugin.core.flow.WaitFor."""

    condition: Text = Field(description="Run the tasks again while this renders truthy.")
    failOnMaxReached: Templated[bool] = Field(
        False, description="Fail when maxIterations or maxDuration is reached."
    )
    checkFrequency: CheckFrequency = Field(
        CheckFrequency.model_validate({}), description="Iteration limits and interval."
    )


class WorkingDirectoryCache(Properties):
    """WorkingDirectory `cache`."""

    patterns: list[Text] = Field(description="Glob patterns of files to cache.")
    ttl: Duration | None = Field(None, description="How long the cache lives.")


class WorkingDirectoryProperties(Properties):
    """io.kestra.plugin.core.flow.WorkingDirectory."""

    cache: WorkingDirectoryCache | None = Field(None, description="Cache files between runs.")
    namespaceFiles: NamespaceFiles | None = Field(None, description="Namespace files to inject.")
    inputFiles: Dynamic[dict[str, Text]] | None = Field(
        None, description="Files to create: name → content or kestra:// URI."
    )
    outputFiles: Templated[list[Text]] | None = Field(
        None, description="Glob patterns of files to keep (output `outputFiles`)."
    )
