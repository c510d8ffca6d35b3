"""The KV store tasks (kv.Set/Get/Delete) and the deprecated state store (state.Set/Get/Delete).

Both live in the runner's state database (`ctx.services['state']`, a StateStore).

KV: `namespace` defaults to the flow's; keys are Kestra's (`[a-zA-Z0-9][a-zA-Z0-9._-]*`).
- `kv.Set`: stores `value` rendered (text when it is a template; other YAML values as written,
  their strings rendered). `kvType` converts a text value: NUMBER (a JSON number), BOOLEAN
  (`true`/`false`), DATETIME (→ `2024-01-01T00:00:00Z`), DATE (a date, or a date-time as
  DATETIME), DURATION (→ `PT1H`), JSON (parsed), STRING (kept). `overwrite: false` fails when the
  key holds a value; `ttl` (a duration) makes the pair expire. No outputs.
- `kv.Get`: `{"value": the value or null}`; `errorOnMissing: true` fails instead of null.
- `kv.Delete`: `{"deleted": whether there was a value}`; `errorOnMissing: true` fails if not.

State (one mapping per `name`, shared by the flow, or by the namespace with `namespace: true`,
and kept apart per `taskrun.value` inside loops unless `taskrunValue: false`):
- `state.Set`: merges `data` rendered (deeply) into the state → `{"count": keys, "key": where}`.
- `state.Get`: `{"count": keys, "data": the mapping}` (empty when none, or a failure with
  `errorOnMissing: true`).
- `state.Delete`: `{"deleted": bool}`; `errorOnMissing: true` fails when there was none.
States are KV pairs of the flow's namespace under the key `__state__/<flow>/<name>/<value>`, which
no KV key can be (KV keys start with a letter or a digit).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from kflow.runtime_shims.context import TaskContext
from kflow.runtime_shims.durations import DurationError, format_duration, parse_duration
from kflow.runtime_shims.inputs import format_datetime, parse_datetime
from kflow.runtime_shims.tasks._common import (
    failure,
    flag,
    rendered,
    required_text,
    state_store,
    text,
)

_KEY = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]*")
STATE_PREFIX = "__state__"


# -- KV store -------------------------------------------------------------------------------------


def kv_set(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """kv.Set: store `value` under `key` in `namespace`."""
    store = state_store(ctx)
    namespace, key = _namespace_and_key(ctx, props)
    if "value" not in props:
        raise failure(ctx, "property 'value' is required")
    value = ctx.render(props["value"])
    kv_type = text(ctx, props, "kvType")
    if kv_type is not None and isinstance(value, str):
        value = _typed(ctx, value, kv_type.strip().upper())
    if not flag(ctx, props, "overwrite", True) and store.kv_get(namespace, key)[0]:
        raise failure(
            ctx, f"key '{key}' already has a value in namespace '{namespace}' (overwrite: false)"
        )
    store.kv_set(namespace, key, value, _expiry(ctx, props))
    return {}


def kv_get(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """kv.Get: the value of `key` in `namespace`, or null."""
    store = state_store(ctx)
    namespace, key = _namespace_and_key(ctx, props)
    error_on_missing = flag(ctx, props, "errorOnMissing", False)
    found, value = store.kv_get(namespace, key)
    if not found and error_on_missing:
        raise failure(ctx, f"key '{key}' not found in namespace '{namespace}'")
    return {"value": value if found else None}


def kv_delete(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """kv.Delete: remove `key` from `namespace`; `deleted` says whether it had a value."""
    store = state_store(ctx)
    namespace, key = _namespace_and_key(ctx, props)
    error_on_missing = flag(ctx, props, "errorOnMissing", False)
    found = store.kv_get(namespace, key)[0]
    deleted = bool(store.kv_delete(namespace, key)) and found
    if not deleted and error_on_missing:
        raise failure(ctx, f"key '{key}' not found in namespace '{namespace}'")
    return {"deleted": deleted}


def _namespace_and_key(ctx: TaskContext, props: Mapping[str, Any]) -> tuple[str, str]:
    namespace = (text(ctx, props, "namespace") or ctx.namespace).strip()
    key = required_text(ctx, props, "key").strip()
    if not _KEY.fullmatch(key):
        raise failure(
            ctx,
            f"invalid key {key!r}: a key is letters, digits, '.', '_' and '-' only, "
            "starting with a letter or a digit",
        )
    return namespace, key


def _typed(ctx: TaskContext, value: str, kv_type: str) -> Any:
    try:
        if kv_type == "STRING":
            return value
        if kv_type == "NUMBER":
            number = json.loads(value)
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise ValueError
            return number
        if kv_type == "BOOLEAN":
            if value.strip().lower() not in ("true", "false"):
                raise ValueError
            return value.strip().lower() == "true"
        if kv_type == "DATE" and "T" not in value.upper():
            return datetime.strptime(value.strip(), "%Y-%m-%d").date().isoformat()
        if kv_type in ("DATETIME", "DATE"):
            return format_datetime(parse_datetime(value))
        if kv_type == "DURATION":
            return format_duration(parse_duration(value))
        if kv_type == "JSON":
            return json.loads(value)
    except (ValueError, DurationError):
        raise failure(ctx, f"value {value[:60]!r} is not a {kv_type}") from None
    raise failure(ctx, f"unknown kvType {kv_type!r}")


def _expiry(ctx: TaskContext, props: Mapping[str, Any]) -> str | None:
    ttl = text(ctx, props, "ttl")
    if ttl is None:
        return None
    try:
        seconds = parse_duration(ttl)
    except DurationError as error:
        raise failure(ctx, f"ttl: {error}") from None
    moment = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    # the state store compares expiry dates as text: same shape as its `now()`
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


# -- state store ----------------------------------------------------------------------------------


def state_set(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """state.Set: merge `data` into the state `name`."""
    store = state_store(ctx)
    key = _state_key(ctx, props)
    data = rendered(ctx, props, "data", {})
    if not isinstance(data, dict):
        raise failure(ctx, "'data' must be a mapping")
    found, current = store.kv_get(ctx.namespace, key)
    merged = _merge(current if found and isinstance(current, dict) else {}, data)
    store.kv_set(ctx.namespace, key, merged)
    return {"count": len(merged), "key": key}


def state_get(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """state.Get: the mapping of the state `name` (empty when there is none)."""
    store = state_store(ctx)
    key = _state_key(ctx, props)
    error_on_missing = flag(ctx, props, "errorOnMissing", False)
    found, data = store.kv_get(ctx.namespace, key)
    if not found:
        if error_on_missing:
            raise failure(ctx, f"no state named '{_state_name(ctx, props)}'")
        data = {}
    return {"count": len(data), "data": data}


def state_delete(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """state.Delete: remove the state `name`; `deleted` says whether there was one."""
    store = state_store(ctx)
    error_on_missing = flag(ctx, props, "errorOnMissing", False)
    deleted = bool(store.kv_delete(ctx.namespace, _state_key(ctx, props)))
    if not deleted and error_on_missing:
        raise failure(ctx, f"no state named '{_state_name(ctx, props)}'")
    return {"deleted": deleted}


def _state_name(ctx: TaskContext, props: Mapping[str, Any]) -> str:
    return text(ctx, props, "name", default="default") or "default"


def _state_key(ctx: TaskContext, props: Mapping[str, Any]) -> str:
    scope = "" if flag(ctx, props, "namespace", False) else ctx.flow_id
    parts = [STATE_PREFIX, scope, _state_name(ctx, props)]
    if flag(ctx, props, "taskrunValue", True):
        value = (ctx.variables.get("taskrun") or {}).get("value")
        if value is not None:
            parts.append(str(value))
    return "/".join(parts)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """`extra` over `base`, mappings merged key by key (Kestra's MapUtils.merge)."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
