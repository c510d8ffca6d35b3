"""The Java methods and bean properties a template may use on values, as explicit functions.

Pebble lets a template call public Java methods (``name.toUpperCase()``, ``list.size``); Kestra
flows use a handful of them. kflow offers those through this whitelist, keyed by the value's
type. Nothing else is reachable: there is no lookup of Python attributes by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kflow.runtime_shims.templating.errors import FilterError
from kflow.runtime_shims.templating.java_compat import (
    java_regex,
    java_replacement,
    java_split,
    java_trim,
)
from kflow.runtime_shims.templating.values import (
    MAX_TEXT,
    MapEntry,
    is_number,
    java_str,
    pebble_equals,
)

__all__ = ["method_of", "property_of"]

Method = Callable[..., Any]


def _index(value: Any) -> int:
    if not is_number(value):
        raise FilterError("an index must be a number")
    return int(value)


def _char_at(text: str, index: Any) -> str:
    position = _index(index)
    if not 0 <= position < len(text):
        raise FilterError("index out of range")
    return text[position]


def _substring(text: str, begin: Any, end: Any = None) -> str:
    start = _index(begin)
    stop = len(text) if end is None else _index(end)
    if not 0 <= start <= stop <= len(text):
        raise FilterError("substring bounds out of range")
    return text[start:stop]


def _repeat(text: str, times: Any) -> str:
    count = max(_index(times), 0)
    if len(text) * count > MAX_TEXT:
        raise FilterError(f"the result would be longer than {MAX_TEXT} characters")
    return text * count


def _list_get(items: list[Any], index: Any) -> Any:
    position = _index(index)
    if not 0 <= position < len(items):
        raise FilterError("index out of range")
    return items[position]


def _index_of(items: list[Any], item: Any) -> int:
    return next((i for i, e in enumerate(items) if pebble_equals(e, item)), -1)


def _last_index_of(items: list[Any], item: Any) -> int:
    found = [i for i, e in enumerate(items) if pebble_equals(e, item)]
    return found[-1] if found else -1


def _sub_list(items: list[Any], begin: Any, end: Any) -> list[Any]:
    start, stop = _index(begin), _index(end)
    if not 0 <= start <= stop <= len(items):
        raise FilterError("subList bounds out of range")
    return list(items[start:stop])


def _first(items: list[Any]) -> Any:
    if not items:
        raise FilterError("the list is empty")
    return items[0]


def _last(items: list[Any]) -> Any:
    if not items:
        raise FilterError("the list is empty")
    return items[-1]


# name → {argument count → implementation}
_STRING: dict[str, dict[int, Method]] = {
    "length": {0: len},
    "isEmpty": {0: lambda s: s == ""},
    "isBlank": {0: lambda s: s.strip() == ""},
    "toUpperCase": {0: str.upper},
    "toLowerCase": {0: str.lower},
    "trim": {0: java_trim},
    "strip": {0: str.strip},
    "contains": {1: lambda s, x: java_str(x) in s},
    "startsWith": {1: lambda s, x: s.startswith(java_str(x))},
    "endsWith": {1: lambda s, x: s.endswith(java_str(x))},
    "indexOf": {1: lambda s, x: s.find(java_str(x))},
    "lastIndexOf": {1: lambda s, x: s.rfind(java_str(x))},
    "substring": {1: _substring, 2: _substring},
    "charAt": {1: _char_at},
    "replace": {2: lambda s, a, b: s.replace(java_str(a), java_str(b))},
    "replaceAll": {
        2: lambda s, a, b: java_regex(java_str(a)).sub(java_replacement(java_str(b)), s)
    },
    "replaceFirst": {
        2: lambda s, a, b: java_regex(java_str(a)).sub(java_replacement(java_str(b)), s, 1)
    },
    "matches": {1: lambda s, r: java_regex(java_str(r)).fullmatch(s) is not None},
    "split": {
        1: lambda s, r: java_split(s, java_str(r)),
        2: lambda s, r, n: java_split(s, java_str(r), _index(n)),
    },
    "equals": {1: lambda s, x: isinstance(x, str) and s == x},
    "equalsIgnoreCase": {1: lambda s, x: isinstance(x, str) and s.lower() == x.lower()},
    "concat": {1: lambda s, x: s + java_str(x)},
    "repeat": {1: lambda s, n: _repeat(s, n)},
    "toString": {0: lambda s: s},
}
_LIST: dict[str, dict[int, Method]] = {
    "size": {0: len},
    "isEmpty": {0: lambda items: len(items) == 0},
    "get": {1: _list_get},
    "contains": {1: lambda items, x: any(pebble_equals(e, x) for e in items)},
    "indexOf": {1: _index_of},
    "lastIndexOf": {1: _last_index_of},
    "subList": {2: _sub_list},
    "getFirst": {0: _first},
    "getLast": {0: _last},
    "toString": {0: java_str},
}
_MAP: dict[str, dict[int, Method]] = {
    "size": {0: len},
    "isEmpty": {0: lambda m: len(m) == 0},
    "get": {1: lambda m, k: m.get(k)},
    "getOrDefault": {2: lambda m, k, d: m.get(k, d)},
    "containsKey": {1: lambda m, k: k in m},
    "containsValue": {1: lambda m, v: any(pebble_equals(e, v) for e in m.values())},
    "keySet": {0: lambda m: list(m.keys())},
    "values": {0: lambda m: list(m.values())},
    "toString": {0: java_str},
}
_NUMBER: dict[str, dict[int, Method]] = {
    "intValue": {0: int},
    "longValue": {0: int},
    "doubleValue": {0: float},
    "floatValue": {0: float},
    "toString": {0: java_str},
}
_ENTRY: dict[str, dict[int, Method]] = {
    "getKey": {0: lambda e: e.key},
    "getValue": {0: lambda e: e.value},
    "toString": {0: java_str},
}
_BOOLEAN: dict[str, dict[int, Method]] = {"toString": {0: java_str}}

# Bean properties: ``x.name`` finds ``getName()``/``isName()``/``name()`` in Java.
_STRING_PROPERTIES: dict[str, Method] = {
    "length": len,
    "empty": lambda s: s == "",
    "blank": lambda s: s.strip() == "",
}
_LIST_PROPERTIES: dict[str, Method] = {
    "size": len,
    "empty": lambda items: len(items) == 0,
    "first": _first,
    "last": _last,
}
_ENTRY_PROPERTIES: dict[str, Method] = {"key": lambda e: e.key, "value": lambda e: e.value}


def _table(value: Any) -> dict[str, dict[int, Method]] | None:
    if isinstance(value, str):
        return _STRING
    if isinstance(value, bool):
        return _BOOLEAN
    if is_number(value):
        return _NUMBER
    if isinstance(value, (list, tuple)):
        return _LIST
    if isinstance(value, Mapping):
        return _MAP
    if isinstance(value, MapEntry):
        return _ENTRY
    return None


def method_of(value: Any, name: str, arity: int) -> Method | None:
    """The implementation of ``value.name(…)`` with ``arity`` arguments, if it is offered."""
    table = _table(value)
    if table is None:
        return None
    return table.get(name, {}).get(arity)


def property_of(value: Any, name: str) -> tuple[bool, Any]:
    """``(True, result)`` when ``value.name`` is an offered property, else ``(False, None)``."""
    if isinstance(value, str):
        getter = _STRING_PROPERTIES.get(name)
    elif isinstance(value, (list, tuple)):
        getter = _LIST_PROPERTIES.get(name)
    elif isinstance(value, MapEntry):
        getter = _ENTRY_PROPERTIES.get(name)
    else:
        getter = None
    if getter is None:
        return False, None
    try:
        return True, getter(value)
    except FilterError:
        return False, None
