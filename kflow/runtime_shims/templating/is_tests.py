"""The tests of ``value is name`` (Pebble core and Kestra's ``json``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from kflow.runtime_shims.templating.errors import FilterError
from kflow.runtime_shims.templating.values import is_number, type_name

__all__ = ["TESTS", "UNDEFINED_TOLERANT"]


def _defined(value: Any) -> bool:
    return value is not None


def _null(value: Any) -> bool:
    return value is None


def _empty(value: Any) -> bool:
    """Null, a blank string, an empty list or map."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, (list, tuple, Mapping)):
        return len(value) == 0
    return False


def _integer(value: Any, test: str) -> int:
    if value is None:
        raise FilterError(f"cannot pass null to the '{test}' test")
    if not is_number(value):
        raise FilterError(f"the '{test}' test needs a number, not a {type_name(value)}")
    return int(value)


def _even(value: Any) -> bool:
    return _integer(value, "even") % 2 == 0


def _odd(value: Any) -> bool:
    return _integer(value, "odd") % 2 == 1


def _iterable(value: Any) -> bool:
    """Java's ``Iterable``: a list (a map or a string is not)."""
    return isinstance(value, (list, tuple))


def _map(value: Any) -> bool:
    return isinstance(value, Mapping)


def _json(value: Any) -> bool:
    """A string that parses as JSON (Kestra's ``JsonTest``)."""
    if not isinstance(value, str):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


#: Test name → implementation (no test takes arguments).
TESTS: dict[str, Callable[[Any], bool]] = {
    "defined": _defined,
    "null": _null,
    "empty": _empty,
    "even": _even,
    "odd": _odd,
    "iterable": _iterable,
    "map": _map,
    "json": _json,
}

#: Tests whose subject may be undefined (it then counts as null). Pebble tolerates it only for
#: ``defined``; kflow also for ``null``, which the checker treats as a guard too.
UNDEFINED_TOLERANT = frozenset({"defined", "null"})
