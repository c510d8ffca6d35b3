"""Every built-in plugin: the table of types, their aliases, outputs and children.

The table names each type's properties model as `"family.ClassName"`, a class of the family module
`kflow.plugin_registry.builtins.<family>` (core_tasks, core_flow, storage, http, scripts, jdbc,
triggers, conditions). Importing this package imports no family module: `PluginSpec.properties`
imports one the first time a flow uses one of its types, so checking a flow builds only the
pydantic models it needs.

`SPECS` is what `default_registry()` registers. `TYPE_NOTES` holds a note for canonical types that
deserve a warning when written at all (Kestra deprecated them, or only the seed notes use them); it
becomes the spec's `note`, which the checker reports as KF213, as it does for alias notes.
"""

from __future__ import annotations

from dataclasses import replace

from kflow.plugin_registry.builtins._common import (
    ERRORS_FINALLY,
    LIST,
    TASKS_ERRORS_FINALLY,
    condition,
    condition_old_names,
    task,
    trigger,
)
from kflow.plugin_registry.builtins.examples import EXAMPLES
from kflow.plugin_registry.spec import ChildShape, PluginSpec

_CORE = "io.kestra.plugin.core"
_FLOW = f"{_CORE}.flow"
_TRIGGER = f"{_CORE}.trigger"
_CONDITION = f"{_CORE}.condition"
_OLD_TASKS = "io.kestra.core.tasks"
_OLD_TRIGGERS = "io.kestra.core.models.triggers.types"


def _core_condition(name: str, title: str, properties: str) -> PluginSpec:
    return condition(f"{_CONDITION}.{name}", title, properties, old=condition_old_names(name))


# -- core tasks: debug, log, execution, output, state and KV stores, trigger toggle ----------------

_CORE_TASK_SPECS: list[PluginSpec] = [
    task(
        f"{_CORE}.debug.Return",
        "Render a template and return it as `value`.",
        "core_tasks.ReturnProperties",
        outputs=("value",),
        since="0.17",
        old=[f"{_OLD_TASKS}.debugs.Return"],
    ),
    task(
        f"{_CORE}.debug.Echo",
        "Log a rendered template (deprecated: use Log).",
        "core_tasks.EchoProperties",
        since="0.17",
        old=[f"{_OLD_TASKS}.debugs.Echo"],
    ),
    task(
        f"{_CORE}.log.Log",
        "Log one or more messages.",
        "core_tasks.LogProperties",
        since="0.17",
        old=[f"{_OLD_TASKS}.log.Log"],
    ),
    task(
        f"{_CORE}.log.Fetch",
        "Fetch the logs of an execution to a file.",
        "core_tasks.FetchProperties",
        outputs=("size", "uri"),
        since="0.17",
        old=[f"{_OLD_TASKS}.log.Fetch"],
    ),
    task(
        f"{_CORE}.execution.Fail",
        "Fail the execution, or fail when a condition holds.",
        "core_tasks.FailProperties",
        since="0.17",
        old=[f"{_OLD_TASKS}.executions.Fail"],
    ),
    task(
        f"{_CORE}.execution.Labels",
        "Add or replace labels of the current execution.",
        "core_tasks.LabelsProperties",
        since="0.17",
        old=[f"{_OLD_TASKS}.executions.Labels"],
    ),
    task(f"{_CORE}.execution.Resume", "Resume a paused execution.", "core_tasks.ResumeProperties"),
    task(
        f"{_CORE}.output.OutputValues",
        "Output rendered values as `values`.",
        "core_tasks.OutputValuesProperties",
        outputs=("values",),
    ),
    task(
        f"{_CORE}.state.Get",
        "Read a state from the state store (deprecated: use KV).",
        "core_tasks.StateGetProperties",
        outputs=("count", "data"),
        since="0.17",
        old=[f"{_OLD_TASKS}.states.Get"],
    ),
    task(
        f"{_CORE}.state.Set",
        "Merge values into a state (deprecated: use KV).",
        "core_tasks.StateSetProperties",
        outputs=("count", "key"),
        since="0.17",
        old=[f"{_OLD_TASKS}.states.Set"],
    ),
    task(
        f"{_CORE}.state.Delete",
        "Delete a state (deprecated: use KV).",
        "core_tasks.StateDeleteProperties",
        outputs=("deleted",),
        since="0.17",
        old=[f"{_OLD_TASKS}.states.Delete"],
    ),
    task(f"{_CORE}.kv.Set", "Set a key-value pair in the KV store.", "core_tasks.KvSetProperties"),
    task(
        f"{_CORE}.kv.Get",
        "Get the value of a key from the KV store.",
        "core_tasks.KvGetProperties",
        outputs=("value",),
    ),
    task(
        f"{_CORE}.kv.Delete",
        "Delete a key-value pair from the KV store.",
        "core_tasks.KvDeleteProperties",
        outputs=("deleted",),
    ),
    task(
        f"{_CORE}.trigger.Toggle",
        "Enable or disable a trigger.",
        "core_tasks.ToggleProperties",
        since="0.17",
        old=[f"{_OLD_TASKS}.trigger.Toggle"],
    ),
]


# -- flow tasks: flowables, loops, subflows, pauses and waits --------------------------------------

_IF = {"then": LIST, "else": LIST, **ERRORS_FINALLY}
_SWITCH = {"cases": ChildShape.MAP_OF_LISTS, "defaults": LIST, **ERRORS_FINALLY}
_DAG = {"tasks": ChildShape.DAG, **ERRORS_FINALLY}

_FLOW_SPECS: list[PluginSpec] = [
    task(
        f"{_FLOW}.Sequential",
        "Run tasks one after the other.",
        "core_flow.NoProperties",
        children=TASKS_ERRORS_FINALLY,
        since="0.17",
        old=[f"{_OLD_TASKS}.flows.Sequential"],
    ),
    task(
        f"{_FLOW}.Parallel",
        "Run tasks at the same time.",
        "core_flow.ParallelProperties",
        children=TASKS_ERRORS_FINALLY,
        since="0.17",
        old=[f"{_OLD_TASKS}.flows.Parallel"],
    ),
    task(
        f"{_FLOW}.If",
        "Run `then` or `else` depending on a condition.",
        "core_flow.IfProperties",
        outputs=("evaluationResult",),
        children=_IF,
        since="0.17",
        old=[f"{_OLD_TASKS}.flows.If"],
    ),
    task(
        f"{_FLOW}.Switch",
        "Run the tasks of the case matching a value.",
        "core_flow.SwitchProperties",
        outputs=("value", "defaults"),
        children=_SWITCH,
        since="0.17",
        old=[f"{_OLD_TASKS}.flows.Switch"],
    ),
    task(
        f"{_FLOW}.ForEach",
        "Run tasks once per value.",
        "core_flow.ForEachProperties",
        children=TASKS_ERRORS_FINALLY,
        loops=True,
    ),
    task(
        f"{_FLOW}.EachSequential",
        "Run tasks once per value, one value at a time (deprecated: use ForEach).",
        "core_flow.EachSequentialProperties",
        children=TASKS_ERRORS_FINALLY,
        loops=True,
        since="0.17",
        old=[f"{_OLD_TASKS}.flows.EachSequential"],
    ),
    task(
        f"{_FLOW}.EachParallel",
        "Run tasks once per value, values at the same time (deprecated: use ForEach).",
        "core_flow.EachParallelProperties",
        children=TASKS_ERRORS_FINALLY,
        loops=True,
        since="0.17",
        old=[f"{_OLD_TASKS}.flows.EachParallel"],
    ),
    task(
        f"{_FLOW}.ForEachItem",
        "Start a subflow per batch of items of a file.",
        "core_flow.ForEachItemProperties",
        outputs=None,
        children=ERRORS_FINALLY,
        since="0.17",
        old=[f"{_OLD_TASKS}.flows.ForEachItem"],
    ),
    task(
        f"{_FLOW}.Dag",
        "Run tasks along their dependencies.",
        "core_flow.DagProperties",
        children=_DAG,
        since="0.17",
        old=[f"{_OLD_TASKS}.flows.Dag"],
    ),
    task(
        f"{_FLOW}.AllowFailure",
        "Run tasks; their failure ends in WARNING.",
        "core_flow.NoProperties",
        children=TASKS_ERRORS_FINALLY,
        since="0.17",
        old=[f"{_OLD_TASKS}.flows.AllowFailure"],
    ),
    task(
        f"{_FLOW}.WorkingDirectory",
        "Run tasks in one shared working directory.",
        "core_flow.WorkingDirectoryProperties",
        outputs=("outputFiles",),
        children=TASKS_ERRORS_FINALLY,
        since="0.17",
        old=[f"{_OLD_TASKS}.flows.WorkingDirectory", f"{_OLD_TASKS}.flows.Worker"],
    ),
    task(
        f"{_FLOW}.WaitFor",
        "Run tasks again and again until a condition is true.",
        "core_flow.WaitForProperties",
        outputs=("iterationCount",),
        children=TASKS_ERRORS_FINALLY,
    ),
    task(
        f"{_FLOW}.Subflow",
        "Start another flow.",
        "core_flow.SubflowProperties",
        outputs=("executionId", "state", "outputs"),
        since="0.17",
        old=[f"{_OLD_TASKS}.flows.Subflow", f"{_OLD_TASKS}.flows.Flow"],
    ),
    task(
        f"{_FLOW}.Pause",
        "Pause the execution until resumed or a duration passes.",
        "core_flow.PauseProperties",
        outputs=("onResume", "resumed"),
        children=TASKS_ERRORS_FINALLY,
        children_required=False,
        since="0.17",
        old=[f"{_OLD_TASKS}.flows.Pause"],
    ),
    task(f"{_FLOW}.Sleep", "Wait for a duration.", "core_flow.SleepProperties"),
]


# -- internal storage ------------------------------------------------------------------------------

_STORAGE_SPECS: list[PluginSpec] = [
    task(
        f"{_CORE}.storage.Split",
        "Split a file of internal storage into several.",
        "storage.SplitProperties",
        outputs=("uris",),
        since="0.17",
        old=[f"{_OLD_TASKS}.storages.Split"],
    ),
    task(
        f"{_CORE}.storage.Concat",
        "Concatenate files of internal storage.",
        "storage.ConcatProperties",
        outputs=("uri",),
        since="0.17",
        old=[f"{_OLD_TASKS}.storages.Concat"],
    ),
    task(
        f"{_CORE}.storage.Size",
        "Get the size of a file of internal storage.",
        "storage.SizeProperties",
        outputs=("size",),
        since="0.17",
        old=[f"{_OLD_TASKS}.storages.Size"],
    ),
    task(
        f"{_CORE}.storage.Delete",
        "Delete a file of internal storage.",
        "storage.DeleteProperties",
        outputs=("uri", "deleted"),
        since="0.17",
        old=[f"{_OLD_TASKS}.storages.Delete"],
    ),
    task(
        f"{_CORE}.storage.LocalFiles",
        "Create files in, or collect files from, the working directory (deprecated).",
        "storage.LocalFilesProperties",
        outputs=("uris",),
        since="0.17",
        old=[f"{_OLD_TASKS}.storages.LocalFiles"],
    ),
    task(
        f"{_CORE}.types.Json",
        "Parse a JSON file of internal storage (seed-notes type).",
        "storage.JsonProperties",
        outputs=("value",),
    ),
]


# -- HTTP ------------------------------------------------------------------------------------------

_REQUEST_OUTPUTS = ("uri", "code", "headers", "body", "encryptedBody")

_HTTP_SPECS: list[PluginSpec] = [
    task(
        "io.kestra.plugin.core.http.Download",
        "Download a file over HTTP to internal storage.",
        "http.DownloadProperties",
        outputs=("uri", "code", "length", "headers"),
        since="0.17",
        old=["io.kestra.plugin.fs.http.Download"],
    ),
    task(
        "io.kestra.plugin.core.http.Request",
        "Call an HTTP endpoint; the response is the output.",
        "http.RequestProperties",
        outputs=_REQUEST_OUTPUTS,
        since="0.17",
        old=["io.kestra.plugin.fs.http.Request"],
    ),
]


# -- scripts ---------------------------------------------------------------------------------------

_SCRIPT_OUTPUTS = (
    "exitCode",
    "outputFiles",
    "vars",
    "stdOutLineCount",
    "stdErrLineCount",
    "taskRunner",
)
_SCRIPTS = "io.kestra.plugin.scripts"

_SCRIPT_SPECS: list[PluginSpec] = [
    task(
        f"{_SCRIPTS}.python.Script",
        "Run an inline Python script.",
        "scripts.PythonScriptProperties",
        outputs=_SCRIPT_OUTPUTS,
    ),
    task(
        f"{_SCRIPTS}.python.Commands",
        "Run Python commands.",
        "scripts.PythonCommandsProperties",
        outputs=_SCRIPT_OUTPUTS,
    ),
    task(
        f"{_SCRIPTS}.shell.Script",
        "Run an inline shell script.",
        "scripts.ShellScriptProperties",
        outputs=_SCRIPT_OUTPUTS,
    ),
    task(
        f"{_SCRIPTS}.shell.Commands",
        "Run shell commands.",
        "scripts.ShellCommandsProperties",
        outputs=_SCRIPT_OUTPUTS,
    ),
]


# -- JDBC ------------------------------------------------------------------------------------------

_QUERY_OUTPUTS = ("row", "rows", "uri", "size")
_JDBC = "io.kestra.plugin.jdbc"
_SERVER = ("url", "username", "password")

_JDBC_SPECS: list[PluginSpec] = [
    task(
        f"{_JDBC}.postgresql.Query",
        "Run a SQL query on PostgreSQL.",
        "jdbc.PostgresQueryProperties",
        outputs=_QUERY_OUTPUTS,
        connection=_SERVER,
    ),
    task(
        f"{_JDBC}.postgresql.Queries",
        "Run SQL statements on PostgreSQL.",
        "jdbc.PostgresQueriesProperties",
        outputs=("outputs",),
        connection=_SERVER,
    ),
    task(
        f"{_JDBC}.postgresql.CopyIn",
        "Load a file into a PostgreSQL table with COPY.",
        "jdbc.CopyInProperties",
        outputs=("rowCount",),
        connection=_SERVER,
    ),
    task(
        f"{_JDBC}.postgresql.Load",
        "Load a CSV file into a PostgreSQL table (seed-notes type).",
        "jdbc.LoadProperties",
        outputs=("rowCount",),
        connection=_SERVER,
    ),
    task(
        f"{_JDBC}.mysql.Query",
        "Run a SQL query on MySQL.",
        "jdbc.QueryProperties",
        outputs=_QUERY_OUTPUTS,
        connection=_SERVER,
    ),
    task(
        f"{_JDBC}.sqlite.Query",
        "Run a SQL query on SQLite.",
        "jdbc.SqliteQueryProperties",
        outputs=(*_QUERY_OUTPUTS, "databaseUri"),
        connection=("url",),
    ),
    task(
        f"{_JDBC}.duckdb.Query",
        "Run a SQL query on DuckDB.",
        "jdbc.DuckdbQueryProperties",
        outputs=(*_QUERY_OUTPUTS, "outputFiles", "databaseUri"),
    ),
]


# -- triggers --------------------------------------------------------------------------------------

_TRIGGER_SPECS: list[PluginSpec] = [
    trigger(
        f"{_TRIGGER}.Schedule",
        "Start the flow on a cron schedule.",
        "triggers.ScheduleProperties",
        outputs=("date", "next", "previous"),
        since="0.17",
        old=[f"{_OLD_TRIGGERS}.Schedule"],
    ),
    trigger(
        f"{_TRIGGER}.Flow",
        "Start the flow when other flows' executions end.",
        "triggers.FlowTriggerProperties",
        outputs=("executionId", "namespace", "flowId", "flowRevision", "state", "outputs"),
        since="0.17",
        old=[f"{_OLD_TRIGGERS}.Flow"],
    ),
    trigger(
        f"{_TRIGGER}.Webhook",
        "Start the flow on an HTTP call to its webhook URL.",
        "triggers.WebhookProperties",
        outputs=("body", "headers", "parameters"),
        since="0.17",
        old=[f"{_OLD_TRIGGERS}.Webhook"],
    ),
    trigger(
        "io.kestra.plugin.core.http.Trigger",
        "Start the flow when a polled HTTP response matches a condition.",
        "triggers.HttpTriggerProperties",
        outputs=_REQUEST_OUTPUTS,
        since="0.17",
        old=["io.kestra.plugin.fs.http.Trigger"],
    ),
]


# -- conditions ------------------------------------------------------------------------------------

_CONDITION_SPECS: list[PluginSpec] = [
    _core_condition(
        "ExecutionFlow", "Pass for executions of one flow.", "conditions.ExecutionFlowProperties"
    ),
    _core_condition(
        "ExecutionStatus",
        "Pass for executions in some states.",
        "conditions.ExecutionStatusProperties",
    ),
    _core_condition(
        "ExecutionNamespace",
        "Pass for executions of a namespace.",
        "conditions.ExecutionNamespaceProperties",
    ),
    _core_condition(
        "ExecutionLabels",
        "Pass for executions with some labels.",
        "conditions.ExecutionLabelsProperties",
    ),
    _core_condition(
        "ExecutionOutputs",
        "Pass when an expression on execution outputs is true.",
        "conditions.ExecutionOutputsProperties",
    ),
    condition(
        f"{_CONDITION}.Expression",
        "Pass when an expression is true.",
        "conditions.ExpressionProperties",
        old=(
            "io.kestra.core.models.conditions.types.VariableCondition",
            f"{_CONDITION}.ExpressionCondition",
        ),
    ),
    condition(
        f"{_CONDITION}.Execution",
        "Pass for executions of a flow in some states (seed-notes type).",
        "conditions.ExecutionProperties",
    ),
    _core_condition("DayWeek", "Pass on one day of the week.", "conditions.DayWeekProperties"),
    _core_condition(
        "DayWeekInMonth",
        "Pass on the first, …, last such weekday of the month.",
        "conditions.DayWeekInMonthProperties",
    ),
    _core_condition("Weekend", "Pass on Saturdays and Sundays.", "conditions.WeekendProperties"),
    _core_condition(
        "TimeBetween", "Pass between two times of day.", "conditions.TimeBetweenProperties"
    ),
    _core_condition(
        "DateTimeBetween", "Pass between two date-times.", "conditions.DateTimeBetweenProperties"
    ),
    _core_condition(
        "PublicHoliday", "Pass on public holidays.", "conditions.PublicHolidayProperties"
    ),
    _core_condition(
        "HasRetryAttempt",
        "Pass for executions with a retried task.",
        "conditions.HasRetryAttemptProperties",
    ),
    _core_condition(
        "Not", "Pass when none of the conditions passes.", "conditions.ConditionListProperties"
    ),
    _core_condition(
        "Or", "Pass when one of the conditions passes.", "conditions.ConditionListProperties"
    ),
    condition(
        f"{_CONDITION}.MultipleCondition",
        "Pass when named conditions all passed within a time window (deprecated).",
        "conditions.MultipleConditionProperties",
        old=("io.kestra.core.models.conditions.types.MultipleCondition",),
    ),
    condition(
        f"{_CONDITION}.FlowCondition",
        "Pass for one flow (deprecated: use ExecutionFlow).",
        "conditions.FlowConditionProperties",
        old=("io.kestra.core.models.conditions.types.FlowCondition",),
    ),
    condition(
        f"{_CONDITION}.FlowNamespaceCondition",
        "Pass for flows of a namespace (deprecated: use ExecutionNamespace).",
        "conditions.FlowNamespaceConditionProperties",
        old=("io.kestra.core.models.conditions.types.FlowNamespaceCondition",),
    ),
]


# -- notes on canonical types ----------------------------------------------------------------------

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

_SPECS = [
    *_CORE_TASK_SPECS,
    *_FLOW_SPECS,
    *_STORAGE_SPECS,
    *_HTTP_SPECS,
    *_SCRIPT_SPECS,
    *_JDBC_SPECS,
    *_TRIGGER_SPECS,
    *_CONDITION_SPECS,
]
SPECS: list[PluginSpec] = [
    replace(spec, note=TYPE_NOTES.get(spec.type), example=EXAMPLES.get(spec.type))
    for spec in _SPECS
]

__all__ = ["SPECS", "TYPE_NOTES"]
