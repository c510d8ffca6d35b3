"""Database values as JSON-friendly outputs, the way Kestra's JDBC outputs read once rendered.

- Exact numbers (`numeric`, `decimal`): a whole number when the value has no fractional digits
  (`SUM(bigint)` → `5`), else a float (`12.50` → `12.5`), as Kestra's JSON outputs read back;
  NaN and infinities become the text `NaN`, `Infinity`, `-Infinity`.
- Timestamps with a time zone: ISO-8601 in `timeZoneId` (default UTC), `Z` for UTC
  (`2024-01-01T10:00:00Z`); without one: ISO-8601 local (`2024-01-01T10:00:00`); fractions of a
  second only when there are some, without trailing zeros. Dates `2024-01-01`, times `10:00:00`.
- Intervals: a Java `Duration` (`PT26H3M4S`); MySQL `TIME` values (a time of day) as `10:00:00`.
- Binary values: base64 text (as Jackson writes `byte[]`); UUIDs, network addresses and other
  objects: their text. Arrays → lists, JSON and structs → mappings, converted deeply.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import Any, TextIO

from kflow.runtime_shims.durations import format_duration

__all__ = ["json_value", "row_mapping", "write_json_line"]


def json_value(value: Any, zone: tzinfo, clock_timedelta: bool = False) -> Any:
    """`value` as JSON data; `clock_timedelta` reads a timedelta as a time of day (MySQL TIME)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _non_finite(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return "NaN" if value.is_nan() else ("Infinity" if value > 0 else "-Infinity")
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(zone)
        return _iso(value)
    if isinstance(value, (date, time)):
        return _iso(value)
    if isinstance(value, timedelta):
        if clock_timedelta and timedelta(0) <= value < timedelta(days=1):
            return _iso((datetime.min + value).time())
        return format_duration(value.total_seconds())
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): json_value(v, zone, clock_timedelta) for k, v in value.items()}
    if isinstance(value, (Sequence, set, frozenset)):
        return [json_value(v, zone, clock_timedelta) for v in value]
    return str(value)


def row_mapping(
    names: Sequence[str], row: Sequence[Any], zone: tzinfo, clock_timedelta: bool = False
) -> dict[str, Any]:
    """One result row as a mapping of column label to JSON value (a repeated label: the last)."""
    return {
        name: json_value(cell, zone, clock_timedelta) for name, cell in zip(names, row, strict=True)
    }


def write_json_line(out: TextIO, row: Mapping[str, Any]) -> None:
    """One row as a line of JSON, which is also a line of Ion text."""
    out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
    out.write("\n")


def _non_finite(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _iso(value: datetime | date | time) -> str:
    text = value.isoformat()
    if isinstance(value, (datetime, time)):
        if value.microsecond:
            head, _, rest = text.partition(".")
            digits = rest[:6].rstrip("0")
            text = f"{head}.{digits}{rest[6:]}"
        if text.endswith("+00:00"):
            text = text[: -len("+00:00")] + "Z"
    return text
