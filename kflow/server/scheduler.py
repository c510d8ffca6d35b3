"""Schedule triggers: an execution at each cron date, never missed and never doubled.

For each Schedule trigger the state database keeps a mark: every date up to it is handled
(started, or left out by the trigger's conditions or `recoverMissedSchedules`). At each pass the
scheduler asks `schedule.due_dates(schedule, mark, now)` which dates to start; each one is
started in one transaction with the move of the mark to it — a compare-and-set, so two servers
sharing a state directory, or a restart, never start a date twice, and a crash between the two
writes cannot happen. When the dates are done the mark moves to `now`.

A trigger seen for the first time is marked at `now` (its first date is the next one), unless it
has a `backfill`: then its mark stays empty until the backfill dates, from `backfill.start`, are
started; a backfill only runs at that first start of the trigger.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from kflow.runtime_shims.schedule import Schedule, ScheduleError, due_dates
from kflow.runtime_shims.templating import TemplateError
from kflow.server.catalogue import SCHEDULE
from kflow.server.variables import render_inputs, services, trigger_context

if TYPE_CHECKING:
    from kflow.compiler import ir
    from kflow.runtime_shims.engine import LoadedFlow
    from kflow.server.catalogue import FlowCatalogue
    from kflow.server.worker import ExecutionPool

log = logging.getLogger("kflow.server")

_Key = tuple[str, str, str]  # namespace, flow id, trigger id


@dataclass
class _Entry:
    """A Schedule trigger as the scheduler last saw it."""

    trigger: ir.Trigger
    schedule: Schedule | None  # None: the trigger cannot run (its error is logged once)
    next_due: datetime | None = None  # no date is due before this: no database read until then


class Scheduler:
    """Starts the executions of every Schedule trigger of the catalogue; `tick` is one pass."""

    def __init__(self, catalogue: FlowCatalogue, pool: ExecutionPool) -> None:
        self.catalogue = catalogue
        self.pool = pool
        self.store = pool.store
        self._entries: dict[_Key, _Entry] = {}

    def tick(self, now: datetime | None = None) -> int:
        """Start the executions due now; how many were started."""
        now = now or datetime.now(timezone.utc)
        started = 0
        seen: set[_Key] = set()
        for loaded, trigger in self.catalogue.triggers(SCHEDULE):
            key = (loaded.flow.namespace, loaded.flow.id, trigger.id)
            seen.add(key)
            entry = self._entries.get(key)
            if entry is None or entry.trigger is not trigger:
                entry = self._entries[key] = _Entry(trigger, _schedule(key, trigger))
            if entry.schedule is None or (entry.next_due is not None and now < entry.next_due):
                continue
            try:
                started += self._run_due(loaded, key, entry, entry.schedule, now)
            except Exception:  # one broken trigger must not stop the others
                log.exception("schedule %s of %s.%s: internal error", key[2], key[0], key[1])
        for key in self._entries.keys() - seen:
            del self._entries[key]  # the flow or the trigger is gone (or disabled)
        return started

    def _run_due(
        self, loaded: LoadedFlow, key: _Key, entry: _Entry, schedule: Schedule, now: datetime
    ) -> int:
        state = self.store.schedule_state(*key)
        if state is None:
            since = now.isoformat()
            mark = None if schedule.backfill_start is not None else since
            self.store.start_schedule(*key, since=since, until=mark)
            state = self.store.schedule_state(*key)
            if state is None:
                return 0
        mark = state.handled_until
        handled = _parse(mark) if mark else None
        if handled is not None and handled >= _parse(state.since):
            schedule = replace(schedule, backfill_start=None, backfill_end=None)
        try:
            dates = due_dates(
                schedule,
                handled,
                now,
                variables=trigger_context(loaded.flow, None),
                services=services(),
            )
        except ScheduleError as error:
            log.warning(
                "schedule %s of %s.%s: %s; dates up to now are skipped",
                key[2],
                key[0],
                key[1],
                error,
            )
            dates = []
        started = 0
        for date in dates:
            if not self._start(loaded, key, schedule, mark, date):
                entry.next_due = None  # another writer moved the mark: read it again
                return started
            mark = date.isoformat()
            started += 1
        moved = handled is None or handled < now
        if moved and not self.store.advance_schedule(*key, previous=mark, until=now.isoformat()):
            entry.next_due = None
            return started
        try:
            entry.next_due = schedule.next_after(now)
        except ScheduleError as error:  # a cron that never fires (30 February): say so once
            log.warning("schedule %s of %s.%s: %s; it is left out", key[2], key[0], key[1], error)
            entry.schedule = None
        return started

    def _start(
        self, loaded: LoadedFlow, key: _Key, schedule: Schedule, mark: str | None, date: datetime
    ) -> bool:
        """Start the execution of one date, moving the mark to it in the same transaction;
        False when the mark is not `mark` any more (nothing is started)."""
        variables = schedule.variables(date)
        with self.store.transaction():
            if not self.store.advance_schedule(
                *key, previous=mark, until=date.isoformat(), fired=date.isoformat()
            ):
                return False
            try:
                inputs = render_inputs(schedule.inputs, trigger_context(loaded.flow, variables))
            except (TemplateError, ValueError) as error:
                message = f"invalid inputs: trigger {key[2]}: {error}"
                record = self.pool.create_failed(loaded, variables, message)
            else:
                record = self.pool.create(loaded, inputs, variables)
        log.info(
            "schedule %s of %s.%s: execution %s for %s",
            key[2],
            key[0],
            key[1],
            record.id,
            variables["date"],
        )
        self.pool.submit(record, loaded.flow)
        return True


def _schedule(key: _Key, trigger: ir.Trigger) -> Schedule | None:
    try:
        return Schedule.from_trigger(trigger)
    except ScheduleError as error:
        log.error("schedule %s of %s.%s cannot run: %s", key[2], key[0], key[1], error)
        return None


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
