"""Properties models of the triggers: Schedule, Flow, Webhook and the HTTP polling trigger.

The keys every trigger has (`conditions`, `stopAfter`, …) are in `TRIGGER_COMMON_KEYS`; Flow trigger
`preconditions` cannot hold templates (Kestra evaluates them without rendering).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from kflow.plugin_registry.builtins.http import HttpOptions, HttpSsl
from kflow.plugin_registry.types import (
    Cron,
    Duration,
    Labels,
    Properties,
    State,
    Templated,
    Text,
    TimeZone,
    check_cron,
)


class Backfill(Properties):
    """Schedule `backfill` (deprecated in Kestra: start backfills from the UI)."""

    start: Text = Field(description="Backfill from this date.")
    end: Text | None = Field(None, description="Backfill up to this date.")
    labels: Labels | None = Field(None, description="Labels of the backfilled executions.")
    inputs: dict[str, Any] | None = Field(None, description="Inputs of the backfilled executions.")


class ScheduleProperties(Properties):
    """io.kestra.plugin.core.trigger.Schedule."""

    # withSeconds comes first: `cron` is validated knowing it
    withSeconds: bool = Field(False, description="The cron has a seconds field, first.")
    cron: Cron = Field(description="A cron expression (5 fields) or nickname such as @daily.")
    timezone: TimeZone | None = Field(
        None, description="Time zone of the cron (server's if unset)."
    )
    inputs: dict[str, Any] | None = Field(None, description="Inputs of the scheduled executions.")
    lateMaximumDelay: Duration | None = Field(
        None, description="Skip an execution that could not start within this delay."
    )
    recoverMissedSchedules: Literal["ALL", "LAST", "NONE"] | None = Field(
        None, description="Which missed schedules to run after downtime (ALL by default)."
    )
    backfill: Backfill | None = Field(None, deprecated="start backfills from the UI or API")

    @field_validator("cron")
    @classmethod
    def _field_count(cls, value: str, info: ValidationInfo) -> str:
        problem = check_cron(value, with_seconds=bool(info.data.get("withSeconds")))
        if problem:
            raise PydanticCustomError(
                "kflow_cron",
                "invalid cron {value}: {problem}",
                {"value": repr(value), "problem": problem},
            )
        return value


class UpstreamFlow(Properties):
    """One flow of Flow trigger `preconditions.flows`."""

    namespace: str = Field(description="Namespace of the upstream flow.")
    flowId: str | None = Field(None, description="Id of the upstream flow (any if unset).")
    states: list[State] | None = Field(None, description="States its execution must end in.")
    labels: dict[str, Any] | None = Field(None, description="Labels its execution must have.")


class ExecutionFilter(Properties):
    """One filter of Flow trigger `preconditions.where[].filters`."""

    field: Literal["FLOW_ID", "NAMESPACE", "STATE", "EXPRESSION"] = Field(
        description="What to test."
    )
    type: Literal[
        "EQUAL_TO",
        "NOT_EQUAL_TO",
        "IN",
        "NOT_IN",
        "IS_TRUE",
        "IS_FALSE",
        "IS_NULL",
        "IS_NOT_NULL",
        "STARTS_WITH",
        "ENDS_WITH",
        "REGEX",
        "CONTAINS",
    ] = Field(description="How to test it.")
    value: Text | None = Field(None, description="The value to compare with.")
    values: list[Text] | None = Field(None, description="The values (IN, NOT_IN).")


class WhereClause(Properties):
    """One entry of Flow trigger `preconditions.where`."""

    id: str = Field(description="A unique id for the clause.")
    operand: Literal["AND", "OR"] = Field("AND", description="How the filters combine.")
    filters: list[ExecutionFilter] = Field(min_length=1, description="The filters.")


class TimeWindow(Properties):
    """The time window preconditions must be met in."""

    type: Literal[
        "DURATION_WINDOW", "SLIDING_WINDOW", "DAILY_TIME_DEADLINE", "DAILY_TIME_WINDOW"
    ] = Field("DURATION_WINDOW", description="The kind of window.")
    window: Duration | None = Field(None, description="Window length (P1D by default).")
    windowAdvance: Duration | None = Field(None, description="Offset of a duration window.")
    deadline: Text | None = Field(None, description="Daily deadline (DAILY_TIME_DEADLINE).")
    startTime: Text | None = Field(None, description="Daily start (DAILY_TIME_WINDOW).")
    endTime: Text | None = Field(None, description="Daily end (DAILY_TIME_WINDOW).")


class Preconditions(Properties):
    """Flow trigger `preconditions`: upstream executions to wait for within a time window."""

    id: str = Field(pattern=r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$", description="A unique id.")
    flows: list[UpstreamFlow] | None = Field(None, description="Upstream flows to wait for.")
    where: list[WhereClause] | None = Field(None, description="Execution filters to wait for.")
    timeWindow: TimeWindow | None = Field(None, description="When they must all be met.")
    resetOnSuccess: bool = Field(True, description="Start over after triggering.")


class FlowTriggerProperties(Properties):
    """io.kestra.plugin.core.trigger.Flow."""

    inputs: dict[str, Any] | None = Field(None, description="Inputs of the started execution.")
    states: list[State] | None = Field(
        None, description="Execution states that are evaluated (terminal ones by default)."
    )
    preconditions: Preconditions | None = Field(None, description="Upstream executions to await.")


class WebhookProperties(Properties):
    """io.kestra.plugin.core.trigger.Webhook."""

    key: Text = Field(max_length=256, description="The secret part of the webhook URL.")
    inputs: dict[str, Any] | None = Field(None, description="Inputs of the started execution.")
    wait: bool = Field(False, description="Answer the call when the execution ends.")
    returnOutputs: bool = Field(False, description="Answer with the flow outputs (needs wait).")
    responseContentType: Literal["application/json", "text/plain"] | None = Field(
        None, description="Content type of the answer (needs returnOutputs)."
    )
    responseCode: Templated[int] | None = Field(None, description="Status code of the answer.")


class HttpTriggerProperties(Properties):
    """io.kestra.plugin.core.http.Trigger: poll an HTTP endpoint."""

    uri: Text = Field(description="The URL to poll.")
    responseCondition: Text = Field(
        "{{ response.statusCode < 400 }}",
        description="Start an execution when this renders truthy (response.* is available).",
    )
    interval: Duration = Field("PT60S", description="Delay between two polls.")
    method: Text = Field("GET", description="The HTTP method.")
    body: Text | None = Field(None, description="The request body.")
    params: Templated[dict[str, Any]] | None = Field(None, description="Query parameters.")
    formData: Templated[dict[str, Any]] | None = Field(None, description="Form fields to send.")
    contentType: Text = Field("application/json", description="The request content type.")
    headers: Templated[dict[str, Text]] | None = Field(None, description="Request headers.")
    options: HttpOptions | None = Field(None, description="Client options.")
    encryptBody: Templated[bool] = Field(False, description="Keep the body encrypted.")
    sslOptions: HttpSsl | None = Field(None, deprecated="write 'options.ssl'")
