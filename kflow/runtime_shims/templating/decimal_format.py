"""Java's ``DecimalFormat`` patterns, for the ``numberFormat`` filter (``#.##``, ``#,##0.00``,
``0.0%``, ``'#'0``). Rounding is HALF_EVEN, as Java's default; the en_US symbols are used.
Scientific notation (``0.###E0``) is not supported.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

from kflow.runtime_shims.templating.errors import FilterError

__all__ = ["format_decimal"]

_DIGITS = "#0,."


@dataclass(frozen=True, slots=True)
class _Pattern:
    prefix: str
    suffix: str
    negative_prefix: str | None
    negative_suffix: str | None
    min_integer: int
    grouping: int
    min_fraction: int
    max_fraction: int
    always_point: bool
    multiplier: int


def _split_affixes(sub: str) -> tuple[str, str, str, int]:
    """(prefix, number part, suffix, multiplier) of one sub-pattern; quotes are literal."""
    prefix: list[str] = []
    number: list[str] = []
    suffix: list[str] = []
    multiplier = 1
    target = prefix
    i = 0
    while i < len(sub):
        char = sub[i]
        if char == "'":
            end = sub.find("'", i + 1)
            if end < 0:
                raise FilterError("unclosed quote in the number format")
            target.append("'" if end == i + 1 else sub[i + 1 : end])
            i = end + 1
            continue
        if char in _DIGITS and target is not suffix:
            target = number
            number.append(char)
        elif char == "E":
            raise FilterError("scientific number formats (E) are not supported by kflow yet")
        else:
            if target is number:
                target = suffix
            if char == "%":
                multiplier = 100
            elif char == "\u2030":
                multiplier = 1000
            target.append(char)
        i += 1
    return "".join(prefix), "".join(number), "".join(suffix), multiplier


@lru_cache(maxsize=128)
def _compile(pattern: str) -> _Pattern:
    positive, _, negative = pattern.partition(";")
    prefix, number, suffix, multiplier = _split_affixes(positive)
    if not number:
        raise FilterError("the number format has no digits (# or 0)")
    integer, point, fraction = number.partition(".")
    if "," in fraction or "." in fraction:
        raise FilterError("malformed number format")
    grouping = len(integer) - integer.rindex(",") - 1 if "," in integer else 0
    digits = integer.replace(",", "")
    negative_prefix = negative_suffix = None
    if negative:
        negative_prefix, _, negative_suffix, _ = _split_affixes(negative)
    return _Pattern(
        prefix=prefix,
        suffix=suffix,
        negative_prefix=negative_prefix,
        negative_suffix=negative_suffix,
        min_integer=digits.count("0"),
        grouping=grouping,
        min_fraction=fraction.count("0"),
        max_fraction=len(fraction),
        always_point=bool(point) and not fraction,
        multiplier=multiplier,
    )


def format_decimal(value: int | float | Decimal, pattern: str) -> str:
    """Format ``value`` as Java's ``new DecimalFormat(pattern).format(value)``."""
    spec = _compile(pattern)
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            text = "\u221e"
            return (spec.prefix + text + spec.suffix) if value > 0 else ("-" + spec.prefix + text)
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise FilterError("cannot format this number") from None
    number *= spec.multiplier
    negative = number < 0
    quantum = Decimal(1).scaleb(-spec.max_fraction)
    rounded = abs(number).quantize(quantum, rounding=ROUND_HALF_EVEN)
    integer_part, _, fraction_part = f"{rounded:f}".partition(".")
    fraction_part = fraction_part.rstrip("0")
    if len(fraction_part) < spec.min_fraction:
        fraction_part = fraction_part.ljust(spec.min_fraction, "0")
    integer_part = integer_part.lstrip("0")
    if len(integer_part) < spec.min_integer:
        integer_part = integer_part.rjust(spec.min_integer, "0")
    if spec.grouping and integer_part:
        groups: list[str] = []
        while len(integer_part) > spec.grouping:
            groups.insert(0, integer_part[-spec.grouping :])
            integer_part = integer_part[: -spec.grouping]
        groups.insert(0, integer_part)
        integer_part = ",".join(groups)
    body = integer_part
    if fraction_part or spec.always_point:
        body += "." + fraction_part
    if not body:
        body = "0"
    if negative and (integer_part.strip("0,") or fraction_part.strip("0")):
        if spec.negative_prefix is not None:
            return spec.negative_prefix + body + (spec.negative_suffix or "")
        return "-" + spec.prefix + body + spec.suffix
    return spec.prefix + body + spec.suffix
