"""log.Fetch: the logs of an execution, written to an ION file of internal storage.

Reads the runner's state store (`ctx.services['state']`): the logs of `executionId` (default: the
current execution) at `level` or above (default INFO), only those of `tasksId` when given (then
task by task, in the order listed, as Kestra does). Each log is one ION struct per line with
`namespace`, `flowId`, `taskId`, `executionId`, `taskRunId`, `timestamp`, `level` and `message`.
Outputs: `uri` (the file) and `size` (the number of logs).

An `executionId` other than the current one must be an execution of this flow, or of the flow
named by `namespace` and `flowId`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from kflow.runtime_shims.context import TaskContext
from kflow.runtime_shims.tasks._common import LEVELS, failure, level, rendered, state_store, text

_RANK = {name: rank for rank, name in enumerate(LEVELS)}
_ION_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)")


def fetch(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """log.Fetch: write the matching logs to `uri`; `size` is how many."""
    store = state_store(ctx)
    execution_id = text(ctx, props, "executionId") or ctx.execution_id
    namespace = text(ctx, props, "namespace") or ctx.namespace
    flow_id = text(ctx, props, "flowId") or ctx.flow_id
    if execution_id != ctx.execution_id:
        record = store.execution(execution_id)
        if record is None:
            raise failure(ctx, f"execution '{execution_id}' not found")
        if (record.namespace, record.flow_id) != (namespace, flow_id):
            raise failure(
                ctx, f"execution '{execution_id}' is not an execution of flow {namespace}.{flow_id}"
            )
    lowest = _RANK[level(ctx, props)]
    tasks = _task_ids(ctx, props)
    logs = [row for row in store.logs(execution_id) if _RANK.get(row["level"], 2) >= lowest]
    if tasks is not None:
        logs = [row for task in tasks for row in logs if row["task_id"] == task]
    lines = [_ion(_entry(row, namespace, flow_id)) + "\n" for row in logs]
    uri = ctx.storage.put(ctx.storage_key("logs.ion"), "".join(lines).encode("utf-8"))
    return {"uri": uri, "size": len(logs)}


def _task_ids(ctx: TaskContext, props: Mapping[str, Any]) -> list[str] | None:
    value = rendered(ctx, props, "tasksId")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = [value]
    if not isinstance(value, list):
        raise failure(ctx, "'tasksId' must be a list of task ids")
    return [str(item) for item in value] or None


def _entry(row: Mapping[str, Any], namespace: str, flow_id: str) -> dict[str, Any]:
    return {
        "namespace": namespace,
        "flowId": flow_id,
        "taskId": row.get("task_id"),
        "executionId": row.get("execution_id"),
        "taskRunId": row.get("task_run_id"),
        "timestamp": row.get("timestamp"),
        "level": row.get("level"),
        "message": row.get("message"),
    }


def _ion(entry: Mapping[str, Any]) -> str:
    """One struct in ION text: field names as symbols, texts as strings, timestamps bare."""
    fields = []
    for name, value in entry.items():
        if value is None:
            continue
        if name == "timestamp" and isinstance(value, str) and _ION_TIMESTAMP.fullmatch(value):
            shown = value
        else:
            # JSON string escapes are valid ION string escapes
            shown = json.dumps(value, ensure_ascii=False)
        fields.append(f"{name}:{shown}")
    return "{" + ",".join(fields) + "}"
