"""ISO-8601 durations as Kestra writes them (`PT1M30S`, `P1DT2H`, `PT0.25S`), in seconds."""

from __future__ import annotations

import re

_DURATION = re.compile(
    r"(?P<sign>[-+])?P"
    r"(?:(?P<weeks>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>[-+]?\d+(?:\.\d+)?)H)?"
    r"(?:(?P<minutes>[-+]?\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>[-+]?\d+(?:[.,]\d+)?)S)?)?",
    re.IGNORECASE,
)
_UNITS = {"weeks": 604800.0, "days": 86400.0, "hours": 3600.0, "minutes": 60.0, "seconds": 1.0}


class DurationError(ValueError):
    """Text that is not an ISO-8601 duration."""


def parse_duration(text: str | float | int) -> float:
    """Seconds in an ISO-8601 duration (`PT1.5S` → 1.5); a bare number is taken as seconds."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text)
    value = str(text).strip()
    match = _DURATION.fullmatch(value)
    if match is None or value.upper() in ("P", "PT", "-P", "+P") or value.upper().endswith("T"):
        raise DurationError(f"'{text}' is not an ISO-8601 duration (like PT30S or P1DT2H)")
    total = 0.0
    for unit, factor in _UNITS.items():
        part = match.group(unit)
        if part:
            total += float(part.replace(",", ".")) * factor
    return -total if match.group("sign") == "-" else total


def format_duration(seconds: float) -> str:
    """An ISO-8601 duration for `seconds`, as Java's `Duration.toString()` prints it."""
    if seconds == 0:
        return "PT0S"
    sign = "-" if seconds < 0 else ""
    rest = abs(seconds)
    hours, rest = divmod(rest, 3600)
    minutes, rest = divmod(rest, 60)
    text = "PT"
    if hours:
        text += f"{int(hours)}H"
    if minutes:
        text += f"{int(minutes)}M"
    if rest:
        text += f"{rest:.3f}".rstrip("0").rstrip(".") + "S"
    return sign + text
