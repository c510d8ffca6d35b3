"""What every target that writes Python needs: literals and identifiers that no flow can abuse.

Flow content reaches generated code only through these two: `literal` writes plain data as a
Python literal (`repr` of strings, numbers, lists and dicts: never code), and `Identifiers` makes
a unique `[A-Za-z0-9_]` name from a task id that shadows no name the module itself uses.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from typing import Any

from kflow.compiler import ir


def literal(value: Any) -> str:
    """Plain data (from the IR) as Python source: only literals, never code."""
    if isinstance(value, ir.Obj):
        value = ir.thaw(value)
    if isinstance(value, dict):
        items = ", ".join(f"{literal(str(k))}: {literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if value is None or isinstance(value, (bool, int, str)):
        return repr(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return f"float({str(value)!r})"
        return repr(value)
    return repr(str(value))


class Identifiers:
    """Unique Python identifiers for keys (task ids, …), none of them a `reserved` name."""

    def __init__(self, reserved: Iterable[str], *, lower: bool = False, avoid: str = "") -> None:
        self.taken = set(reserved)
        self.lower = lower
        self.avoid = avoid  # a prefix kept for the module's own names (`Kestra…`, `kestra…`)
        self._names: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        return self._names[key]

    def get(self, key: str) -> str | None:
        return self._names.get(key)

    def name(self, key: str, text: str | None = None) -> str:
        """The identifier of `key`, made from `text` (default: the key) the first time."""
        found = self._names.get(key)
        if found is not None:
            return found
        base = re.sub(r"\W", "_", text or key, flags=re.ASCII).strip("_") or "task"
        if self.lower:
            base = base.lower()
        if (
            base[0].isdigit()
            or keyword.iskeyword(base)
            or (self.avoid and base.startswith(self.avoid))
        ):
            base = f"t_{base}"
        found, n = base, 1
        while found in self.taken:
            n += 1
            found = f"{base}_{n}"
        self.taken.add(found)
        self._names[key] = found
        return found


def number(value: float) -> int | float:
    """A whole number of seconds as an int (`30`, not `30.0`), else the float."""
    return int(value) if value == int(value) else value


def fixed_seconds(text: Any) -> int | float | None:
    """The seconds of an ISO-8601 duration written as plain text; None for a template (only
    known at run time) or text that is not a duration (the checker has reported it)."""
    from kflow.runtime_shims.durations import parse_duration

    if "{{" in str(text):
        return None
    try:
        return number(parse_duration(text))
    except ValueError:
        return None
