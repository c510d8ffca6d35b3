"""Schedule triggers at run time: cron arithmetic, zones and DST, missed dates, conditions.

Every test uses explicit datetimes (a frozen clock): nothing depends on when it runs.
"""

from __future__ import annotations

import itertools
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from kflow.compiler.api import check_file, validate_paths
from kflow.compiler.lower import lower
from kflow.runtime_shims.schedule import (
    ON_TIME,
    Schedule,
    ScheduleError,
    conditions_pass,
    due_dates,
)

UTC = timezone.utc
PARIS = ZoneInfo("Europe/Paris")
CORE = "io.kestra.plugin.core.condition."


def at(*parts: int, tz: timezone | ZoneInfo = UTC) -> datetime:
    return datetime(*parts, tzinfo=tz)  # type: ignore[misc]


def iso(dates: object) -> list[str]:
    return [d.isoformat() for d in dates]  # type: ignore[attr-defined]


# -- cron arithmetic ------------------------------------------------------------------------------


def test_five_fields_next_and_previous_are_strict() -> None:
    schedule = Schedule("t", "0 9 * * *")
    nine = at(2024, 1, 10, 9)
    assert schedule.next_after(nine) == at(2024, 1, 11, 9)
    assert schedule.previous_before(nine) == at(2024, 1, 9, 9)
    assert schedule.next_after(nine - timedelta(microseconds=1)) == nine
    assert schedule.previous_before(nine + timedelta(microseconds=1)) == nine


def test_six_fields_with_seconds_put_seconds_first() -> None:
    schedule = Schedule("t", "30 */5 * * * *", with_seconds=True)
    assert schedule.next_after(at(2024, 1, 1, 0, 0, 31)) == at(2024, 1, 1, 0, 5, 30)
    with pytest.raises(ScheduleError, match="6 fields"):
        Schedule("t", "*/5 * * * *", with_seconds=True)
    with pytest.raises(ScheduleError, match="withSeconds"):
        Schedule("t", "0 */5 * * * *")


@pytest.mark.parametrize(
    ("nickname", "expected"),
    [
        ("@yearly", at(2025, 1, 1)),
        ("@annually", at(2025, 1, 1)),
        ("@monthly", at(2024, 6, 1)),
        ("@weekly", at(2024, 5, 19)),  # the next Sunday, midnight
        ("@daily", at(2024, 5, 16)),
        ("@midnight", at(2024, 5, 16)),
        ("@hourly", at(2024, 5, 15, 11)),
        ("@DAILY", at(2024, 5, 16)),
    ],
)
def test_every_nickname_kestra_accepts(nickname: str, expected: datetime) -> None:
    assert Schedule("t", nickname).next_after(at(2024, 5, 15, 10, 20)) == expected


def test_unknown_nickname_and_bad_cron_are_schedule_errors() -> None:
    with pytest.raises(ScheduleError, match="unknown nickname"):
        Schedule("t", "@reboot")
    with pytest.raises(ScheduleError, match="out of range"):
        Schedule.from_properties("t", {"cron": "61 * * * *"})
    with pytest.raises(ScheduleError, match="L, W, #"):
        Schedule("t", "0 0 L * *")
    with pytest.raises(ScheduleError, match="time zone"):
        Schedule("t", "0 0 * * *", timezone="Mars/Olympus")


def test_day_of_week_0_and_7_are_sunday() -> None:
    saturday = at(2024, 6, 1, 12)
    sunday_9 = at(2024, 6, 2, 9)
    assert Schedule("t", "0 9 * * 0").next_after(saturday) == sunday_9
    assert Schedule("t", "0 9 * * 7").next_after(saturday) == sunday_9
    assert Schedule("t", "0 9 * * 1").next_after(saturday) == at(2024, 6, 3, 9)
    assert Schedule("t", "0 9 * * 1-5").previous_before(sunday_9) == at(2024, 5, 31, 9)


def test_day_of_month_and_week_both_set_match_either() -> None:
    # POSIX cron: the 1st of the month OR a Monday
    schedule = Schedule("t", "0 0 1 * 1")
    assert schedule.next_after(at(2024, 1, 1)) == at(2024, 1, 8)
    assert schedule.next_after(at(2024, 1, 29)) == at(2024, 2, 1)


def test_timezone_is_utc_by_default_and_offsets_work() -> None:
    assert Schedule("t", "0 9 * * *").next_after(at(2024, 1, 1)).utcoffset() == timedelta(0)
    paris = Schedule("t", "0 9 * * *", timezone="Europe/Paris")
    assert paris.next_after(at(2024, 1, 1)) == at(2024, 1, 1, 8)
    assert paris.next_after(at(2024, 7, 1)) == at(2024, 7, 1, 7)
    offset = Schedule("t", "0 9 * * *", timezone="+05:30")
    assert offset.next_after(at(2024, 1, 1)) == at(2024, 1, 1, 3, 30)


def test_naive_datetimes_are_read_as_utc() -> None:
    schedule = Schedule("t", "0 9 * * *", timezone="Europe/Paris")
    assert schedule.next_after(datetime(2024, 1, 1, 8, 30)) == at(2024, 1, 2, 8)


def test_dst_spring_forward_fixed_time_runs_once_when_the_clocks_jump() -> None:
    schedule = Schedule("t", "30 2 * * *", timezone="Europe/Paris")
    dates = iso(schedule.dates_between(at(2024, 3, 29), at(2024, 4, 2)))
    assert dates == [
        "2024-03-29T02:30:00+01:00",
        "2024-03-30T02:30:00+01:00",
        "2024-03-31T03:00:00+02:00",  # 02:30 does not exist: the first instant after the gap
        "2024-04-01T02:30:00+02:00",
    ]


def test_dst_fall_back_fixed_time_runs_once() -> None:
    schedule = Schedule("t", "30 2 * * *", timezone="Europe/Paris")
    dates = iso(schedule.dates_between(at(2024, 10, 26), at(2024, 10, 29)))
    assert dates == [
        "2024-10-26T02:30:00+02:00",
        "2024-10-27T02:30:00+02:00",  # the first pass only
        "2024-10-28T02:30:00+01:00",
    ]
    # (an ambiguous wall-clock time never compares equal across zones: compare in UTC)
    assert schedule.previous_before(at(2024, 10, 28)).astimezone(UTC) == at(2024, 10, 27, 0, 30)


def test_dst_wildcard_cron_keeps_its_rhythm_in_real_time() -> None:
    schedule = Schedule("t", "*/30 * * * *", timezone="Europe/Paris")
    fall = list(schedule.dates_between(at(2024, 10, 26, 23), at(2024, 10, 27, 2)))
    assert [d.astimezone(UTC).strftime("%H:%M") for d in fall] == [
        "23:30",
        "00:00",
        "00:30",
        "01:00",
        "01:30",
        "02:00",
    ]
    assert iso(fall)[3] == "2024-10-27T02:00:00+01:00"  # the repeated hour, second pass
    spring = list(schedule.dates_between(at(2024, 3, 31), at(2024, 3, 31, 2)))
    assert iso(spring) == [
        "2024-03-31T01:30:00+01:00",
        "2024-03-31T03:00:00+02:00",
        "2024-03-31T03:30:00+02:00",
        "2024-03-31T04:00:00+02:00",
    ]


def _oracle(cron: str, zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """Brute force, minute by minute in real time, of the documented DST rule."""
    fields = cron.split()
    fixed = not (fields[0].startswith("*") or fields[1].startswith("*"))
    found = []
    moment = start + timedelta(minutes=1)
    while moment <= end:
        local = moment.astimezone(zone)
        wall = local.replace(tzinfo=None)
        previous_wall = (moment - timedelta(minutes=1)).astimezone(zone).replace(tzinfo=None)
        repeated = local.fold == 1 and local.utcoffset() != local.replace(fold=0).utcoffset()
        if croniter.match(cron, wall) and not (fixed and repeated):
            found.append(moment)
        elif fixed and wall - previous_wall > timedelta(minutes=1):
            # the clocks jumped: skipped times that match fire now, once
            skipped = previous_wall + timedelta(minutes=1)
            while skipped < wall:
                if croniter.match(cron, skipped):
                    found.append(moment)
                    break
                skipped += timedelta(minutes=1)
        moment += timedelta(minutes=1)
    return found


@pytest.mark.parametrize(
    ("cron", "zone", "day"),
    [
        ("30 2 * * *", "Europe/Paris", (2024, 3, 31)),
        ("30 2 * * *", "Europe/Paris", (2024, 10, 27)),
        ("15,45 1-3 * * *", "Europe/Paris", (2024, 3, 31)),
        ("15,45 1-3 * * *", "Europe/Paris", (2024, 10, 27)),
        ("*/20 * * * *", "America/New_York", (2024, 3, 10)),
        ("*/20 * * * *", "America/New_York", (2024, 11, 3)),
        ("0 * * * *", "America/New_York", (2024, 11, 3)),
        ("10 2 * * *", "Australia/Lord_Howe", (2024, 4, 7)),  # a 30-minute shift
        ("10 2 * * *", "Australia/Lord_Howe", (2024, 10, 6)),
        ("*/15 2 * * *", "Australia/Lord_Howe", (2024, 10, 6)),
    ],
)
def test_dates_around_dst_match_a_brute_force_oracle(
    cron: str, zone: str, day: tuple[int, int, int]
) -> None:
    tz = ZoneInfo(zone)
    start = at(*day) - timedelta(hours=14)
    end = at(*day) + timedelta(hours=30)
    schedule = Schedule("t", cron, timezone=zone)
    got = [d.astimezone(UTC) for d in schedule.dates_between(start, end)]
    assert got == _oracle(cron, tz, start, end)
    # next/previous agree with the walk, on every date
    for earlier, later in itertools.pairwise(got):
        assert schedule.next_after(earlier).astimezone(UTC) == later
        assert schedule.previous_before(later).astimezone(UTC) == earlier
        assert schedule.next_after(later - timedelta(seconds=1)).astimezone(UTC) == later


# -- the trigger variable -------------------------------------------------------------------------


def test_variables_are_iso_text_in_the_schedule_zone() -> None:
    utc = Schedule("t", "0 9 * * 1-5")
    assert utc.variables(at(2024, 1, 5, 9)) == {
        "date": "2024-01-05T09:00:00Z",
        "next": "2024-01-08T09:00:00Z",
        "previous": "2024-01-04T09:00:00Z",
    }
    paris = Schedule("t", "30 2 * * *", timezone="Europe/Paris")
    assert paris.variables(at(2024, 3, 31, 1)) == {
        "date": "2024-03-31T03:00:00+02:00",
        "next": "2024-04-01T02:30:00+02:00",
        "previous": "2024-03-30T02:30:00+01:00",
    }


def test_variables_next_and_previous_skip_dates_failing_conditions() -> None:
    mondays = ({"type": CORE + "DayWeek", "dayOfWeek": "MONDAY"},)
    schedule = Schedule("t", "0 6 * * *", conditions=mondays)
    assert schedule.variables(at(2024, 6, 10, 6)) == {
        "date": "2024-06-10T06:00:00Z",
        "next": "2024-06-17T06:00:00Z",
        "previous": "2024-06-03T06:00:00Z",
    }


# -- due dates ------------------------------------------------------------------------------------


def test_never_ran_without_backfill_starts_nothing() -> None:
    assert due_dates(Schedule("t", "* * * * *"), None, at(2024, 1, 1, 12, 0, 30)) == []


def test_backfill_starts_every_date_from_its_start_inclusive() -> None:
    schedule = Schedule.from_properties(
        "t", {"cron": "0 * * * *", "backfill": {"start": "2024-01-01T10:00:00Z"}}
    )
    assert iso(due_dates(schedule, None, at(2024, 1, 1, 12, 30))) == [
        "2024-01-01T10:00:00+00:00",
        "2024-01-01T11:00:00+00:00",
        "2024-01-01T12:00:00+00:00",
    ]
    bounded = Schedule.from_properties(
        "t",
        {
            "cron": "0 * * * *",
            "timezone": "Europe/Paris",
            "backfill": {"start": "2024-01-01T10:00:00", "end": "2024-01-01T11:00:00"},
        },
    )
    # no offset: wall-clock time in the schedule's zone
    assert iso(due_dates(bounded, None, at(2024, 1, 2))) == [
        "2024-01-01T10:00:00+01:00",
        "2024-01-01T11:00:00+01:00",
    ]


def test_backfill_is_not_dropped_by_recover_none_after_a_restart() -> None:
    schedule = Schedule.from_properties(
        "t",
        {
            "cron": "0 * * * *",
            "recoverMissedSchedules": "NONE",
            "backfill": {"start": "2024-01-01T00:00:00Z", "end": "2024-01-01T03:00:00Z"},
        },
    )
    # the scheduler stopped after starting 01:00; backfill dates are still owed
    assert iso(due_dates(schedule, at(2024, 1, 1, 1), at(2024, 1, 1, 6, 30))) == [
        "2024-01-01T02:00:00+00:00",
        "2024-01-01T03:00:00+00:00",
    ]


@pytest.mark.parametrize(
    ("recover", "expected"),
    [
        ("ALL", ["10:05", "10:10", "10:15", "10:20"]),
        ("LAST", ["10:20"]),
        ("NONE", []),
    ],
)
def test_missed_dates_follow_recover_missed_schedules(recover: str, expected: list[str]) -> None:
    schedule = Schedule("t", "*/5 * * * *", recover=recover)
    dates = due_dates(schedule, at(2024, 1, 1, 10), at(2024, 1, 1, 10, 22))
    assert [d.strftime("%H:%M") for d in dates] == expected


def test_recover_none_still_starts_the_date_that_is_on_time() -> None:
    schedule = Schedule("t", "*/5 * * * *", recover="NONE")
    now = at(2024, 1, 1, 10, 20, 0, 400000)
    assert due_dates(schedule, at(2024, 1, 1, 10), now) == [at(2024, 1, 1, 10, 20)]
    late = at(2024, 1, 1, 10, 20) + ON_TIME + timedelta(seconds=1)
    assert due_dates(schedule, at(2024, 1, 1, 10), late) == []
    # one normal tick: the previous date was started, the next is due now
    assert due_dates(schedule, at(2024, 1, 1, 10, 15), now) == [at(2024, 1, 1, 10, 20)]


def test_late_maximum_delay_drops_dates_too_old() -> None:
    schedule = Schedule.from_properties("t", {"cron": "*/5 * * * *", "lateMaximumDelay": "PT11M"})
    dates = due_dates(schedule, at(2024, 1, 1, 10), at(2024, 1, 1, 10, 22))
    assert [d.strftime("%H:%M") for d in dates] == ["10:15", "10:20"]


def test_due_dates_skip_dates_whose_conditions_fail() -> None:
    weekdays = ({"type": CORE + "Not", "conditions": [{"type": CORE + "Weekend"}]},)
    schedule = Schedule("t", "0 8 * * *", conditions=weekdays)
    dates = due_dates(schedule, at(2024, 6, 6, 8), at(2024, 6, 11, 9))  # Thu → Tue
    assert [d.strftime("%a") for d in dates] == ["Fri", "Mon", "Tue"]
    last = Schedule("t", "0 8 * * *", recover="LAST", conditions=weekdays)
    assert due_dates(last, at(2024, 6, 7, 8), at(2024, 6, 9, 9)) == []  # only a weekend missed


def test_nothing_is_due_when_last_is_after_now() -> None:
    assert due_dates(Schedule("t", "* * * * *"), at(2024, 1, 2), at(2024, 1, 1)) == []


# -- conditions -----------------------------------------------------------------------------------


def _passes(condition: dict[str, object], date: datetime, **extra: object) -> bool:
    schedule = Schedule("t", "* * * * *")
    variables = {"trigger": schedule.variables(date), **extra}
    return conditions_pass([condition], date, variables)


def test_day_week_and_weekend_read_the_trigger_date_in_its_zone() -> None:
    saturday_paris = datetime(2024, 6, 1, 0, 30, tzinfo=PARIS)  # Friday in UTC
    schedule = Schedule("t", "30 0 * * *", timezone="Europe/Paris")
    variables = {"trigger": schedule.variables(saturday_paris)}
    assert conditions_pass([{"type": CORE + "Weekend"}], saturday_paris, variables)
    saturday = {"type": CORE + "DayWeek", "dayOfWeek": "SATURDAY"}
    assert conditions_pass([saturday], saturday_paris, variables)
    assert not _passes(saturday, at(2024, 5, 31, 22, 30))


@pytest.mark.parametrize(
    ("day", "which", "expected"),
    [
        (3, "FIRST", True),
        (10, "FIRST", False),
        (10, "SECOND", True),
        (24, "FOURTH", True),
        (24, "LAST", True),
        (17, "LAST", False),
    ],
)
def test_day_week_in_month(day: int, which: str, expected: bool) -> None:
    condition = {"type": CORE + "DayWeekInMonth", "dayOfWeek": "MONDAY", "dayInMonth": which}
    assert _passes(condition, at(2024, 6, day, 11)) is expected  # June 2024: Mondays 3..24


def test_time_between_is_strict_and_honours_offsets() -> None:
    condition = {
        "type": CORE + "TimeBetween",
        "after": "16:00:00+02:00",
        "before": "20:00:00+02:00",
    }
    assert _passes(condition, at(2024, 6, 3, 15))  # 17:00+02:00
    assert not _passes(condition, at(2024, 6, 3, 14))  # exactly 16:00+02:00
    assert not _passes(condition, at(2024, 6, 3, 18, 30))
    assert _passes({"type": CORE + "TimeBetween", "before": "09:00:00"}, at(2024, 6, 3, 8, 59))


def test_date_time_between_is_inclusive() -> None:
    condition = {
        "type": CORE + "DateTimeBetween",
        "after": "2025-01-01T00:00:00Z",
        "before": "2025-12-31T23:59:59+01:00",
    }
    assert _passes(condition, at(2025, 1, 1))
    assert not _passes(condition, at(2024, 12, 31, 23, 59))
    assert _passes(condition, at(2025, 12, 31, 22, 59, 59))
    assert not _passes(condition, at(2025, 12, 31, 23))


def test_expression_condition_is_false_only_when_blank_or_false() -> None:
    expression = CORE + "Expression"
    date = at(2024, 6, 3, 12)
    assert _passes(
        {"type": expression, "expression": "{{ trigger.date | date('HH') == '12' }}"}, date
    )
    assert not _passes({"type": expression, "expression": "{{ 1 > 2 }}"}, date)
    assert not _passes({"type": expression, "expression": "  "}, date)
    assert _passes({"type": expression, "expression": "0"}, date)  # Kestra: not TruthUtils
    assert _passes({"type": expression, "expression": "{{ vars.on }}"}, date, vars={"on": True})


def test_or_not_and_old_condition_names() -> None:
    date = at(2024, 6, 3, 12)  # a Monday
    monday = {
        "type": "io.kestra.core.models.conditions.types.DayWeekCondition",
        "dayOfWeek": "MONDAY",
    }
    friday = {"type": CORE + "DayWeekCondition", "dayOfWeek": "FRIDAY"}
    assert _passes({"type": CORE + "Or", "conditions": [friday, monday]}, date)
    assert not _passes({"type": CORE + "Not", "conditions": [friday, monday]}, date)
    assert _passes(
        {"type": "io.kestra.core.models.conditions.types.VariableCondition", "expression": "x"},
        date,
    )


def test_date_property_is_rendered() -> None:
    condition = {"type": CORE + "Weekend", "date": "{{ vars.day }}"}
    assert _passes(condition, at(2024, 6, 3), vars={"day": "2024-06-08"})
    assert not _passes(condition, at(2024, 6, 8), vars={"day": "2024-06-03T10:00:00Z"})


def test_execution_conditions_are_left_out_on_a_schedule() -> None:
    date = at(2024, 6, 3)
    assert _passes({"type": CORE + "ExecutionFlow", "namespace": "a", "flowId": "b"}, date)
    assert not _passes({"type": CORE + "ExecutionOutputs", "expression": "{{ true }}"}, date)


def test_conditions_without_a_trigger_variable_test_the_given_date() -> None:
    assert conditions_pass([{"type": CORE + "Weekend"}], at(2024, 6, 8, 12), {})
    assert not conditions_pass([{"type": CORE + "Weekend"}], at(2024, 6, 7, 12), {})


def test_unsupported_or_broken_conditions_raise_schedule_errors() -> None:
    date = at(2024, 6, 3)
    with pytest.raises(ScheduleError, match="PublicHoliday is not supported"):
        _passes({"type": CORE + "PublicHoliday", "country": "FR"}, date)
    with pytest.raises(ScheduleError, match="Expression"):
        _passes({"type": CORE + "Expression", "expression": "{{ nothing.here }}"}, date)
    with pytest.raises(ScheduleError, match="dayOfWeek 'FUNDAY'"):
        _passes({"type": CORE + "DayWeek", "dayOfWeek": "FUNDAY"}, date)
    with pytest.raises(ScheduleError, match="cannot read the date"):
        _passes({"type": CORE + "Weekend", "date": "yesterday"}, date)
    with pytest.raises(ScheduleError, match="after"):
        _passes({"type": CORE + "TimeBetween"}, date)


# -- from a flow file -----------------------------------------------------------------------------


def _flow(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "flow.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    checked = check_file(str(path))
    assert checked.ok, [str(d) for d in checked.diagnostics]
    return lower(checked)


def test_from_trigger_reads_a_compiled_flow(tmp_path: Path) -> None:
    flow = _flow(
        tmp_path,
        """\
        id: daily
        namespace: company.team
        inputs:
          - id: who
            type: STRING
        tasks:
          - id: hello
            type: io.kestra.plugin.core.log.Log
            message: hi
        triggers:
          - id: every_morning
            type: io.kestra.core.models.triggers.types.Schedule
            cron: "0 7 * * *"
            timezone: Europe/Paris
            recoverMissedSchedules: LAST
            lateMaximumDelay: PT1H
            inputs:
              who: "{{ trigger.date }}"
            conditions:
              - type: io.kestra.plugin.core.condition.WeekendCondition
          - id: hook
            type: io.kestra.plugin.core.trigger.Webhook
            key: abc
        """,
    )
    schedule = Schedule.from_trigger(flow.triggers[0])
    assert (schedule.trigger_id, schedule.cron, schedule.timezone) == (
        "every_morning",
        "0 7 * * *",
        "Europe/Paris",
    )
    assert schedule.recover == "LAST"
    assert schedule.late_maximum_delay == timedelta(hours=1)
    assert schedule.inputs == {"who": "{{ trigger.date }}"}
    assert schedule.conditions == ({"type": CORE + "Weekend"},)
    assert schedule.next_after(at(2024, 6, 3)) == at(2024, 6, 3, 5)
    assert due_dates(schedule, at(2024, 6, 7, 5), at(2024, 6, 10, 5, 30)) == []
    assert due_dates(schedule, at(2024, 6, 7, 5), at(2024, 6, 9, 5, 30)) == [at(2024, 6, 9, 5)]
    with pytest.raises(ScheduleError, match="not a Schedule"):
        Schedule.from_trigger(flow.triggers[1])


def test_validate_reports_bad_cron_and_unknown_condition_type(tmp_path: Path) -> None:
    (tmp_path / "flow.yml").write_text(
        textwrap.dedent(
            """\
            id: broken
            namespace: company.team
            tasks:
              - id: hello
                type: io.kestra.plugin.core.log.Log
                message: hi
            triggers:
              - id: bad_cron
                type: io.kestra.plugin.core.trigger.Schedule
                cron: "0 25 * * *"
              - id: bad_condition
                type: io.kestra.plugin.core.trigger.Schedule
                cron: "@daily"
                conditions:
                  - type: io.kestra.plugin.core.condition.DayOfWeek
            """
        ),
        encoding="utf-8",
    )
    found = [(d.code, d.span.line) for d in validate_paths([str(tmp_path)]).diagnostics]
    assert ("KF208", 10) in found
    assert ("KF206", 15) in found


def test_a_cron_that_never_matches_is_a_schedule_error() -> None:
    with pytest.raises(ScheduleError, match="it never fires"):
        Schedule("t", "0 0 31 2 *")
    leap = Schedule("t", "0 0 29 2 *")  # fires, in leap years only
    assert leap.next_after(at(2024, 3, 1)) == at(2028, 2, 29)
