"""The functions (``name(args)``) of Pebble's core and of Kestra's extension."""

from __future__ import annotations

import os
import secrets as random_source
import socket
import time
import uuid
from collections.abc import Mapping
from typing import Any

import yaml

from kflow.runtime_shims.templating import dates
from kflow.runtime_shims.templating.builtin import Builtin, Caller, registrar
from kflow.runtime_shims.templating.errors import FilterError, TemplateError
from kflow.runtime_shims.templating.filters import parse_json
from kflow.runtime_shims.templating.services import env_secret
from kflow.runtime_shims.templating.values import (
    MAX_TEXT,
    compare,
    is_number,
    java_str,
    type_name,
)

__all__ = ["FUNCTIONS", "MAX_RANGE"]

#: Function name → implementation.
FUNCTIONS: dict[str, Builtin] = {}
_function = registrar(FUNCTIONS)

#: Kestra bounds ``range()`` so that a template cannot exhaust memory.
MAX_RANGE = 1_000_000


@_function("max", variadic=True)
def _max(*values: Any) -> Any:
    return _extreme(values, ">", "max")


@_function("min", variadic=True)
def _min(*values: Any) -> Any:
    return _extreme(values, "<", "min")


def _extreme(values: tuple[Any, ...], op: str, name: str) -> Any:
    if not values:
        raise FilterError(f"'{name}' needs at least one argument")
    best = values[0]
    for value in values[1:]:
        if not (is_number(value) and is_number(best)):
            raise FilterError(f"'{name}' compares numbers only, not a {type_name(value)}")
        if compare(op, value, best):
            best = value
    return best


@_function("range", params=("start", "end", "increment"))
def _range(start: Any = None, end: Any = None, increment: Any = None) -> list[Any]:
    """Numbers (or single characters) from ``start`` to ``end`` inclusive."""
    step = 1 if increment is None else increment
    if not is_number(step):
        raise FilterError("the increment of range() must be a number")
    step = int(step)
    if step == 0:
        raise FilterError("the increment of range() must not be 0")
    if is_number(start) and is_number(end):
        first, last = int(start), int(end)
        size = abs(last - first) // abs(step) + 1
        if size > MAX_RANGE:
            raise FilterError(f"range() cannot produce more than {MAX_RANGE} elements")
        return list(range(first, last + (1 if step > 0 else -1), step))
    if isinstance(start, str) and isinstance(end, str) and len(start) == len(end) == 1:
        codes = range(ord(start), ord(end) + (1 if step > 0 else -1), step)
        return [chr(code) for code in codes]
    raise FilterError("range() needs two numbers, or two strings of one character")


# ---- dates and identifiers -----------------------------------------------------------------------


@_function("now", params=("format", "timeZone", "existingFormat", "locale"))
def _now(**arguments: Any) -> str:
    """The current date-time, formatted as the ``date`` filter would (``iso`` by default)."""
    zone_name = arguments.get("timeZone")
    zone = dates.zone_of(None if zone_name is None else java_str(zone_name))
    locale = arguments.get("locale")
    return dates.format_moment(
        dates.now(zone),
        java_str(arguments.get("format") or "iso"),
        zone,
        None if locale is None else java_str(locale),
    )


@_function("uuid")
def _uuid() -> str:
    """A time-ordered UUID (version 7), as Kestra generates."""
    millis = time.time_ns() // 1_000_000
    random_bits = int.from_bytes(os.urandom(10), "big")
    value = (millis & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= ((random_bits >> 64) & 0xFFF) << 64
    value |= 0b10 << 62
    value |= random_bits & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


@_function("id")
def _id() -> str:
    """A random identifier in Kestra's style: a UUID written in base 62 (22 characters or less)."""
    number = uuid.uuid4().int
    digits = []
    while number:
        number, digit = divmod(number, 62)
        digits.append(_BASE62[digit])
    return "".join(reversed(digits)) or "0"


_KSUID_EPOCH = 1_400_000_000


@_function("ksuid")
def _ksuid() -> str:
    """A K-Sortable Unique IDentifier: 27 base-62 characters, ordered by creation second."""
    stamp = (int(time.time()) - _KSUID_EPOCH).to_bytes(4, "big")
    number = int.from_bytes(stamp + os.urandom(16), "big")
    digits = []
    for _ in range(27):
        number, digit = divmod(number, 62)
        digits.append(_BASE62[digit])
    return "".join(reversed(digits))


_NANO_ALPHABET = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@_function("nanoId", params=("length", "alphabet"))
def _nano_id(length: Any = None, alphabet: Any = None) -> str:
    if length is not None and not is_number(length):
        raise FilterError("nanoId()'s length must be a number")
    size = 21 if length is None else int(length)
    letters = _NANO_ALPHABET if alphabet is None else java_str(alphabet)
    if size <= 0 or not letters:
        raise FilterError("nanoId() needs a positive length and a non-empty alphabet")
    if size > MAX_TEXT:
        raise FilterError(f"nanoId() cannot be longer than {MAX_TEXT} characters")
    return "".join(random_source.choice(letters) for _ in range(size))


@_function("randomInt", params=("lower", "upper"))
def _random_int(lower: Any = None, upper: Any = None) -> int:
    """A random integer in [lower, upper) (upper excluded, as in Kestra)."""
    if not (is_number(lower) and is_number(upper)):
        raise FilterError("randomInt() needs two integers, lower and upper")
    low, high = int(lower), int(upper)
    if high < low:
        raise FilterError("in randomInt(), upper is less than lower")
    if high == low:
        return low
    return low + random_source.randbelow(high - low)


@_function("randomPort")
def _random_port() -> int:
    """A TCP port that is free on this machine right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# ---- parsing -------------------------------------------------------------------------------------


@_function("fromJson", "json", "jsonDecode", params=("json",))
def _from_json(**arguments: Any) -> Any:
    return parse_json(arguments.get("json"))


@_function("yaml", params=("yaml",))
def _yaml(**arguments: Any) -> Any:
    text = arguments.get("yaml")
    if text is None:
        return None
    if not isinstance(text, str):
        raise FilterError(f"yaml() needs a YAML string, not a {type_name(text)}")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise FilterError("invalid YAML") from None


# ---- the execution context -----------------------------------------------------------------------


@_function("render", params=("toRender", "recursive"), needs_caller=True)
def _render(caller: Caller, toRender: Any = None, recursive: Any = True) -> Any:
    """Render a value that holds expressions, again and again until it no longer changes."""
    if recursive is None:
        recursive = True
    if not isinstance(recursive, bool):
        raise FilterError("render()'s 'recursive' argument must be a boolean")
    return caller.render_nested(toRender, recursive)


@_function("renderOnce", params=("toRender",), needs_caller=True)
def _render_once(caller: Caller, toRender: Any = None) -> Any:
    return caller.render_nested(toRender, False)


@_function("secret", params=("key",), needs_caller=True)
def _secret(caller: Caller, key: Any = None) -> str:
    if key is None:
        raise FilterError("secret() needs the name of the secret")
    name = java_str(key)
    lookup = caller.services.secret or env_secret
    try:
        value = lookup(name)
    except (ValueError, OSError) as error:
        raise FilterError(f"secret '{name}' cannot be read: {error}") from None
    if value is None:
        raise TemplateError(f"secret '{name}' not found")
    caller.record_secret(value)
    return value


@_function("kv", params=("key", "namespace", "errorOnMissing"), needs_caller=True)
def _kv(caller: Caller, key: Any = None, namespace: Any = None, errorOnMissing: Any = True) -> Any:
    if key is None:
        raise FilterError("kv() needs a key")
    if caller.services.kv is None:
        raise FilterError("the KV store is not available here")
    name = java_str(key)
    value = caller.services.kv(name, None if namespace is None else java_str(namespace))
    if value is None and errorOnMissing is not False:
        raise TemplateError(f"no value for key '{name}' in the KV store")
    return value


def _read_service(caller: Caller, what: str) -> Any:
    if caller.services.read is None:
        raise FilterError(f"{what}() cannot read files here (no storage is configured)")
    return caller.services.read


@_function("read", params=("path",), needs_caller=True)
def _read(caller: Caller, path: Any = None) -> str:
    """The content of a file of internal storage (``kestra://…``) or a namespace file."""
    if path is None:
        raise FilterError("read() needs a path or URI")
    return str(_read_service(caller, "read")(java_str(path)))


@_function("fileExists", params=("path",), needs_caller=True)
def _file_exists(caller: Caller, path: Any = None) -> bool:
    if path is None:
        raise FilterError("fileExists() needs a path or URI")
    try:
        _read_service(caller, "fileExists")(java_str(path))
    except (OSError, LookupError, ValueError, TemplateError):
        return False
    return True


@_function("isFileEmpty", params=("path",), needs_caller=True)
def _is_file_empty(caller: Caller, path: Any = None) -> bool:
    if path is None:
        raise FilterError("isFileEmpty() needs a path or URI")
    return str(_read_service(caller, "isFileEmpty")(java_str(path))) == ""


@_function("fileURI", params=("path",), needs_caller=True)
def _file_uri(caller: Caller, path: Any = None) -> str:
    """The internal-storage URI of a namespace file."""
    if path is None:
        raise FilterError("fileURI() needs a path")
    if caller.services.file_uri is None:
        raise FilterError("fileURI() is not available here (no storage is configured)")
    return str(caller.services.file_uri(java_str(path)))


@_function("printContext", "fetchContext", needs_caller=True)
def _print_context(caller: Caller) -> dict[str, Any]:
    """All the context variables (for debugging)."""
    return dict(caller.variables)


@_function("currentEachOutput", params=("outputs",), needs_caller=True)
def _current_each_output(caller: Caller, outputs: Any = None) -> Any:
    """The output of a sibling task for the current iteration of the enclosing ForEach loops."""
    if not isinstance(outputs, Mapping):
        raise FilterError("currentEachOutput() needs the outputs of a task (a map)")
    result: Any = outputs
    parents = caller.variables.get("parents") or []
    for parent in reversed(list(parents)):
        taskrun = parent.get("taskrun") if isinstance(parent, Mapping) else None
        if isinstance(taskrun, Mapping) and isinstance(result, Mapping):
            result = result.get(java_str(taskrun.get("value")))
    taskrun = caller.variables.get("taskrun")
    if not isinstance(taskrun, Mapping) or not isinstance(result, Mapping):
        return None
    return result.get(java_str(taskrun.get("value")))
