"""Flow triggers: start a flow when an execution of another one ends (or pauses).

The state database logs every execution state change into a terminal state or PAUSED, whoever
wrote it (this server's workers, `kflow run`, `kflow flows execute` sharing the state
directory); see `StateStore.transitions`. The watcher reads that log after its cursor, and for
each change, in one transaction, moves the cursor past it (compare-and-set, so two servers never
both handle it), updates the preconditions state of the triggers it concerns and creates the
executions it fires. A first start begins at the end of the log: executions that ended before the
server ever ran trigger nothing; those that end while it is stopped trigger at its next start.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from kflow.runtime_shims import flow_trigger
from kflow.runtime_shims.templating import TemplateError
from kflow.server.catalogue import FLOW
from kflow.server.variables import render_inputs, services, trigger_context

if TYPE_CHECKING:
    from kflow.compiler import ir
    from kflow.runtime_shims.engine import LoadedFlow
    from kflow.runtime_shims.state import ExecutionRecord, Transition
    from kflow.server.catalogue import FlowCatalogue
    from kflow.server.worker import ExecutionPool

log = logging.getLogger("kflow.server")

#: The watcher's cursor in `StateStore.cursor`.
CURSOR = "flow-triggers"
_BATCH = 500
#: Handled state changes are deleted from the log every this many.
_PRUNE_EVERY = 1000
_CORRELATION = "system.correlationId"


class FlowTriggerWatcher:
    """Starts the executions Flow triggers fire; `tick` reads the state changes once."""

    def __init__(self, catalogue: FlowCatalogue, pool: ExecutionPool) -> None:
        self.catalogue = catalogue
        self.pool = pool
        self.store = pool.store
        self._pruned = 0

    def tick(self, now: datetime | None = None) -> int:
        """Handle the state changes logged since the last tick; how many executions started."""
        cursor = self.store.cursor(CURSOR)
        if cursor is None:
            self.store.move_cursor(CURSOR, None, self.store.last_transition())
            return 0
        started = 0
        while True:
            changes = self.store.transitions(cursor, _BATCH)
            if not changes:
                break
            listeners = self.catalogue.triggers(FLOW)
            if not listeners:
                if not self.store.move_cursor(CURSOR, cursor, changes[-1].seq):
                    return started
                cursor = changes[-1].seq
            for change in changes if listeners else ():
                fired = self._handle(change, cursor, listeners, now)
                if fired is None:
                    return started  # another server moved the cursor: it reads on from there
                started += fired
                cursor = change.seq
            if len(changes) < _BATCH:
                break
        if cursor - self._pruned >= _PRUNE_EVERY:
            self.store.forget_transitions(cursor)
            self._pruned = cursor
        return started

    def _handle(
        self,
        change: Transition,
        cursor: int,
        listeners: list[tuple[LoadedFlow, ir.Trigger]],
        now: datetime | None,
    ) -> int | None:
        ended = flow_trigger.Ended(
            execution_id=change.execution_id,
            namespace=change.namespace,
            flow_id=change.flow_id,
            state=change.state,
            outputs=change.outputs,
            labels=change.labels,
            flow_revision=1,
            start_date=change.start_date,
            end_date=change.date,
        )
        moment = now or datetime.now(timezone.utc)
        created: list[tuple[ExecutionRecord, LoadedFlow]] = []
        with self.store.transaction():
            if not self.store.move_cursor(CURSOR, cursor, change.seq):
                return None
            for loaded, trigger in listeners:
                try:
                    if self._fires(loaded.flow, trigger, ended, moment):
                        created.append((self._create(loaded, trigger, ended), loaded))
                except flow_trigger.FlowTriggerError as error:
                    log.warning(
                        "flow trigger of %s.%s: %s", loaded.flow.namespace, loaded.flow.id, error
                    )
                except Exception:  # one broken trigger must not stop the others
                    log.exception(
                        "flow trigger %s of %s.%s: internal error",
                        trigger.id,
                        loaded.flow.namespace,
                        loaded.flow.id,
                    )
        for record, loaded in created:
            log.info(
                "flow trigger of %s.%s: execution %s after %s of %s.%s",
                record.namespace,
                record.flow_id,
                record.id,
                ended.state,
                ended.namespace,
                ended.flow_id,
            )
            self.pool.submit(record, loaded.flow)
        return len(created)

    def _fires(
        self, flow: ir.Flow, trigger: ir.Trigger, ended: flow_trigger.Ended, now: datetime
    ) -> bool:
        if not flow_trigger.matches(
            trigger, flow.namespace, ended, listener_flow_id=flow.id, services=services()
        ):
            return False
        saved = self.store.flow_trigger_state(flow.namespace, flow.id, trigger.id)
        preconditions = flow_trigger.Preconditions(
            trigger,
            saved,
            listener_namespace=flow.namespace,
            listener_flow_id=flow.id,
            services=services(),
        )
        fires = preconditions.observe(ended, now)
        state = preconditions.state()
        if state != (saved or {}):
            self.store.save_flow_trigger_state(flow.namespace, flow.id, trigger.id, state)
        return fires

    def _create(
        self, loaded: LoadedFlow, trigger: ir.Trigger, ended: flow_trigger.Ended
    ) -> ExecutionRecord:
        variables = flow_trigger.variables(ended)
        labels = {_CORRELATION: ended.labels[_CORRELATION]} if _CORRELATION in ended.labels else {}
        try:
            context = trigger_context(loaded.flow, variables)
            inputs = render_inputs(trigger.properties.get("inputs"), context)
        except (TemplateError, ValueError) as error:
            message = f"invalid inputs: trigger {trigger.id}: {error}"
            return self.pool.create_failed(loaded, variables, message)
        return self.pool.create(loaded, inputs, variables, labels=labels)
