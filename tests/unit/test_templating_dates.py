"""Dates: Java DateTimeFormatter patterns, Kestra's shortcuts, parsing, zones and arithmetic.

Most expected values are those of Kestra's own tests of its date filters (the moment
2013-09-08T16:19:12.123456+01:00) and of Kestra's docs page "expressions" (Temporal Filters).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest

from kflow.runtime_shims.templating import TemplateError, evaluate, render

NOW = "2013-09-08T16:19:12.123456+01:00"
VARIABLES: dict[str, Any] = {"zoned": NOW, "local": "2013-09-08T16:19:12.123456"}


def r(template: str, variables: dict[str, Any] | None = None) -> str:
    return render(template, VARIABLES if variables is None else variables)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (
            '{{ zoned | date(format="iso_sec", timeZone="Europe/Paris") }}',
            "2013-09-08T17:19:12+02:00",
        ),
        (
            '{{ zoned | date(format="iso_milli", timeZone="Europe/Paris") }}',
            "2013-09-08T17:19:12.123+02:00",
        ),
        (
            '{{ zoned | date(format="iso", timeZone="Europe/Paris") }}',
            "2013-09-08T17:19:12.123456+02:00",
        ),
        (
            '{{ local | date(format="yyyy-MM-dd HH:mm:ss.SSSSSSXXX", timeZone="Europe/Paris") }}',
            "2013-09-08 16:19:12.123456+02:00",
        ),
        (
            '{{ local | date(format="yyyy-MM-dd HH:mm:ss.SSS", timeZone="UTC") }}',
            "2013-09-08 16:19:12.123",
        ),
        ('{{ local | date(format="sql", timeZone="UTC") }}', "2013-09-08 16:19:12.123456"),
        ('{{ local | date(format="sql_sec", timeZone="UTC") }}', "2013-09-08 16:19:12"),
        ('{{ local | date(format="sql_milli", timeZone="UTC") }}', "2013-09-08 16:19:12.123"),
        (
            '{{ local | date(format="yyyy-MM-dd HH:mm:ss.SSSSSSXXX", timeZone="UTC") }}',
            "2013-09-08 16:19:12.123456Z",
        ),
        (
            '{{ "July 24, 2001" | date("yyyy-MM-dd", existingFormat="MMMM dd, yyyy") }}',
            "2001-07-24",
        ),
        (
            '{{ "2013-09-08T17:19:12+02:00" | date(timeZone="Europe/Paris") }}',
            "2013-09-08T17:19:12.000000+02:00",
        ),
        (
            '{{ "2013-09-08T17:19:12" | date(timeZone="Europe/Paris") }}',
            "2013-09-08T17:19:12.000000+02:00",
        ),
        ('{{ "2013-09-08" | date(timeZone="Europe/Paris") }}', "2013-09-08T00:00:00.000000+02:00"),
        ('{{ "08.09.2023" | date("yyyy-MM-dd", existingFormat="dd.MM.yyyy") }}', "2023-09-08"),
        ('{{ "08092023" | date("yyyy-MM-dd", existingFormat="ddMMyyyy") }}', "2023-09-08"),
        (
            "{{ 'Tue, 08 Feb 2022 19:38:26 GMT' | date(existingFormat='rfc_1123_date_time', "
            'timeZone="Europe/Paris") }}',
            "2022-02-08T20:38:26.000000+01:00",
        ),
        (
            '{{ zoned | dateAdd(-1,"DAYS",timeZone="Europe/Paris")}}',
            "2013-09-07T17:19:12.123456+02:00",
        ),
        (
            '{{ 1378653552 | date(format="iso_sec", timeZone="Europe/Paris") }}',
            "2013-09-08T17:19:12+02:00",
        ),
        (
            '{{ 1378653552123 | date(format="iso_milli", timeZone="Europe/Paris") }}',
            "2013-09-08T17:19:12.123+02:00",
        ),
        ('{{ 1378653552123 | date(timeZone="Europe/Paris") }}', "2013-09-08T17:19:12.123000+02:00"),
        (
            '{{ 1378653552123 | date(format="iso_zoned_date_time", timeZone="Europe/Paris") }}',
            "2013-09-08T17:19:12.123+02:00[Europe/Paris]",
        ),
        (
            '{{ 1378653552123456000 | date(format="iso", timeZone="Europe/Paris") }}',
            "2013-09-08T17:19:12.123456+02:00",
        ),
        (
            '{{ 1378653552000123456 | date(format="iso", timeZone="Europe/Paris") }}',
            "2013-09-08T17:19:12.123456+02:00",
        ),
        (
            '{{ 1378653552 | date(format="sql_sec", timeZone="Europe/Paris") }}',
            "2013-09-08 17:19:12",
        ),
        (
            '{{ 1378653552123 | date(format="sql_milli", timeZone="UTC") }}',
            "2013-09-08 15:19:12.123",
        ),
        (
            '{{ "1378653552123" | number | date(format="sql_milli", timeZone="UTC") }}',
            "2013-09-08 15:19:12.123",
        ),
        ('{{ zoned | timestamp(timeZone="Europe/Paris") }}', "1378653552"),
        ('{{ zoned | timestampNano(timeZone="Europe/Paris") }}', "1378653552123456000"),
        ('{{ zoned | timestampMicro(timeZone="Europe/Paris") }}', "1378653552123456"),
        ('{{ zoned | timestampMilli(timeZone="Europe/Paris") }}', "1378653552123"),
        ("{{ (zoned | timestamp) > (zoned | dateAdd(-1, 'DAYS') | timestamp) }}", "true"),
    ],
)
def test_kestra_date_filter_cases(template: str, expected: str) -> None:
    assert r(template) == expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy yy y yyyyy uuuu", "2013 13 2013 02013 2013"),
        ("M MM MMM MMMM MMMMM L LLL", "9 09 Sep September S 9 Sep"),
        ("d dd D DDD", "8 08 251 251"),
        ("E EEE EEEE EEEEE", "Sun Sun Sunday S"),
        ("e ee eee eeee c ccc", "1 01 Sun Sunday 1 Sun"),
        ("Q QQ QQQ QQQQ q", "3 03 Q3 3rd quarter 3"),
        ("w ww W Y YY F", "37 37 2 2013 13 2"),
        ("G GGGG GGGGG", "AD Anno Domini A"),
        ("H HH h hh K k a", "17 17 5 05 5 17 PM"),
        ("m mm s ss", "19 19 12 12"),
        ("S SS SSS SSSSSS SSSSSSSSS", "1 12 123 123456 123456000"),
        ("n A N", "123456000 62352123 62352123456000"),
        ("VV z zzzz O OOOO", "Europe/Paris CEST Central European Summer Time GMT+2 GMT+02:00"),
        ("X XX XXX XXXX XXXXX", "+02 +0200 +02:00 +0200 +02:00"),
        ("x xx xxx Z ZZZZ ZZZZZ", "+02 +0200 +02:00 +0200 GMT+02:00 +02:00"),
        ("'at' HH 'o''clock' ''", "at 17 o'clock '"),
        ("yyyy[-MM[-dd]]", "2013-09-08"),
        ("yyyy/MM/dd, HH:mm", "2013/09/08, 17:19"),
    ],
)
def test_pattern_letters(pattern: str, expected: str) -> None:
    template = "{{ zoned | date(format=fmt, timeZone='Europe/Paris') }}"
    assert r(template, {**VARIABLES, "fmt": pattern}) == expected


@pytest.mark.parametrize(
    ("fmt", "zone", "expected"),
    [
        ("X", "UTC", "Z"),
        ("x", "UTC", "+00"),
        ("Z", "UTC", "+0000"),
        ("ZZZZ", "UTC", "GMT"),
        ("ZZZZZ", "UTC", "Z"),
        ("O", "UTC", "GMT"),
        ("VV", "UTC", "UTC"),
        ("z", "UTC", "UTC"),
        ("VV", "+05:30", "+05:30"),
        ("X", "+05:30", "+0530"),
        ("O", "+05:30", "GMT+5:30"),
        ("z", "Z", "Z"),
        ("HH:mm XXX", "America/New_York", "11:19 -04:00"),
        ("HH:mm XXX", "Asia/Kolkata", "20:49 +05:30"),
        ("HH:mm VV", "UTC+2", "17:19 UTC+02:00"),
        ("h a", "UTC", "3 PM"),
        ("k", "UTC", "15"),
    ],
)
def test_zones(fmt: str, zone: str, expected: str) -> None:
    template = "{{ zoned | date(format=fmt, timeZone=zone) }}"
    assert r(template, {**VARIABLES, "fmt": fmt, "zone": zone}) == expected


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("iso_date_time", "2013-09-08T15:19:12.123456Z[UTC]"),
        ("iso_zoned_date_time", "2013-09-08T15:19:12.123456Z[UTC]"),
        ("iso_date", "2013-09-08Z"),
        ("iso_time", "15:19:12.123456Z"),
        ("iso_offset_time", "15:19:12.123456Z"),
        ("iso_local_date", "2013-09-08"),
        ("iso_local_time", "15:19:12.123456"),
        ("iso_local_date_time", "2013-09-08T15:19:12.123456"),
        ("iso_instant", "2013-09-08T15:19:12.123456Z"),
        ("iso_ordinal_date", "2013-251Z"),
        ("iso_week_date", "2013-W36-7Z"),
        ("rfc_1123_date_time", "Sun, 8 Sep 2013 15:19:12 GMT"),
        ("iso", "2013-09-08T15:19:12.123456Z"),
        ("iso_milli", "2013-09-08T15:19:12.123Z"),
        ("iso_sec", "2013-09-08T15:19:12Z"),
        ("sql", "2013-09-08 15:19:12.123456"),
        ("sql_milli", "2013-09-08 15:19:12.123"),
        ("sql_sec", "2013-09-08 15:19:12"),
        ("short", "9/8/13, 3:19\u202fPM"),
        ("medium", "Sep 8, 2013, 3:19:12\u202fPM"),
    ],
)
def test_named_formats_in_default_zone(fmt: str, expected: str) -> None:
    # Without timeZone, kflow formats in UTC (Kestra uses the JVM's zone, UTC in its images).
    assert r("{{ zoned | date(fmt) }}", {**VARIABLES, "fmt": fmt}) == expected


def test_fraction_printing_of_iso_formatters() -> None:
    assert r("{{ '2020-01-01T00:00:00Z' | date('iso_local_time') }}") == "00:00:00"
    assert r("{{ '2020-01-01T00:00:00.1Z' | date('iso_instant') }}") == "2020-01-01T00:00:00.100Z"
    assert r("{{ '2020-01-01T00:00:00.1Z' | date('iso_local_time') }}") == "00:00:00.1"
    assert r("{{ '2020-01-01T00:00:00.123456789Z' | date('iso_instant') }}") == (
        "2020-01-01T00:00:00.123456789Z"
    )
    assert r("{{ '2020-01-01T00:00:00.123456789Z' | timestampNano }}") == "1577836800123456789"


def test_rfc_1123_with_offset() -> None:
    value = "{{ zoned | date('rfc_1123_date_time', timeZone='Europe/Paris') }}"
    assert r(value) == "Sun, 8 Sep 2013 17:19:12 +0200"


def test_locales() -> None:
    template = "{{ zoned | date('EEEE d MMMM yyyy', timeZone='UTC', locale=loc) }}"
    assert r(template, {**VARIABLES, "loc": "fr_FR"}) == "dimanche 8 septembre 2013"
    assert r(template, {**VARIABLES, "loc": "de"}) == "Sonntag 8 September 2013"
    assert r(template, {**VARIABLES, "loc": "en_US"}) == "Sunday 8 September 2013"
    # ISO week rules (Monday, 4 days) in France; Sunday and 1 day in the US.
    assert r("{{ '2021-01-03' | date('w e', locale='fr_FR') }}") == "53 7"
    assert r("{{ '2021-01-03' | date('w e') }}") == "2 1"
    with pytest.raises(TemplateError, match="unknown locale"):
        r("{{ zoned | date('d', locale='xx_NOPE') }}")


@pytest.mark.parametrize(
    ("value", "existing", "expected"),
    [
        ("2023-12-31 23:59", "yyyy-MM-dd HH:mm", "2023-12-31T23:59:00.000000Z"),
        ("31/12/23", "dd/MM/yy", "2023-12-31T00:00:00.000000Z"),
        ("2023-02-01 11 PM", "yyyy-MM-dd h a", "2023-02-01T23:00:00.000000Z"),
        (
            "Sun, 8 Sep 2013 17:19:12 +0200",
            "EEE, d MMM yyyy HH:mm:ss Z",
            "2013-09-08T15:19:12.000000Z",
        ),
        (
            "2013-09-08T17:19:12.5+02:00",
            "yyyy-MM-dd'T'HH:mm:ss.SXXX",
            "2013-09-08T15:19:12.500000Z",
        ),
        ("2013-09-08 17:19 Europe/Paris", "yyyy-MM-dd HH:mm VV", "2013-09-08T15:19:00.000000Z"),
        ("2013-251", "yyyy-DDD", "2013-09-08T00:00:00.000000Z"),
        ("2013-09-08T17:19:12+02:00", "iso_date_time", "2013-09-08T15:19:12.000000Z"),
        ("2013-09-08T17:19:12.123456+02:00", "iso", "2013-09-08T15:19:12.123456Z"),
        ("2013-09-08 17:19:12", "sql_sec", "2013-09-08T17:19:12.000000Z"),
        ("2013", "yyyy", None),
    ],
)
def test_existing_format(value: str, existing: str, expected: str | None) -> None:
    template = "{{ value | date(existingFormat=existing) }}"
    variables = {"value": value, "existing": existing}
    if expected is None:
        with pytest.raises(TemplateError, match="complete date"):
            r(template, variables)
    else:
        assert r(template, variables) == expected


@pytest.mark.parametrize(
    ("amount", "unit", "expected"),
    [
        (1, "NANOS", "2024-01-31T10:00:00.000000001Z"),
        (1, "MICROS", "2024-01-31T10:00:00.000001Z"),
        (1500, "MILLIS", "2024-01-31T10:00:01.500Z"),
        (-30, "SECONDS", "2024-01-31T09:59:30Z"),
        (90, "MINUTES", "2024-01-31T11:30:00Z"),
        (-11, "HOURS", "2024-01-30T23:00:00Z"),
        (1, "HALF_DAYS", "2024-01-31T22:00:00Z"),
        (1, "DAYS", "2024-02-01T10:00:00Z"),
        (2, "WEEKS", "2024-02-14T10:00:00Z"),
        (1, "MONTHS", "2024-02-29T10:00:00Z"),
        (-1, "YEARS", "2023-01-31T10:00:00Z"),
        (1, "DECADES", "2034-01-31T10:00:00Z"),
        (1, "CENTURIES", "2124-01-31T10:00:00Z"),
        (1, "MILLENNIA", "3024-01-31T10:00:00Z"),
        (1, "days", "2024-02-01T10:00:00Z"),
    ],
)
def test_date_add_units(amount: int, unit: str, expected: str) -> None:
    template = "{{ '2024-01-31T10:00:00Z' | dateAdd(amount, unit, format='iso_instant') }}"
    assert r(template, {"amount": amount, "unit": unit}) == expected


def test_date_add_across_daylight_saving() -> None:
    paris = "{{ value | dateAdd(n, unit, timeZone='Europe/Paris', format='iso_date_time') }}"
    # Days keep the local time (a 23-hour day); hours move the instant.
    before = "2024-03-30T12:00:00+01:00[Europe/Paris]"
    assert r(paris, {"value": before, "n": 1, "unit": "DAYS"}) == (
        "2024-03-31T12:00:00+02:00[Europe/Paris]"
    )
    assert r(paris, {"value": before, "n": 24, "unit": "HOURS"}) == (
        "2024-03-31T13:00:00+02:00[Europe/Paris]"
    )
    # A local time in the gap moves forward by the gap, as in Java.
    gap = "2024-03-30T02:30:00+01:00[Europe/Paris]"
    assert r(paris, {"value": gap, "n": 1, "unit": "DAYS"}) == (
        "2024-03-31T03:30:00+02:00[Europe/Paris]"
    )
    # In an overlap the earlier offset is kept.
    overlap = "2024-10-26T02:30:00+02:00[Europe/Paris]"
    assert r(paris, {"value": overlap, "n": 1, "unit": "DAYS"}) == (
        "2024-10-27T02:30:00+02:00[Europe/Paris]"
    )


def test_python_date_values_are_accepted() -> None:
    moment = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=timezone.utc)
    assert r("{{ d | date('iso_milli') }}", {"d": moment}) == "2024-05-06T07:08:09.123Z"
    assert r("{{ d | date('HH:mm') }}", {"d": datetime(2024, 5, 6, 7, 8)}) == "07:08"
    # A Java LocalDate is placed at noon.
    assert r("{{ d | date('HH:mm') }}", {"d": date(2024, 5, 6)}) == "12:00"
    assert r("{{ 1.5 | date('iso_milli') }}") == "1970-01-01T00:00:01.500Z"


def test_date_is_typed_as_text_and_timestamps_as_numbers() -> None:
    assert evaluate("{{ zoned | timestamp }}", VARIABLES) == 1378653552
    assert evaluate("{{ zoned | date('yyyy') }}", VARIABLES) == "2013"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{{ 'yesterday' | date }}", "ISO-8601"),
        ("{{ '2024-13-01' | date }}", "invalid date"),
        ("{{ '2024-01-01T25:00:00' | date }}", "invalid time"),
        (
            "{{ zoned | date('yyyy-MM-dd', timeZone='Mars/Olympus') }}",
            "unknown time zone 'Mars/Olympus'",
        ),
        ("{{ zoned | date('yyyy', timeZone='+25:00') }}", "invalid time zone offset"),
        ("{{ zoned | date('iii') }}", "unknown pattern letter: i"),
        ("{{ zoned | date('ddd') }}", "too many pattern letters: d"),
        ("{{ zoned | date('V') }}", "count must be 2"),
        ("{{ zoned | date('yyyy{') }}", "reserved character"),
        ("{{ zoned | date('yyyy]') }}", "without '\\['"),
        ('{{ zoned | date("\'open") }}', "quoted literal"),
        ("{{ zoned | dateAdd(1, 'ERAS') }}", "unsupported unit 'ERAS'"),
        ("{{ zoned | dateAdd(1) }}", "needs an amount and a unit"),
        ("{{ '01/02' | date(existingFormat='dd/MM') }}", "complete date"),
        ("{{ 'x' | date(existingFormat='dd/MM/yyyy') }}", "does not match"),
        ("{{ true | date }}", "boolean"),
        ("{{ [1] | date }}", "cannot read a date from a list"),
        (
            "{{ 'Sat, 99 Foo 2022 19:38:26 GMT' | date(existingFormat='rfc_1123_date_time') }}",
            "month",
        ),
    ],
)
def test_date_errors(template: str, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        r(template)
