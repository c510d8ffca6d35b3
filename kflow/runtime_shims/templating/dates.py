"""Dates as Kestra's ``date``, ``dateAdd``, ``timestamp*`` filters and ``now()`` handle them.

Kestra formats with Java's ``DateTimeFormatter``: a pattern such as ``yyyy-MM-dd'T'HH:mm:ssXXX``,
one of Kestra's shortcuts (``iso``, ``iso_milli``, ``iso_sec``, ``sql``, ``sql_milli``,
``sql_sec``, the ``iso_*`` formatters of ``java.time``, ``rfc_1123_date_time``) or a localized
style (``full``, ``long``, ``medium``, ``short``). This module implements those patterns letter by
letter (formatting and parsing), so the output is Java's, not ``strftime``'s approximation.

A date in a template is an ISO-8601 string (``2024-01-01T10:00:00.123456Z``), a date string in an
``existingFormat``, or a number since the epoch (seconds, milliseconds, microseconds or
nanoseconds, told apart by magnitude). Times carry nanoseconds, as Java's do.

Kestra uses the JVM's default zone when no ``timeZone`` is given; kflow uses UTC (Kestra's
containers run in UTC), so a flow renders the same on every machine. The default locale is en_US.
"""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kflow.runtime_shims.templating.errors import FilterError

__all__ = [
    "DEFAULT_ZONE",
    "Moment",
    "Zone",
    "add",
    "format_moment",
    "now",
    "parse_moment",
    "zone_of",
]

_NANOS = 1_000_000_000


# ---- zones ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Zone:
    """A Java ``ZoneId``: a region (``Europe/Paris``, ``UTC``) or a fixed offset (``+02:00``)."""

    id: str
    tz: tzinfo
    is_offset: bool


_OFFSET_ID = re.compile(r"([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?\Z")


def _offset_id(seconds: int) -> str:
    """Java's ``ZoneOffset.getId``: ``Z``, ``+02:00``, ``-05:30:15``."""
    if seconds == 0:
        return "Z"
    sign = "+" if seconds > 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{sign}{hours:02d}:{minutes:02d}"
    return text + f":{secs:02d}" if secs else text


def _fixed(seconds: int) -> Zone:
    return Zone(_offset_id(seconds), timezone(timedelta(seconds=seconds)), True)


@lru_cache(maxsize=256)
def zone_of(name: str | None) -> Zone:
    """Java's ``ZoneId.of``: ``Z``, ``+02``, ``+02:00``, ``UTC``, ``GMT+1``, ``Europe/Paris``.

    None gives the default zone (UTC).
    """
    if name is None:
        return DEFAULT_ZONE
    if name == "Z":
        return _fixed(0)
    match = _OFFSET_ID.match(name)
    if match and name[:1] in "+-":
        sign, hours, minutes, secs = match.groups()
        total = int(hours) * 3600 + int(minutes or 0) * 60 + int(secs or 0)
        if int(hours) > 18 or int(minutes or 0) > 59 or total > 18 * 3600:
            raise FilterError(f"invalid time zone offset '{name}'")
        return _fixed(-total if sign == "-" else total)
    for prefix in ("UTC", "GMT", "UT"):
        rest = name[len(prefix) :]
        if name.startswith(prefix) and rest[:1] in ("+", "-"):
            offset = zone_of(rest)
            return Zone(prefix + offset.id, offset.tz, False)
    try:
        return Zone(name, ZoneInfo(name), False)
    except (ZoneInfoNotFoundError, ValueError):
        raise FilterError(f"unknown time zone '{name}'") from None


DEFAULT_ZONE = Zone("UTC", ZoneInfo("UTC"), False)


# ---- moments -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Moment:
    """A Java ``ZonedDateTime``: an aware datetime (to the microsecond), its nanosecond of second,
    and the zone it is expressed in."""

    dt: datetime
    nano: int
    zone: Zone

    def at_zone(self, zone: Zone) -> Moment:
        """The same instant in another zone."""
        if zone == self.zone:
            return self
        return Moment(self.dt.astimezone(zone.tz), self.nano, zone)

    def epoch_second(self) -> int:
        """Whole seconds since 1970-01-01T00:00:00Z."""
        return calendar.timegm(self.dt.utctimetuple())

    def offset_seconds(self) -> int:
        """The zone offset at this moment, in seconds east of UTC."""
        offset = self.dt.utcoffset()
        return int(offset.total_seconds()) if offset is not None else 0


def _local(
    year: int, month: int, day: int, hour: int, minute: int, second: int, nano: int, zone: Zone
) -> Moment:
    """A local date-time in ``zone`` (a time in a DST gap moves forward by the gap, as in Java)."""
    naive = datetime(year, month, day, hour, minute, second, nano // 1000)
    return _resolve_local(naive, nano, zone)


def _resolve_local(naive: datetime, nano: int, zone: Zone) -> Moment:
    aware = naive.replace(tzinfo=zone.tz)
    if not zone.is_offset:
        # Normalise through UTC: a non-existent local time comes back shifted past the gap.
        aware = datetime.fromtimestamp(aware.timestamp(), zone.tz).replace(
            microsecond=naive.microsecond
        )
    return Moment(aware, nano, zone)


def now(zone: Zone) -> Moment:
    """The current time in ``zone``."""
    stamp = time.time_ns()
    seconds, nano = divmod(stamp, _NANOS)
    nano -= nano % 1000  # Java's clock on Linux gives microseconds
    dt = datetime.fromtimestamp(seconds, zone.tz).replace(microsecond=nano // 1000)
    return Moment(dt, nano, zone)


def _from_epoch(seconds: int, nano: int, zone: Zone) -> Moment:
    dt = datetime.fromtimestamp(seconds, zone.tz).replace(microsecond=nano // 1000)
    return Moment(dt, nano, zone)


def _from_number(value: int | float, zone: Zone) -> Moment:
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise FilterError("cannot read a date from a non-finite number")
        seconds = int(value // 1)
        nano = round((value - seconds) * _NANOS)
        return _from_epoch(seconds, min(nano, _NANOS - 1000), zone)
    magnitude = abs(value)
    if magnitude < 10**11:
        return _from_epoch(value, 0, zone)
    if magnitude < 10**14:
        seconds, millis = divmod(value, 1000)
        return _from_epoch(seconds, millis * 1_000_000, zone)
    if magnitude < 10**17:
        seconds, micros = divmod(value, 1_000_000)
        return _from_epoch(seconds, micros * 1000, zone)
    seconds, nano = divmod(value, _NANOS)
    if nano < 1_000_000:
        # Kestra's timestampMicro once returned seconds * 10^9 + microseconds; Kestra reads such
        # numbers back as microseconds, and so does kflow.
        nano *= 1000
    return _from_epoch(seconds, nano, zone)


def parse_moment(value: Any, zone: Zone, existing_format: str | None = None) -> Moment:
    """Read ``value`` as Kestra's ``AbstractDate.convert`` does.

    A string with an offset keeps its offset; a string without one is read in ``zone``; a date
    alone is the start of that day. Numbers are epoch seconds, milliseconds, microseconds or
    nanoseconds by magnitude. Python ``datetime``/``date`` values are accepted too.
    """
    if isinstance(value, Moment):
        return value
    if isinstance(value, bool):
        raise FilterError("cannot read a date from a boolean")
    if isinstance(value, (int, float)):
        return _from_number(value, zone)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return _resolve_local(value, value.microsecond * 1000, zone)
        own = Zone(str(value.tzinfo), value.tzinfo, not isinstance(value.tzinfo, ZoneInfo))
        return Moment(value, value.microsecond * 1000, own)
    if isinstance(value, date):
        # Java's ZonedDateTime.of(LocalDate, LocalTime.NOON, zone).
        return _local(value.year, value.month, value.day, 12, 0, 0, 0, zone)
    if not isinstance(value, str):
        raise FilterError(f"cannot read a date from a {type(value).__name__}")
    if existing_format is None:
        return _parse_iso(value, zone)
    return _parse_with(value, existing_format, zone)


_ISO = re.compile(
    r"(?P<y>[+-]?\d{4,9})-(?P<M>\d{2})-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<S>\d{1,9}))?)?"
    r"(?P<off>Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?(?:\[(?P<zone>[^\]]+)\])?)?\Z"
)


def _parse_iso(text: str, zone: Zone) -> Moment:
    match = _ISO.match(text)
    if match is None:
        raise FilterError("cannot read the text as an ISO-8601 date or date-time")
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    return _resolve_fields(fields, zone)


def _offset_seconds(text: str) -> int:
    if text in ("Z", "z", "GMT", "UTC", "UT"):
        return 0
    for prefix in ("GMT", "UTC", "UT"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    match = _OFFSET_ID.match(text)
    if match is None:
        raise FilterError("invalid zone offset in the date")
    sign, hours, minutes, secs = match.groups()
    total = int(hours) * 3600 + int(minutes or 0) * 60 + int(secs or 0)
    return -total if sign == "-" else total


def _resolve_fields(fields: dict[str, str], zone: Zone) -> Moment:
    """Build a moment from parsed fields, as ZonedDateTime → LocalDateTime → LocalDate would."""
    try:
        year = int(fields["y"])
        if fields.get("G", "").upper().startswith("B"):
            year = 1 - year
        if "D" in fields and "M" not in fields:
            start = date(year, 1, 1) + timedelta(days=int(fields["D"]) - 1)
            month, day = start.month, start.day
        else:
            month, day = int(fields["M"]), int(fields["d"])
        date(year, month, day)
    except KeyError:
        raise FilterError("the text does not hold a complete date (year, month and day)") from None
    except ValueError:
        raise FilterError("the text holds an invalid date") from None
    hour = _hour(fields)
    if hour is None:
        return _local(year, month, day, 0, 0, 0, 0, zone)
    minute = int(fields.get("m", 0))
    second = int(fields.get("s", 0))
    nano = int(fields["S"].ljust(9, "0")) if "S" in fields else int(fields.get("n", 0))
    if not (0 <= hour < 24 and 0 <= minute < 60 and 0 <= second < 60):
        raise FilterError("the text holds an invalid time")
    if "zone" in fields:
        own = zone_of(fields["zone"])
    elif "off" in fields:
        own = _fixed(_offset_seconds(fields["off"]))
    else:
        return _local(year, month, day, hour, minute, second, nano, zone)
    if "off" in fields and not own.is_offset:
        offset = timezone(timedelta(seconds=_offset_seconds(fields["off"])))
        naive = datetime(year, month, day, hour, minute, second, nano // 1000)
        return Moment(naive.replace(tzinfo=offset).astimezone(own.tz), nano, own)
    return _local(year, month, day, hour, minute, second, nano, own)


def _hour(fields: dict[str, str]) -> int | None:
    if "H" in fields:
        return int(fields["H"])
    if "k" in fields:
        return int(fields["k"]) % 24
    for letter in ("h", "K"):
        if letter in fields:
            value = int(fields[letter]) % 12
            return value + 12 if fields.get("a", "AM").upper() == "PM" else value
    return None


# ---- arithmetic ----------------------------------------------------------------------------------

_TIME_UNITS = {
    "NANOS": 1,
    "MICROS": 1000,
    "MILLIS": 1_000_000,
    "SECONDS": _NANOS,
    "MINUTES": 60 * _NANOS,
    "HOURS": 3600 * _NANOS,
    "HALF_DAYS": 43200 * _NANOS,
}
_DATE_UNITS_IN_MONTHS = {
    "MONTHS": 1,
    "YEARS": 12,
    "DECADES": 120,
    "CENTURIES": 1200,
    "MILLENNIA": 12000,
}


def add(moment: Moment, amount: int, unit: str) -> Moment:
    """``ZonedDateTime.plus(amount, ChronoUnit.valueOf(unit))``.

    Time units move the instant; days and longer move the local date-time (so a day is 23 or 25
    hours across a DST change), and months clamp the day (January 31 + 1 month = February 28).
    """
    if unit in _TIME_UNITS:
        total = moment.nano + amount * _TIME_UNITS[unit]
        seconds, nano = divmod(total, _NANOS)
        return _from_epoch(moment.epoch_second() + seconds, nano, moment.zone)
    local = moment.dt.replace(tzinfo=None)
    if unit in ("DAYS", "WEEKS"):
        shifted = local + timedelta(days=amount * (7 if unit == "WEEKS" else 1))
    elif unit in _DATE_UNITS_IN_MONTHS:
        months = local.year * 12 + local.month - 1 + amount * _DATE_UNITS_IN_MONTHS[unit]
        year, month = divmod(months, 12)
        month += 1
        if not 1 <= year <= 9999:
            raise FilterError("the date is out of range")
        day = min(local.day, calendar.monthrange(year, month)[1])
        shifted = local.replace(year=year, month=month, day=day)
    else:
        raise FilterError(
            f"unsupported unit '{unit}'; use NANOS, MICROS, MILLIS, SECONDS, MINUTES, HOURS, "
            "HALF_DAYS, DAYS, WEEKS, MONTHS, YEARS, DECADES, CENTURIES or MILLENNIA"
        )
    if moment.zone.is_offset:
        return Moment(shifted.replace(tzinfo=moment.zone.tz), moment.nano, moment.zone)
    valid = [
        candidate
        for candidate in (shifted.replace(tzinfo=moment.zone.tz, fold=f) for f in (0, 1))
        if candidate.astimezone(timezone.utc).astimezone(moment.zone.tz).replace(tzinfo=None)
        == shifted
    ]
    if not valid:  # in a DST gap
        return _resolve_local(shifted, moment.nano, moment.zone)
    # In an overlap, keep the offset the moment had, as Java does.
    for candidate in valid:
        if candidate.utcoffset() == moment.dt.utcoffset():
            return Moment(candidate, moment.nano, moment.zone)
    return Moment(valid[0], moment.nano, moment.zone)


# ---- locales -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LocaleData:
    tag: str
    months: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # short, full, narrow
    standalone_months: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    days: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # Monday first
    standalone_days: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    ampm: tuple[str, str]
    eras: tuple[tuple[str, str], tuple[str, str], tuple[str, str]]  # (BC, AD) short, full, narrow
    quarters: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    first_day: int  # ISO number of the first day of the week (7 = Sunday)
    min_days: int


_EN_MONTHS = (
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    ("J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D"),
)
_EN_DAYS = (
    ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    ("M", "T", "W", "T", "F", "S", "S"),
)
_EN_US = _LocaleData(
    tag="en_US",
    months=_EN_MONTHS,
    standalone_months=_EN_MONTHS,
    days=_EN_DAYS,
    standalone_days=_EN_DAYS,
    ampm=("AM", "PM"),
    eras=(("BC", "AD"), ("Before Christ", "Anno Domini"), ("B", "A")),
    quarters=(
        ("Q1", "Q2", "Q3", "Q4"),
        ("1st quarter", "2nd quarter", "3rd quarter", "4th quarter"),
        ("1", "2", "3", "4"),
    ),
    first_day=7,
    min_days=1,
)


@lru_cache(maxsize=32)
def _locale(tag: str | None) -> _LocaleData:
    """Names and week rules of a Java locale tag (``fr``, ``fr_FR``, ``de-CH``); needs Babel
    for anything but en_US."""
    if tag is None or tag.replace("-", "_") in ("en_US", "en"):
        return _EN_US
    try:
        from babel import Locale, UnknownLocaleError
        from babel import dates as babel_dates
    except ImportError:  # pragma: no cover - babel is a dependency
        raise FilterError(f"locale '{tag}' needs the babel package") from None
    try:
        locale = Locale.parse(tag.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        raise FilterError(f"unknown locale '{tag}'") from None

    def months(context: Literal["format", "stand-alone"]) -> tuple[tuple[str, ...], ...]:
        return tuple(
            tuple(babel_dates.get_month_names(width, context, locale)[m] for m in range(1, 13))
            for width in ("abbreviated", "wide", "narrow")
        )

    def days(context: Literal["format", "stand-alone"]) -> tuple[tuple[str, ...], ...]:
        return tuple(
            tuple(babel_dates.get_day_names(width, context, locale)[d] for d in range(7))
            for width in ("abbreviated", "wide", "narrow")
        )

    periods = babel_dates.get_period_names("abbreviated", locale=locale)
    eras = tuple(
        (babel_dates.get_era_names(width, locale)[0], babel_dates.get_era_names(width, locale)[1])
        for width in ("abbreviated", "wide", "narrow")
    )
    quarters = tuple(
        tuple(babel_dates.get_quarter_names(width, "format", locale)[q] for q in range(1, 5))
        for width in ("abbreviated", "wide", "narrow")
    )
    return _LocaleData(
        tag=str(locale),
        months=months("format"),  # type: ignore[arg-type]
        standalone_months=months("stand-alone"),  # type: ignore[arg-type]
        days=days("format"),  # type: ignore[arg-type]
        standalone_days=days("stand-alone"),  # type: ignore[arg-type]
        ampm=(periods.get("am", "AM"), periods.get("pm", "PM")),
        eras=eras,  # type: ignore[arg-type]
        quarters=quarters,  # type: ignore[arg-type]
        first_day=locale.first_week_day + 1,
        min_days=locale.min_week_days,
    )


def _week_start(year: int, first_day: int, min_days: int) -> date:
    jan1 = date(year, 1, 1)
    back = (jan1.isoweekday() - first_day) % 7
    start = jan1 - timedelta(days=back)
    if 7 - back < min_days:
        start += timedelta(days=7)
    return start


def _week_based(day: date, first_day: int, min_days: int) -> tuple[int, int]:
    """(week-based year, week of that year) under a locale's week rules."""
    year = day.year
    if day >= _week_start(year + 1, first_day, min_days):
        return year + 1, 1
    start = _week_start(year, first_day, min_days)
    if day < start:
        year -= 1
        start = _week_start(year, first_day, min_days)
    return year, (day - start).days // 7 + 1


def _week_of_month(day: date, first_day: int, min_days: int) -> int:
    first = day.replace(day=1)
    back = (first.isoweekday() - first_day) % 7
    start = first - timedelta(days=back)
    if 7 - back < min_days:
        start += timedelta(days=7)
    return (day - start).days // 7 + 1


# ---- formatting ----------------------------------------------------------------------------------

_Printer = Callable[[Moment, _LocaleData], str]

_MAX_LETTERS = {
    "G": 5,
    "u": 19,
    "y": 19,
    "Y": 19,
    "D": 3,
    "M": 5,
    "L": 5,
    "d": 2,
    "Q": 5,
    "q": 5,
    "w": 2,
    "W": 1,
    "E": 5,
    "e": 5,
    "c": 5,
    "F": 1,
    "a": 1,
    "h": 2,
    "K": 2,
    "k": 2,
    "H": 2,
    "m": 2,
    "s": 2,
    "S": 9,
    "A": 19,
    "n": 19,
    "N": 19,
    "V": 2,
    "z": 4,
    "O": 4,
    "X": 5,
    "x": 5,
    "Z": 5,
}


def _number(value: int, count: int) -> str:
    return str(value) if count == 1 else str(value).zfill(count)


def _year_text(year: int, count: int) -> str:
    if count == 2:
        return f"{year % 100:02d}"
    return str(year).zfill(count) if year >= 0 else "-" + str(-year).zfill(count)


def _text(names: tuple[tuple[str, ...], ...], index: int, count: int) -> str:
    if count <= 3:
        return names[0][index]
    return names[1][index] if count == 4 else names[2][index]


def _offset_text(seconds: int, letter: str, count: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if letter in "XZ" and seconds == 0 and (letter == "X" or count == 5):
        return "Z"
    if letter == "O" or (letter == "Z" and count == 4):
        if seconds == 0:
            return "GMT"
        if letter == "O" and count == 1:
            return (
                f"GMT{sign}{hours}"
                + (f":{minutes:02d}" if minutes or secs else "")
                + (f":{secs:02d}" if secs else "")
            )
        return f"GMT{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")
    if letter == "Z" and count <= 3:
        return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")
    if count == 1:
        return f"{sign}{hours:02d}" + (f"{minutes:02d}" if minutes else "")
    if count == 2:
        return f"{sign}{hours:02d}{minutes:02d}"
    if count == 3:
        return f"{sign}{hours:02d}:{minutes:02d}"
    if count == 4:
        return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{secs:02d}" if secs else "")


def _zone_name(moment: Moment, count: int, locale: _LocaleData) -> str:
    if moment.zone.is_offset:
        return moment.zone.id
    if count == 4:
        try:
            from babel import dates as babel_dates
        except ImportError:  # pragma: no cover - babel is a dependency
            raise FilterError("full zone names need the babel package") from None
        return str(babel_dates.get_timezone_name(moment.dt, "long", locale=locale.tag))
    return moment.dt.tzname() or moment.zone.id


def _field_printer(letter: str, count: int) -> _Printer:
    if count > _MAX_LETTERS[letter]:
        raise FilterError(f"too many pattern letters: {letter}")
    if letter in "uy":
        return lambda m, loc: _year_text(m.dt.year, count)
    if letter == "Y":
        return lambda m, loc: _year_text(
            _week_based(m.dt.date(), loc.first_day, loc.min_days)[0], count
        )
    if letter == "G":
        return lambda m, loc: _text(loc.eras, 1 if m.dt.year > 0 else 0, count)
    if letter in "ML":
        if count <= 2:
            return lambda m, loc: _number(m.dt.month, count)
        return lambda m, loc: _text(
            loc.months if letter == "M" else loc.standalone_months, m.dt.month - 1, count
        )
    if letter == "d":
        return lambda m, loc: _number(m.dt.day, count)
    if letter == "D":
        return lambda m, loc: _number(m.dt.timetuple().tm_yday, count)
    if letter in "Qq":
        if count <= 2:
            return lambda m, loc: _number((m.dt.month - 1) // 3 + 1, count)
        return lambda m, loc: _text(loc.quarters, (m.dt.month - 1) // 3, count)
    if letter == "w":
        return lambda m, loc: _number(
            _week_based(m.dt.date(), loc.first_day, loc.min_days)[1], count
        )
    if letter == "W":
        return lambda m, loc: str(_week_of_month(m.dt.date(), loc.first_day, loc.min_days))
    if letter == "E":
        return lambda m, loc: _text(loc.days, m.dt.weekday(), count)
    if letter in "ec":
        if letter == "c" and count == 2:
            raise FilterError("invalid pattern 'cc'")
        if count <= 2:
            return lambda m, loc: _number((m.dt.isoweekday() - loc.first_day) % 7 + 1, count)
        return lambda m, loc: _text(
            loc.days if letter == "e" else loc.standalone_days, m.dt.weekday(), count
        )
    if letter == "F":
        return lambda m, loc: str((m.dt.day - 1) // 7 + 1)
    if letter == "a":
        return lambda m, loc: loc.ampm[m.dt.hour >= 12]
    if letter == "h":
        return lambda m, loc: _number((m.dt.hour % 12) or 12, count)
    if letter == "K":
        return lambda m, loc: _number(m.dt.hour % 12, count)
    if letter == "k":
        return lambda m, loc: _number(m.dt.hour or 24, count)
    if letter == "H":
        return lambda m, loc: _number(m.dt.hour, count)
    if letter == "m":
        return lambda m, loc: _number(m.dt.minute, count)
    if letter == "s":
        return lambda m, loc: _number(m.dt.second, count)
    if letter == "S":
        return lambda m, loc: f"{m.nano:09d}"[:count]
    if letter == "A":
        return lambda m, loc: _number(
            (m.dt.hour * 3600 + m.dt.minute * 60 + m.dt.second) * 1000 + m.nano // 1_000_000,
            count,
        )
    if letter == "n":
        return lambda m, loc: _number(m.nano, count)
    if letter == "N":
        return lambda m, loc: _number(
            (m.dt.hour * 3600 + m.dt.minute * 60 + m.dt.second) * _NANOS + m.nano, count
        )
    if letter == "V":
        if count != 2:
            raise FilterError("pattern letter count must be 2: V")
        return lambda m, loc: m.zone.id
    if letter == "z":
        return lambda m, loc: _zone_name(m, count, loc)
    if letter == "O":
        if count not in (1, 4):
            raise FilterError("pattern letter count must be 1 or 4: O")
        return lambda m, loc: _offset_text(m.offset_seconds(), "O", count)
    # X, x, Z
    return lambda m, loc: _offset_text(m.offset_seconds(), letter, count)


_Token = tuple[str, int] | str  # (letter, count) or literal text


def _tokens(pattern: str) -> list[_Token | tuple[str, list[Any]]]:
    """Split a Java pattern into letters, literal text and optional ``[…]`` sections."""
    stack: list[list[Any]] = [[]]
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "'":
            end = i + 1
            text = []
            while True:
                if end >= len(pattern):
                    raise FilterError("pattern ends inside a quoted literal")
                if pattern[end] == "'":
                    if end + 1 < len(pattern) and pattern[end + 1] == "'":
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            stack[-1].append("'" if end == i + 1 else "".join(text))
            i = end + 1
        elif char == "[":
            stack.append([])
            i += 1
        elif char == "]":
            if len(stack) == 1:
                raise FilterError("pattern has ']' without '['")
            section = stack.pop()
            stack[-1].append(("[]", section))
            i += 1
        elif char.isascii() and char.isalpha():
            count = 1
            while i + count < len(pattern) and pattern[i + count] == char:
                count += 1
            if char not in _MAX_LETTERS:
                raise FilterError(f"unknown pattern letter: {char}")
            stack[-1].append((char, count))
            i += count
        elif char in "#{}":
            raise FilterError(f"pattern uses the reserved character '{char}'")
        else:
            stack[-1].append(char)
            i += 1
    if len(stack) != 1:
        raise FilterError("pattern has '[' without ']'")
    return stack[0]


def _literal_printer(text: str) -> _Printer:
    return lambda m, loc: text


def _section_printer(parts: list[_Printer]) -> _Printer:
    return lambda m, loc: "".join(p(m, loc) for p in parts)


def _printers(tokens: list[Any]) -> list[_Printer]:
    out: list[_Printer] = []
    for token in tokens:
        if isinstance(token, str):
            out.append(_literal_printer(token))
        elif token[0] == "[]":
            inner = _printers(token[1])
            out.append(_section_printer(inner))
        else:
            out.append(_field_printer(*token))
    return out


@lru_cache(maxsize=256)
def _pattern_printer(pattern: str) -> Callable[[Moment, _LocaleData], str]:
    printers = _printers(_tokens(pattern))
    return lambda m, loc: "".join(p(m, loc) for p in printers)


def _fraction(nano: int) -> str:
    return "." + f"{nano:09d}".rstrip("0") if nano else ""


def _iso_local_time(m: Moment) -> str:
    return f"{m.dt.hour:02d}:{m.dt.minute:02d}:{m.dt.second:02d}{_fraction(m.nano)}"


def _iso_local_date(m: Moment) -> str:
    year = m.dt.year
    text = f"{year:04d}" if year <= 9999 else f"+{year}"
    return f"{text}-{m.dt.month:02d}-{m.dt.day:02d}"


def _iso_offset(m: Moment) -> str:
    return _offset_id(m.offset_seconds())


def _iso_zoned(m: Moment) -> str:
    base = f"{_iso_local_date(m)}T{_iso_local_time(m)}{_iso_offset(m)}"
    return base if m.zone.is_offset else f"{base}[{m.zone.id}]"


def _iso_instant(m: Moment) -> str:
    utc = m.at_zone(_fixed(0))
    nano = m.nano
    if nano == 0:
        fraction = ""
    elif nano % 1_000_000 == 0:
        fraction = f".{nano // 1_000_000:03d}"
    elif nano % 1000 == 0:
        fraction = f".{nano // 1000:06d}"
    else:
        fraction = f".{nano:09d}"
    t = utc.dt
    return f"{_iso_local_date(utc)}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}{fraction}Z"


def _rfc_1123(m: Moment) -> str:
    t = m.dt
    offset = m.offset_seconds()
    zone = "GMT" if offset == 0 else _offset_text(offset, "Z", 1)
    return (
        f"{_EN_DAYS[0][t.weekday()]}, {t.day} {_EN_MONTHS[0][t.month - 1]} {t.year} "
        f"{t.hour:02d}:{t.minute:02d}:{t.second:02d} {zone}"
    )


def _iso_week_date(m: Moment) -> str:
    year, week, weekday = m.dt.isocalendar()
    return f"{year:04d}-W{week:02d}-{weekday}{_iso_offset(m)}"


_NAMED: dict[str, Callable[[Moment], str]] = {
    "iso_date_time": _iso_zoned,
    "iso_zoned_date_time": _iso_zoned,
    "iso_date": lambda m: _iso_local_date(m) + _iso_offset(m),
    "iso_time": lambda m: _iso_local_time(m) + _iso_offset(m),
    "iso_offset_time": lambda m: _iso_local_time(m) + _iso_offset(m),
    "iso_local_date": _iso_local_date,
    "iso_local_time": _iso_local_time,
    "iso_local_date_time": lambda m: f"{_iso_local_date(m)}T{_iso_local_time(m)}",
    "iso_instant": _iso_instant,
    "iso_ordinal_date": lambda m: (
        f"{m.dt.year:04d}-{m.dt.timetuple().tm_yday:03d}" + _iso_offset(m)
    ),
    "iso_week_date": _iso_week_date,
    "rfc_1123_date_time": _rfc_1123,
}

#: Kestra's shortcuts for Java patterns (``sql_seq`` is an old spelling of ``sql_sec``).
SHORTCUTS: dict[str, str] = {
    "iso": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX",
    "iso_milli": "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "iso_sec": "yyyy-MM-dd'T'HH:mm:ssXXX",
    "sql": "yyyy-MM-dd HH:mm:ss.SSSSSS",
    "sql_milli": "yyyy-MM-dd HH:mm:ss.SSS",
    "sql_sec": "yyyy-MM-dd HH:mm:ss",
    "sql_seq": "yyyy-MM-dd HH:mm:ss",
}
_STYLES = ("full", "long", "medium", "short")


def format_moment(moment: Moment, fmt: str, zone: Zone, locale: str | None = None) -> str:
    """Format ``moment`` converted to ``zone`` with a Kestra format name or a Java pattern."""
    shown = moment.at_zone(zone)
    if fmt in _NAMED:
        return _NAMED[fmt](shown)
    if fmt in _STYLES:
        try:
            from babel import dates as babel_dates
        except ImportError:  # pragma: no cover - babel is a dependency
            raise FilterError(f"the '{fmt}' style needs the babel package") from None
        return str(
            babel_dates.format_datetime(
                shown.dt, fmt, tzinfo=shown.dt.tzinfo, locale=_locale(locale).tag
            )
        )
    return _pattern_printer(SHORTCUTS.get(fmt, fmt))(shown, _locale(locale))


# ---- parsing with a pattern ----------------------------------------------------------------------

_OFFSET_RE = r"(?:Z|GMT(?:[+-]\d{1,2}(?::?\d{2}(?::?\d{2})?)?)?|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)"


def _alternatives(names: tuple[str, ...]) -> str:
    ordered = sorted(set(names), key=len, reverse=True)
    return "(?i:" + "|".join(re.escape(n) for n in ordered) + ")"


def _parse_regex(tokens: list[Any], locale: _LocaleData, seen: set[str]) -> str:
    """A regex with one named group per field; a field seen twice must repeat its text."""
    parts: list[str] = []
    for token in tokens:
        if isinstance(token, str):
            parts.append(re.escape(token))
            continue
        if token[0] == "[]":
            parts.append("(?:" + _parse_regex(token[1], locale, seen) + ")?")
            continue
        key, regex = _field_regex(token[0], token[1], locale)
        if key is None:
            parts.append(f"(?:{regex})")
        elif key in seen:
            parts.append(f"(?P={key})")
        else:
            seen.add(key)
            parts.append(f"(?P<{key}>{regex})")
    return "".join(parts)


def _field_regex(letter: str, count: int, locale: _LocaleData) -> tuple[str | None, str]:
    """The group name and regex that read one pattern field (None: matched but not used)."""
    if letter in "uyY":
        if count == 2:
            return "yy", r"\d{2}"
        return "y", rf"[+-]?\d{{{count},9}}" if count > 1 else r"[+-]?\d{1,9}"
    if letter in "ML":
        if count <= 2:
            return "M", r"\d{1,2}" if count == 1 else r"\d{2}"
        table = locale.months if letter == "M" else locale.standalone_months
        return "M", _alternatives(table[0 if count == 3 else 1 if count == 4 else 2])
    if letter in "dHhKkms":
        return letter, r"\d{1,2}" if count == 1 else r"\d{2}"
    if letter == "D":
        return "D", r"\d{1,3}" if count == 1 else rf"\d{{{count},3}}"
    if letter == "S":
        return "S", rf"\d{{{count}}}"
    if letter == "n":
        return "n", r"\d{1,9}"
    if letter == "a":
        return "a", _alternatives(locale.ampm)
    if letter == "E" or (letter in "ec" and count >= 3):
        return None, _alternatives(locale.days[0] + locale.days[1])
    if letter == "G":
        return "G", _alternatives(tuple(name for pair in locale.eras for name in pair))
    if letter in "XxZO":
        return "off", _OFFSET_RE
    if letter in "Vz":
        return "zone", r"[A-Za-z][A-Za-z0-9_/+\-]*|[+-]\d{2}(?::?\d{2})?"
    raise FilterError(f"pattern letter '{letter}' cannot be used to read a date")


@lru_cache(maxsize=128)
def _pattern_parser(pattern: str) -> re.Pattern[str]:
    return re.compile(_parse_regex(_tokens(pattern), _EN_US, set()) + r"\Z")


_RFC_1123 = re.compile(
    r"(?:(?i:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(?P<d>\d{1,2}) (?P<Mname>(?i:[a-z]{3})) "
    r"(?P<y>\d{4}) (?P<H>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2}))? (?P<off>GMT|[+-]\d{4})\Z"
)


def _parse_with(text: str, fmt: str, zone: Zone) -> Moment:
    if fmt == "rfc_1123_date_time":
        match = _RFC_1123.match(text)
        if match is None:
            raise FilterError("cannot read the text as an RFC 1123 date")
        fields = {k: v for k, v in match.groupdict().items() if v is not None}
        try:
            fields["M"] = str(_EN_MONTHS[0].index(fields.pop("Mname").title()) + 1)
        except ValueError:
            raise FilterError("cannot read the month of the RFC 1123 date") from None
        return _resolve_fields(fields, zone)
    if fmt in _NAMED:
        return _parse_iso(text, zone)
    match = _pattern_parser(SHORTCUTS.get(fmt, fmt)).match(text)
    if match is None:
        raise FilterError("the text does not match the existingFormat pattern")
    fields = {k: v for k, v in match.groupdict().items() if v is not None}
    if "yy" in fields:
        # Java's two-digit years are 2000-2099.
        fields["y"] = str(2000 + int(fields.pop("yy")))
    if "M" in fields and not fields["M"].isdigit():
        fields["M"] = str(_month_number(fields["M"]))
    return _resolve_fields(fields, zone)


def _month_number(name: str) -> int:
    lowered = name.lower()
    for table in _EN_MONTHS[:2]:
        for index, candidate in enumerate(table):
            if candidate.lower() == lowered:
                return index + 1
    raise FilterError("unknown month name in the date")
