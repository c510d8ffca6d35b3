"""Every trigger of a flows directory, as `kflow triggers list` shows it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kflow.compiler import ir
from kflow.runtime_shims.execution import MASK
from kflow.server.catalogue import FLOW, SCHEDULE, WEBHOOK

if TYPE_CHECKING:
    from kflow.runtime_shims.state import StateStore
    from kflow.server.catalogue import FlowCatalogue

#: The trigger types `kflow server` runs.
SERVED = (SCHEDULE, FLOW, WEBHOOK)


def trigger_rows(
    catalogue: FlowCatalogue, store: StateStore | None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """One row per trigger of every flow: namespace, flowId, triggerId, type, disabled,
    served (whether `kflow server` runs it), and what its type tells (a schedule's cron, zone,
    next date and last fired date; a webhook's URL path with the key masked; a Flow trigger's
    states and upstream flows)."""
    now = now or datetime.now(timezone.utc)
    states = (
        {(s.namespace, s.flow_id, s.trigger_id): s for s in store.schedule_states()}
        if store
        else {}
    )
    rows: list[dict[str, Any]] = []
    for loaded in catalogue.flows():
        flow = loaded.flow
        for trigger in flow.triggers:
            row: dict[str, Any] = {
                "namespace": flow.namespace,
                "flowId": flow.id,
                "triggerId": trigger.id,
                "type": trigger.type,
                "disabled": flow.disabled or trigger.disabled,
                "served": trigger.type in SERVED,
            }
            if trigger.type == SCHEDULE:
                row.update(_schedule(trigger, now, row["disabled"]))
                saved = states.get((flow.namespace, flow.id, trigger.id))
                row["lastFired"] = saved.last_fired if saved else None
            elif trigger.type == WEBHOOK:
                row["url"] = f"/api/v1/executions/webhook/{flow.namespace}/{flow.id}/{MASK}"
            elif trigger.type == FLOW:
                row.update(_flow_trigger(trigger))
            rows.append(row)
    return rows


def _schedule(trigger: ir.Trigger, now: datetime, disabled: bool) -> dict[str, Any]:
    from kflow.runtime_shims.schedule import Schedule, ScheduleError

    props = trigger.properties
    found: dict[str, Any] = {
        "cron": props.get("cron"),
        "timezone": props.get("timezone") or "UTC",
        "next": None,
    }
    try:
        schedule = Schedule.from_trigger(trigger)
        if not disabled:
            found["next"] = schedule.next_after(now).isoformat()
    except ScheduleError as error:
        found["error"] = str(error)
    return found


def _flow_trigger(trigger: ir.Trigger) -> dict[str, Any]:
    from kflow.runtime_shims.flow_trigger import DEFAULT_STATES

    props = ir.thaw(trigger.properties)
    upstream = [
        f"{item.get('namespace')}.{item.get('flowId') or '*'}"
        for item in (props.get("preconditions") or {}).get("flows") or ()
        if isinstance(item, dict)
    ]
    upstream += [
        f"{c.properties.get('namespace')}.{c.properties.get('flowId') or '*'}"
        for c in trigger.conditions
        if c.type.endswith(".ExecutionFlow")
    ]
    return {"states": list(props.get("states") or DEFAULT_STATES), "upstream": upstream}


def describe(row: dict[str, Any]) -> str:
    """A row's type-specific part, in a few words (the text table's last column)."""
    if row["type"] == SCHEDULE:
        text = f"cron '{row['cron']}' {row['timezone']}"
        if row.get("error"):
            return f"{text}; error: {row['error']}"
        if row["next"]:
            text += f"; next {row['next']}"
        if row["lastFired"]:
            text += f"; last {row['lastFired']}"
        return text
    if row["type"] == WEBHOOK:
        return str(row["url"])
    if row["type"] == FLOW:
        from kflow.runtime_shims.flow_trigger import DEFAULT_STATES

        default = tuple(row["states"]) == DEFAULT_STATES
        text = "on " + ("any end or pause" if default else ",".join(row["states"]))
        return text + (f" of {', '.join(row['upstream'])}" if row["upstream"] else "")
    return "" if row["served"] else "not run by kflow server"
