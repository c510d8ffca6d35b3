"""Schedule triggers at run time: cron arithmetic in a time zone, missed dates, conditions.

`Schedule` holds one `io.kestra.plugin.core.trigger.Schedule`; `due_dates` says which dates a
scheduler must start now; `conditions_pass` applies the trigger's conditions to one date;
`Schedule.variables` is the `trigger` variable of the execution started for a date.

Choices (Kestra's documentation is silent or kflow differs):

- A cron is read in `timezone`, UTC when unset (Kestra uses the server's zone).
- Day-of-month and day-of-week both restricted: a date matching either fires (POSIX cron).
- Daylight saving time, as Vixie/ISC cron does it: a *fixed-time* cron (its minute and hour
  fields are not `*…`) whose time the clocks skip fires once, at the first instant after the
  gap (a 02:30 daily job fires at 03:00 on the spring-forward day); a time the clocks repeat
  fires once, on its first pass (no double run on the fall-back day). A *wildcard* cron (`*/15
  * * * *`, `0 * * * *`) fires at every matching wall-clock time that exists, on both passes of
  a repeated hour, so it keeps its rhythm in real time.
- Naive datetimes given to this module are read as UTC.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from functools import cached_property
from typing import TYPE_CHECKING, Any

from kflow.runtime_shims.conditions import ConditionError, condition_dicts, holds

if TYPE_CHECKING:
    from kflow.compiler import ir
    from kflow.runtime_shims.templating import Services

__all__ = [
    "ON_TIME",
    "SCHEDULE_TYPE",
    "Schedule",
    "ScheduleError",
    "conditions_pass",
    "due_dates",
]

SCHEDULE_TYPE = "io.kestra.plugin.core.trigger.Schedule"

#: How late a date may be and still count as on time (not missed) for `recover: NONE`.
ON_TIME = timedelta(seconds=60)

_NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_UTC = timezone.utc
_SECOND = timedelta(seconds=1)
_TICK = timedelta(microseconds=1)
# daylight-saving and similar shifts are at most 2 hours: instants closer than this to an offset
# change may come out of wall-clock order, so they are sorted before being given out
_NEAR = timedelta(hours=3)
# how many cron dates `variables` looks through for the next/previous date passing conditions
_CONDITION_SEARCH = 5000


class ScheduleError(ValueError):
    """A Schedule that cannot run: a bad cron or zone, a date that cannot be read, a condition
    that cannot be evaluated."""


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=_UTC)
    return moment.astimezone(_UTC)


def _iso(moment: datetime) -> str:
    """An instant as Kestra's Jackson writes a ZonedDateTime: seconds, offset or `Z`."""
    text = moment.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _parse_date(text: Any, zone: tzinfo, what: str) -> datetime:
    from kflow.runtime_shims.templating.dates import parse_moment, zone_of
    from kflow.runtime_shims.templating.errors import FilterError

    if isinstance(text, datetime):
        return text if text.tzinfo else text.replace(tzinfo=zone)
    value = str(text).strip()
    if "T" not in value.upper():
        value += "T00:00:00"  # a date alone is the start of that day
    try:
        moment = parse_moment(value, zone_of("UTC")).dt
    except FilterError:
        raise ScheduleError(f"{what} {text!r} is not an ISO-8601 date-time") from None
    tail = value.partition("T")[2]
    if not (tail.endswith("Z") or "+" in tail or "-" in tail or "[" in tail):
        # a date-time without an offset is wall-clock time in the schedule's zone
        moment = moment.replace(tzinfo=zone)
    return moment


@dataclass(frozen=True)
class Schedule:
    """One Schedule trigger, ready for date arithmetic.

    `timezone` defaults to UTC (Kestra uses the server's zone when unset). `conditions` are plain
    `{"type": canonical, **properties}` dicts. Dates returned are aware, in `timezone`.
    """

    trigger_id: str
    cron: str
    with_seconds: bool = False
    timezone: str = "UTC"
    inputs: Mapping[str, Any] = field(default_factory=dict, hash=False)
    backfill_start: datetime | None = None
    backfill_end: datetime | None = None
    recover: str = "ALL"
    late_maximum_delay: timedelta | None = None
    conditions: tuple[Mapping[str, Any], ...] = field(default=(), hash=False)

    def __post_init__(self) -> None:
        from kflow.plugin_registry.types import check_cron

        problem = check_cron(self.cron, with_seconds=self.with_seconds)
        if problem:
            raise ScheduleError(
                f"trigger '{self.trigger_id}': invalid cron {self.cron!r}: {problem}"
            )
        if self.recover not in ("ALL", "LAST", "NONE"):
            raise ScheduleError(
                f"trigger '{self.trigger_id}': recoverMissedSchedules must be ALL, LAST or "
                f"NONE, not {self.recover!r}"
            )
        self.zone  # noqa: B018 — an unknown zone fails here, not at the first run

    # -- construction ---------------------------------------------------------------------------

    @classmethod
    def from_trigger(cls, trigger: ir.Trigger) -> Schedule:
        """The Schedule of an IR trigger (properties and conditions already canonical)."""
        from kflow.compiler import ir as ir_module

        if trigger.type != SCHEDULE_TYPE:
            raise ScheduleError(f"trigger '{trigger.id}' is a {trigger.type}, not a Schedule")
        return cls.from_properties(
            trigger.id, ir_module.thaw(trigger.properties), trigger.conditions
        )

    @classmethod
    def from_properties(
        cls, trigger_id: str, props: Mapping[str, Any], conditions: Sequence[Any] = ()
    ) -> Schedule:
        """A Schedule from its properties as Kestra names them (`cron`, `withSeconds`,
        `timezone`, `inputs`, `backfill`, `recoverMissedSchedules`, `lateMaximumDelay`)."""
        from kflow.runtime_shims.durations import DurationError, parse_duration

        cron = props.get("cron")
        if not isinstance(cron, str):
            raise ScheduleError(f"trigger '{trigger_id}': 'cron' must be a cron expression")
        zone_name = props.get("timezone") or "UTC"
        delay_text = props.get("lateMaximumDelay")
        delay = None
        if delay_text is not None:
            try:
                delay = timedelta(seconds=parse_duration(delay_text))
            except DurationError as error:
                raise ScheduleError(f"trigger '{trigger_id}': lateMaximumDelay: {error}") from None
        schedule = cls(
            trigger_id=trigger_id,
            cron=cron,
            with_seconds=bool(props.get("withSeconds", False)),
            timezone=str(zone_name),
            inputs=dict(props.get("inputs") or {}),
            recover=str(props.get("recoverMissedSchedules") or "ALL"),
            late_maximum_delay=delay,
            conditions=condition_dicts(conditions),
        )
        backfill = props.get("backfill")
        if isinstance(backfill, Mapping) and backfill.get("start") is not None:
            zone = schedule.zone
            start = _parse_date(backfill["start"], zone, "backfill.start")
            end = backfill.get("end")
            schedule = _replace(
                schedule,
                backfill_start=start,
                backfill_end=_parse_date(end, zone, "backfill.end") if end is not None else None,
            )
        return schedule

    # -- the cron -------------------------------------------------------------------------------

    @cached_property
    def zone(self) -> tzinfo:
        """The time zone the cron is read in."""
        from kflow.runtime_shims.templating.dates import zone_of
        from kflow.runtime_shims.templating.errors import FilterError

        try:
            return zone_of(self.timezone).tz
        except FilterError as error:
            raise ScheduleError(f"trigger '{self.trigger_id}': {error}") from None

    @cached_property
    def expression(self) -> str:
        """The cron as fields (a nickname spelled out; seconds first with `withSeconds`)."""
        text = self.cron.strip()
        if text.startswith("@"):
            text = _NICKNAMES[text.lower()]
            return "0 " + text if self.with_seconds else text
        return " ".join(text.split())

    @cached_property
    def _fixed_time(self) -> bool:
        """Whether the cron fires at fixed times of day (not `*` in its minute or hour field)."""
        fields = self.expression.split()
        minute, hour = fields[1:3] if self.with_seconds else fields[0:2]
        return not (minute.startswith("*") or hour.startswith("*"))

    def next_after(self, moment: datetime) -> datetime:
        """The first date strictly after `moment`, in the schedule's zone.

        An ambiguous wall-clock time (fall-back) never compares equal to a datetime of another
        zone (Python's rule): compare dates as `.astimezone(timezone.utc)` or timestamps.
        """
        return self._first(moment, forward=True)

    def previous_before(self, moment: datetime) -> datetime:
        """The last date strictly before `moment`, in the schedule's zone."""
        return self._first(moment, forward=False)

    def _first(self, moment: datetime, forward: bool) -> datetime:
        found = next(self._walk(moment, forward), None)
        if found is None:
            raise ScheduleError(
                f"trigger '{self.trigger_id}': the cron {self.cron!r} matches no date "
                f"{'after' if forward else 'before'} {_iso(_utc(moment))}"
            )
        return found

    def dates_between(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Every date `d` with `start < d <= end`, in order."""
        limit = _utc(end)
        for date in self._walk(start, forward=True):
            if date > limit:
                return
            yield date

    def _walk(self, moment: datetime, forward: bool) -> Iterator[datetime]:
        """Dates strictly after (or before) `moment`, in order, each instant once."""
        from croniter import croniter

        zone = self.zone
        origin = _utc(moment)
        wall = origin.astimezone(zone).replace(tzinfo=None, microsecond=0)
        if self._near_change(origin):
            wall = wall - _NEAR if forward else wall + _NEAR
        start = wall - _SECOND if forward else wall + _SECOND
        try:
            cron = croniter(self.expression, start, second_at_beginning=self.with_seconds)
        except (ValueError, KeyError) as error:
            raise ScheduleError(f"trigger '{self.trigger_id}': {error}") from None
        step = cron.get_next if forward else cron.get_prev
        last: datetime | None = None
        pending: list[datetime] = []  # instants near an offset change, kept in order

        def beyond(instant: datetime) -> bool:
            if not (instant > origin if forward else instant < origin):
                return False
            return last is None or (instant > last if forward else instant < last)

        for _ in range(10_000_000):
            try:
                local = step(datetime)
            except (StopIteration, ValueError, KeyError):
                break
            instants = self._instants(local)
            if not forward:
                instants.reverse()
            for instant in instants:
                if self._near_change(instant):
                    bisect.insort(pending, instant)
                    continue
                # a far instant comes after (before) every pending one in real time
                for held in pending if forward else reversed(pending):
                    if beyond(held):
                        last = held
                        yield held.astimezone(zone)
                pending.clear()
                if beyond(instant):
                    last = instant
                    yield instant.astimezone(zone)
        for held in pending if forward else reversed(pending):
            if beyond(held):
                last = held
                yield held.astimezone(zone)

    def _instants(self, local: datetime) -> list[datetime]:
        """The UTC instants a matching wall-clock time stands for (0, 1 or 2 of them)."""
        zone = self.zone
        first = local.replace(tzinfo=zone, fold=0)
        second = local.replace(tzinfo=zone, fold=1)
        first_utc, second_utc = first.astimezone(_UTC), second.astimezone(_UTC)
        if first_utc.astimezone(zone).replace(tzinfo=None) != local:
            # the clocks skip this time
            if self._fixed_time:
                return [self._gap_end(second_utc, first_utc)]
            return []
        if first_utc != second_utc and not self._fixed_time:
            return sorted((first_utc, second_utc))
        return [min(first_utc, second_utc)]

    def _gap_end(self, low: datetime, high: datetime) -> datetime:
        """The instant the clocks jump forward, between `low` and `high` (UTC)."""
        zone = self.zone
        after = high.astimezone(zone).utcoffset()
        low, high = min(low, high), max(low, high)
        while high - low > _SECOND:
            middle = low + (high - low) / 2
            if middle.astimezone(zone).utcoffset() == after:
                high = middle
            else:
                low = middle
        return high.replace(microsecond=0)

    def _near_change(self, instant: datetime) -> bool:
        zone = self.zone
        return (instant - _NEAR).astimezone(zone).utcoffset() != (instant + _NEAR).astimezone(
            zone
        ).utcoffset()

    # -- the trigger variable -------------------------------------------------------------------

    def variables(self, date: datetime) -> dict[str, Any]:
        """The `trigger` variable of the execution started for `date`: `date`, `next` and
        `previous` as ISO-8601 text in the schedule's zone (`2024-03-31T03:00:00+02:00`).

        With conditions, `next` and `previous` are the nearest dates that pass them (as in
        Kestra); when the conditions cannot be evaluated without an execution's context, or no
        such date is found nearby, they are the nearest cron dates.
        """
        plain = self._plain_variables(date)
        if not self.conditions:
            return plain
        try:
            found_next = self._passing(date, forward=True)
            found_previous = self._passing(date, forward=False)
        except ScheduleError:
            return plain
        if found_next is not None:
            plain["next"] = _iso(found_next)
        if found_previous is not None:
            plain["previous"] = _iso(found_previous)
        return plain

    def _plain_variables(self, date: datetime) -> dict[str, Any]:
        here = _utc(date).astimezone(self.zone)
        return {
            "date": _iso(here),
            "next": _iso(self.next_after(here)),
            "previous": _iso(self.previous_before(here)),
        }

    def _passing(self, date: datetime, forward: bool) -> datetime | None:
        for count, candidate in enumerate(self._walk(date, forward)):
            if count >= _CONDITION_SEARCH:
                return None
            trigger = self._plain_variables(candidate)
            if conditions_pass(self.conditions, candidate, {"trigger": trigger}):
                return candidate
        return None


def _replace(schedule: Schedule, **changes: Any) -> Schedule:
    from dataclasses import replace

    return replace(schedule, **changes)


def conditions_pass(
    conditions: Sequence[Mapping[str, Any] | ir.Condition],
    date: datetime,
    variables: Mapping[str, Any],
    *,
    services: Services | None = None,
) -> bool:
    """Whether every schedule condition passes for `date`.

    `conditions` are condition dicts (or IR conditions). `variables` are the rendering
    variables, normally holding `trigger` (see `Schedule.variables`); when `trigger` has no
    `date`, `date` is given there, so date conditions test `date` by default. `schedule` is set
    to `trigger` when absent (Kestra's old name). Conditions on executions (ExecutionFlow, …)
    are left out, as Kestra does on a Schedule. Raises `ScheduleError` for a condition that
    cannot be evaluated (PublicHoliday, a failing template, …).
    """
    from kflow.runtime_shims.conditions import EXECUTION_TYPES

    scope = dict(variables)
    trigger = scope.get("trigger")
    if not isinstance(trigger, Mapping) or "date" not in trigger:
        extra = dict(trigger) if isinstance(trigger, Mapping) else {}
        scope["trigger"] = {**extra, "date": _iso(_utc(date))}
    scope.setdefault("schedule", scope["trigger"])
    try:
        for condition in condition_dicts(conditions):
            if condition["type"] in EXECUTION_TYPES:
                continue
            if not holds(condition, scope, None, services):
                return False
    except ConditionError as error:
        raise ScheduleError(str(error)) from None
    return True


def due_dates(
    schedule: Schedule,
    last: datetime | None,
    now: datetime,
    *,
    variables: Mapping[str, Any] | None = None,
    services: Services | None = None,
) -> list[datetime]:
    """The dates a scheduler must start executions for at `now`, oldest first.

    `last` is the last date already started (None: the schedule never ran). Rules:

    - never ran, no backfill: nothing (the first date is `next_after(now)`; the scheduler
      records `now` as `last`);
    - backfill (`backfill_start`, to `backfill_end` or `now`): every date of it not yet started,
      `backfill_start` included when it matches; backfill dates are never dropped;
    - other dates in `(last, now]` are kept by `recover`: ALL every one, LAST the latest, NONE
      only one that is on time (at most `ON_TIME` old); then `late_maximum_delay` drops those
      older than `now - late_maximum_delay`;
    - dates whose conditions fail are not started (nor counted as the latest).

    `variables` are extra rendering variables for the conditions (`flow`, `envs`, …).
    """
    now_utc = _utc(now)
    backfill: list[datetime] = []
    if schedule.backfill_start is not None:
        start = _utc(schedule.backfill_start)
        end = min(now_utc, _utc(schedule.backfill_end)) if schedule.backfill_end else now_utc
        after = start - _TICK if last is None else max(_utc(last), start - _TICK)
        backfill = [d for d in schedule.dates_between(after, end) if _utc(d) >= start]
    missed: list[datetime] = []
    if last is not None:
        missed = _missed(schedule, _utc(last), now_utc)
        if backfill:
            first, final = _utc(backfill[0]), _utc(backfill[-1])
            missed = [d for d in missed if not first <= _utc(d) <= final]
    keep = [d for d in backfill if _passes(schedule, d, variables, services)]
    keep += _recovered(schedule, missed, now_utc, variables, services)
    return sorted(set(keep), key=_utc)


def _missed(schedule: Schedule, last: datetime, now: datetime) -> list[datetime]:
    if last >= now:
        return []
    start = last
    if schedule.late_maximum_delay is not None:
        # older dates would be dropped anyway: do not walk through them
        start = max(last, now - schedule.late_maximum_delay - _SECOND)
    if schedule.recover == "ALL":
        return list(schedule.dates_between(start, now))
    # LAST and NONE need only the most recent dates
    found: list[datetime] = []
    for date in schedule._walk(now + _TICK, forward=False):
        if _utc(date) <= start or len(found) >= _CONDITION_SEARCH:
            break
        found.append(date)
    found.reverse()
    return found


def _recovered(
    schedule: Schedule,
    missed: list[datetime],
    now: datetime,
    variables: Mapping[str, Any] | None,
    services: Services | None,
) -> list[datetime]:
    delay = schedule.late_maximum_delay
    if delay is not None:
        missed = [d for d in missed if _utc(d) >= now - delay]
    if schedule.recover == "ALL":
        return [d for d in missed if _passes(schedule, d, variables, services)]
    for date in reversed(missed):
        if not _passes(schedule, date, variables, services):
            continue
        if schedule.recover == "NONE" and now - _utc(date) > ON_TIME:
            return []
        return [date]
    return []


def _passes(
    schedule: Schedule,
    date: datetime,
    variables: Mapping[str, Any] | None,
    services: Services | None,
) -> bool:
    if not schedule.conditions:
        return True
    # as in Kestra, conditions see the plain cron dates (not next/previous refined by them)
    trigger = schedule._plain_variables(date)
    scope = {**dict(variables or {}), "trigger": trigger, "schedule": trigger}
    return conditions_pass(schedule.conditions, date, scope, services=services)
