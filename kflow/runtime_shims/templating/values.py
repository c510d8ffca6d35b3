"""Pebble's rules for values: how they print, compare, add up and count as true.

Template values are plain Python data: None, bool, int, float, str, list (or tuple), dict, and
:class:`MapEntry` (what iterating over a map yields). Kestra runs Pebble on Java objects, so the
rules here are Java's where they show:

* printing (``{{ x }}``) writes maps and lists as compact JSON (Kestra's ``JsonWriter``), null as
  nothing, floats as Java's ``Double.toString`` (``1.0``, ``1.0E20``);
* ``~`` and string ``+`` use Java's ``toString`` (``{a=1, b=[1, 2]}``), not JSON;
* ``==`` compares numbers by value across int and float, anything else by Java ``equals``;
* ``and``/``or``/``not``/``if`` accept booleans, numbers (non-zero is true) and strings
  (non-empty is true, so the string ``"false"`` is true); null and collections are errors.

Functions here raise :class:`FilterError`; the evaluator adds where it happened.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from kflow.runtime_shims.templating.errors import FilterError

__all__ = [
    "MAX_TEXT",
    "MapEntry",
    "arithmetic",
    "compare",
    "contains",
    "is_number",
    "java_class_name",
    "java_double",
    "java_str",
    "kestra_truthy",
    "pebble_equals",
    "to_bool",
    "to_json",
    "to_output",
    "type_name",
]


#: The longest text a single filter or method may build (``repeat``, ``indent``, ``nanoId``), so
#: that a template cannot exhaust memory.
MAX_TEXT = 10_000_000


class MapEntry:
    """One entry of a map being iterated (Java's ``Map.Entry``): ``entry.key``, ``entry.value``."""

    __slots__ = ("key", "value")

    def __init__(self, key: Any, value: Any) -> None:
        self.key = key
        self.value = value

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, MapEntry)
            and pebble_equals(self.key, other.key)
            and pebble_equals(self.value, other.value)
        )

    def __hash__(self) -> int:
        return hash(java_str(self.key))

    def __repr__(self) -> str:
        return f"MapEntry({self.key!r}, {self.value!r})"


def is_number(value: Any) -> bool:
    """True for int and float values (booleans are not numbers in Pebble)."""
    kind = type(value)
    return kind is int or kind is float or (kind is not bool and isinstance(value, (int, float)))


# ---- text ----------------------------------------------------------------------------------------


def java_double(value: float) -> str:
    """``Double.toString``: plain notation in [1e-3, 1e7), else ``d.dddE±n``; always a fraction."""
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(value)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        return text if "." in text else text + ".0"
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    assert isinstance(exponent, int)
    shown = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) - 1 + exponent
    mantissa = shown[0] + "." + (shown[1:] or "0")
    return ("-" if sign else "") + f"{mantissa}E{point}"


def java_str(value: Any) -> str:
    """Java's ``String.valueOf``: what ``~``, ``+`` with a string and ``join`` produce."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    if kind is float:
        return java_double(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{java_str(k)}={java_str(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(java_str(v) for v in value) + "]"
    if isinstance(value, MapEntry):
        return f"{java_str(value.key)}={java_str(value.value)}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    return str(value)


def to_output(value: Any) -> str:
    """What ``{{ value }}`` prints (Kestra's ``JsonWriter``): collections as JSON, null as ''."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[no-any-return]
    if value is None:
        return ""
    if kind is int:
        return str(value)
    if isinstance(value, (Mapping, list, tuple)):
        return to_json(value)
    return java_str(value)


_JSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
for _code in range(0x20):
    _JSON_ESCAPES.setdefault(chr(_code), f"\\u{_code:04X}")
_JSON_TRANSLATION = str.maketrans(_JSON_ESCAPES)


def _json_string(text: str) -> str:
    return '"' + text.translate(_JSON_TRANSLATION) + '"'


def to_json(value: Any) -> str:
    """Compact JSON as Kestra's Jackson mapper writes it (no spaces, non-ASCII kept as is)."""
    parts: list[str] = []
    _write_json(value, parts.append)
    return "".join(parts)


def _write_json(value: Any, write: Callable[[str], Any]) -> None:
    kind = type(value)
    if kind is str:
        write(_json_string(value))
    elif value is None:
        write("null")
    elif kind is bool:
        write("true" if value else "false")
    elif kind is int:
        write(str(value))
    elif kind is float:
        text = java_double(value)
        write(_json_string(text) if text in ("NaN", "Infinity", "-Infinity") else text)
    elif isinstance(value, Mapping):
        write("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                write(",")
            write(_json_string(java_str(key)))
            write(":")
            _write_json(item, write)
        write("}")
    elif isinstance(value, (list, tuple)):
        write("[")
        for i, item in enumerate(value):
            if i:
                write(",")
            _write_json(item, write)
        write("]")
    elif isinstance(value, MapEntry):
        _write_json({java_str(value.key): value.value}, write)
    elif isinstance(value, bool):
        write("true" if value else "false")
    elif isinstance(value, (int, float)):
        _write_json(float(value) if isinstance(value, float) else int(value), write)
    else:
        write(_json_string(str(value)))


def type_name(value: Any) -> str:
    """A short name for error messages (never the value itself, which may be secret)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "map"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, MapEntry):
        return "map entry"
    return type(value).__name__


_INT32 = 2**31


def java_class_name(value: Any) -> str:
    """The Java class Kestra would hold for ``value`` (the ``className`` filter)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "java.lang.Boolean"
    if isinstance(value, int):
        return "java.lang.Integer" if -_INT32 <= value < _INT32 else "java.lang.Long"
    if isinstance(value, float):
        return "java.lang.Double"
    if isinstance(value, str):
        return "java.lang.String"
    if isinstance(value, Mapping):
        return "java.util.LinkedHashMap"
    if isinstance(value, (list, tuple)):
        return "java.util.ArrayList"
    if isinstance(value, MapEntry):
        return "java.util.AbstractMap$SimpleEntry"
    return "java.lang.Object"


# ---- truth ---------------------------------------------------------------------------------------


def to_bool(value: Any, where: str) -> bool:
    """Pebble's boolean coercion for ``and``, ``or``, ``not``, ``if`` and ``? :``.

    ``where`` names the construct for the error message.
    """
    if value is True or value is False:
        return bool(value)
    kind = type(value)
    if kind is str:
        return bool(value != "")
    if kind is int or kind is float:
        return bool(value != 0)
    if value is None:
        raise FilterError(f"null value used in {where}")
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, (int, float)):
        return value != 0
    raise FilterError(
        f"a {type_name(value)} cannot be used as a condition in {where}; "
        "expected a boolean, a number or a string"
    )


_KESTRA_FALSE = frozenset({"false", "0", "-0", ""})


def kestra_truthy(value: Any) -> bool:
    """Kestra's ``TruthUtils``: how tasks (If, runIf, Fail's condition) read a rendered condition.

    A value is true unless its rendered text is ``false``, ``0``, ``-0`` or empty (null is false).
    """
    if value is None:
        return False
    return to_output(value).strip() not in _KESTRA_FALSE


# ---- equality and comparison ---------------------------------------------------------------------


def pebble_equals(left: Any, right: Any) -> bool:
    """``==``: numbers by value across int/float, else Java's ``equals`` (same type and value)."""
    if is_number(left) and is_number(right):
        return (
            float(left) == float(right)
            if (type(left) is float or type(right) is float)
            else bool(left == right)
        )
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, str) or isinstance(right, str):
        return isinstance(left, str) and isinstance(right, str) and left == right
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, Mapping):
        if not isinstance(right, Mapping) or len(left) != len(right):
            return False
        return all(k in right and pebble_equals(v, right[k]) for k, v in left.items())
    if isinstance(left, (list, tuple)):
        if not isinstance(right, (list, tuple)) or len(left) != len(right):
            return False
        return all(pebble_equals(a, b) for a, b in zip(left, right, strict=True))
    return bool(left == right)


def compare(op: str, left: Any, right: Any) -> bool:
    """``<``, ``>``, ``<=``, ``>=``: numbers by value, two strings lexicographically (Kestra adds
    that), and false when either side is null (Pebble); anything else is an error."""
    if isinstance(left, str) and isinstance(right, str):
        pass
    elif left is None or right is None:
        return False
    elif not (is_number(left) and is_number(right)):
        raise FilterError(
            f"cannot compare a {type_name(left)} with a {type_name(right)} using '{op}'"
        )
    if op == "<":
        return bool(left < right)
    if op == ">":
        return bool(left > right)
    if op == "<=":
        return bool(left <= right)
    return bool(left >= right)


def contains(container: Any, item: Any) -> bool:
    """``a contains b``: a substring, a list element (or all of a list of them), a map key."""
    if container is None:
        return False
    if isinstance(container, str):
        return java_str(item) in container
    if isinstance(container, Mapping):
        if isinstance(item, str) and item in container:
            return True
        return any(pebble_equals(key, item) for key in container)
    if isinstance(container, (list, tuple)):
        wanted = item if isinstance(item, (list, tuple)) else (item,)
        return all(any(pebble_equals(e, w) for e in container) for w in wanted)
    raise FilterError(
        f"'contains' needs a string, a list or a map on its left, not a {type_name(container)}"
    )


# ---- arithmetic ----------------------------------------------------------------------------------


def _java_div(left: int, right: int) -> int:
    if right == 0:
        raise FilterError("division by zero")
    quotient = abs(left) // abs(right)
    return quotient if (left < 0) == (right < 0) else -quotient


def _java_mod(left: int, right: int) -> int:
    if right == 0:
        raise FilterError("division by zero")
    return left - right * _java_div(left, right)


def _float_div(left: float, right: float) -> float:
    if right == 0:
        if left == 0 or left != left:
            return math.nan
        return math.copysign(math.inf, left) * math.copysign(1.0, right)
    return left / right


def arithmetic(op: str, left: Any, right: Any) -> Any:
    """``+ - * / %`` as Pebble's ``OperatorUtils``.

    ``+`` concatenates when either side is a string (null becoming ``"null"``) and appends to a
    list on its left; ``-`` removes from a list on its left. Two integers give an integer
    (division truncates toward zero, as in Java); a float on either side gives a float.
    """
    if op == "+":
        if isinstance(left, str) or isinstance(right, str):
            return java_str(left) + java_str(right)
        if isinstance(left, (list, tuple)):
            extra = list(right) if isinstance(right, (list, tuple)) else [right]
            return [*left, *extra]
    if op == "-" and isinstance(left, (list, tuple)):
        removed = list(right) if isinstance(right, (list, tuple)) else [right]
        result = list(left)
        if isinstance(right, (list, tuple)):
            return [e for e in result if not any(pebble_equals(e, r) for r in removed)]
        for index, element in enumerate(result):
            if pebble_equals(element, right):
                del result[index]
                break
        return result
    if not (is_number(left) and is_number(right)):
        raise FilterError(
            f"invalid operands for '{op}': a {type_name(left)} and a {type_name(right)}"
        )
    if type(left) is float or type(right) is float:
        a, b = float(left), float(right)
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return _float_div(a, b)
        if b == 0:
            return math.nan
        return math.fmod(a, b)
    x, y = int(left), int(right)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        return _java_div(x, y)
    return _java_mod(x, y)
