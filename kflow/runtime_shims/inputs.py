"""Flow inputs: check the values an execution is started with and coerce them to their types.

`resolve_inputs(flow.inputs, given, render)` takes the values given (CLI `--input k=v` strings,
a subflow's `inputs:` mapping, an API's JSON) and returns `ResolvedInputs`: the coerced values,
the values of SECRET inputs (to mask in logs) and warnings. A value that does not fit raises
`InputError`, whose message names the input and the problem (never a secret's value).

For each declared input, in order: the given value; if there is none (None), the `defaults`,
rendered with `render` (a default may be a template) then coerced like a given value; if there is
still none, `InputError("input 'x' is required")` when the input is required, else the value is
None. Given values are never rendered. Undeclared given inputs are ignored with a warning, as
Kestra ignores them. Ids with dots nest, as in Kestra: input `a.b` is `inputs.a.b`.

Coercions (every result is JSON data the engine can store):

- STRING: strings as given; numbers and booleans as their text (`true`), maps and lists as compact
  JSON. `validator` must match the whole value (Python `re.fullmatch`); `minLength`/`maxLength`.
- SECRET: as STRING (with `validator`); the value goes to `ResolvedInputs.secrets`.
- INT: ints; integral floats (`3.0`); strings of an integer (`" 42 "`, `"-7"`, not `"4.2"`).
  `min`/`max` are inclusive.
- FLOAT: numbers; strings of a finite number (`"1e3"`, `"2"` → 2.0). NaN and infinities are
  refused (they are not JSON). `min`/`max` inclusive.
- BOOLEAN, BOOL: booleans; `"true"`/`"false"` in any case. Anything else is an error (Kestra's
  `Boolean.valueOf` would read `"yes"` as false without a word).
- DATETIME: ISO-8601 date-times (`2024-01-01T10:00:00+02:00`, `...Z`, fractions of a second); a
  value without an offset is read as UTC. The result is Java's `Instant.toString()` form in UTC:
  `2024-01-01T08:00:00Z`, with `.123` or `.123456` when there is a fraction. `after`/`before`
  (inclusive bounds, same forms).
- DATE: `YYYY-MM-DD` → the same text normalised; `after`/`before`.
- TIME: `HH:MM[:SS[.ffffff]]` without an offset → `HH:MM:SS` (plus the fraction when not zero,
  trailing zeros dropped, as Jackson writes a `LocalTime`); `after`/`before`.
- DURATION: ISO-8601 durations as Java reads them (`PT1M30S`, `P1D`, `PT0.5S`) → Java's
  `Duration.toString()` form (`P1D` → `PT24H`); `min`/`max`.
- ENUM, SELECT: the text must be one of `values` (or of the list the `expression` renders to),
  unless `allowCustomValue: true`.
- MULTISELECT: a list, or a JSON array in a string; each item is coerced to `itemType` (default
  STRING) and must be one of `values` unless `allowCustomValue`; `minItems`/`maxItems`.
- ARRAY: a list or a JSON array in a string; each item is coerced to `itemType` (required);
  `minItems`/`maxItems`.
- JSON: a string is parsed as JSON; any other value (a mapping from a subflow, say) is kept.
- YAML: a string is parsed as YAML (dates in it become ISO strings); other values are kept.
- URI: `scheme://rest` without spaces (looser than Kestra's pattern, which refuses `kestra:///x`
  and hosts without a dot such as `localhost`).
- EMAIL: Kestra's pattern, `local@domain` (an empty string passes, as in Kestra).
- FILE: a `kestra://` URI (checked to exist when `storage` is given) is kept; a local path, or
  `@path` as the CLI writes it, is uploaded through `store_file` (see `execution_file_store`) and
  becomes the `kestra://` URI of the copy. `allowedFileExtensions` (`[".csv", "json"]`) limits
  the file name's extension.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, TypeVar

from kflow.compiler import ir
from kflow.runtime_shims.durations import DurationError, format_duration, parse_duration
from kflow.runtime_shims.storage import Storage

__all__ = [
    "InputError",
    "ResolvedInputs",
    "StoreFile",
    "execution_file_store",
    "format_datetime",
    "parse_datetime",
    "resolve_inputs",
]

_T = TypeVar("_T")

#: Uploads a local file given to input `id`: `(input id, path) -> kestra:// URI`.
StoreFile = Callable[[str, Path], str]


class InputError(Exception):
    """A given or default value that does not fit its input; the message names the input."""

    def __init__(self, input_id: str, problem: str) -> None:
        super().__init__(f"input '{input_id}' {problem}")
        self.input_id = input_id
        self.problem = problem


@dataclass(frozen=True)
class ResolvedInputs:
    """What `resolve_inputs` found.

    `values`: input id → coerced value (ids with dots nested), what `{{ inputs }}` holds;
    `secrets`: the values of SECRET inputs, for the engine to mask in logs and errors;
    `warnings`: one message per given input the flow does not declare.
    """

    values: dict[str, Any]
    secrets: frozenset[str] = frozenset()
    warnings: tuple[str, ...] = ()


def resolve_inputs(
    inputs: Sequence[ir.Input],
    given: Mapping[str, Any],
    render: Callable[[Any], Any],
    storage: Storage | None = None,
    *,
    store_file: StoreFile | None = None,
) -> ResolvedInputs:
    """Check `given` against the declared `inputs`; defaults are rendered with `render`.

    Raises `InputError` for the first input whose value is missing or does not fit.
    """
    declared = {spec.id for spec in inputs}
    warnings = [
        f"input '{name}' is not declared by the flow; it is ignored"
        for name in given
        if name not in declared
    ]
    flat: dict[str, Any] = {}
    secrets: set[str] = set()
    for spec in inputs:
        value = given.get(spec.id)
        if value is None and spec.default is not None:
            value = _render_default(spec, render)
        if value is None:
            if spec.required:
                raise InputError(spec.id, "is required")
            flat[spec.id] = None
            continue
        kind = spec.type.upper()
        field_ = _Field(spec.id, ir.thaw(spec.extra), render, storage, store_file)
        field_.secret = kind == "SECRET"
        try:
            coerced = _coerce(kind, value, field_)
            json.dumps(coerced, allow_nan=False)
        except _Invalid as error:
            raise InputError(spec.id, str(error)) from None
        except (TypeError, ValueError):
            raise InputError(spec.id, "holds a value that is not JSON data") from None
        if field_.secret and coerced:
            secrets.add(coerced)
        flat[spec.id] = coerced
    return ResolvedInputs(_nest(flat), frozenset(secrets), tuple(warnings))


def execution_file_store(
    storage: Storage, namespace: str, flow_id: str, execution_id: str
) -> StoreFile:
    """A `StoreFile` that puts files under `<ns>/<flow>/executions/<id>/inputs/<input>/`."""

    def store(input_id: str, path: Path) -> str:
        key = "/".join(
            [*namespace.split("."), flow_id, "executions", execution_id, "inputs", input_id]
        )
        return storage.put(f"{key}/{path.name}", path)

    return store


# -- date-times (shared with the tasks that store typed values) -----------------------------------


def parse_datetime(value: str) -> datetime:
    """An ISO-8601 date-time as an aware UTC datetime (no offset: UTC); ValueError otherwise."""
    text = value.strip()
    if "T" not in text.upper() and " " not in text:
        raise ValueError(f"{_show(value)} is a date, not a date-time")
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        import isodate

        try:
            parsed = isodate.parse_datetime(text)
        except (isodate.ISO8601Error, ValueError):
            raise ValueError(f"{_show(value)} is not an ISO-8601 date-time") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_datetime(moment: datetime) -> str:
    """Java's `Instant.toString()`: UTC, `Z`, and a fraction of 3 or 6 digits only when needed."""
    utc = moment.astimezone(timezone.utc) if moment.tzinfo else moment
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        micros = f"{utc.microsecond:06d}"
        text += "." + (micros[:3] if micros.endswith("000") else micros)
    return text + "Z"


# -- coercion -------------------------------------------------------------------------------------


class _Invalid(Exception):
    """The value does not fit; the message completes "input 'x' …"."""


@dataclass
class _Field:
    """The input being resolved, as its coercers see it."""

    id: str
    extra: dict[str, Any]
    render: Callable[[Any], Any]
    storage: Storage | None = None
    store_file: StoreFile | None = None
    items: bool = False  # coercing an item of an ARRAY/MULTISELECT: bounds are the array's
    secret: bool = False  # never quote the value in a message


def _coerce(kind: str, value: Any, field_: _Field) -> Any:
    coercer = _COERCERS.get(kind)
    if coercer is None:
        raise _Invalid(f"has an unknown type '{kind}'")
    return coercer(value, field_)


def _string(value: Any, field_: _Field) -> str:
    text = _as_text(value, "a string")
    validator = field_.extra.get("validator")
    if validator is not None and not field_.items:
        try:
            matches = re.fullmatch(str(validator), text) is not None
        except re.error as error:
            raise _Invalid(f"has an invalid validator pattern: {error}") from None
        if not matches:
            shown = "the value given" if field_.secret else _show(text)
            raise _Invalid(f"must match the pattern `{validator}`, not {shown}")
    _length(len(text), field_, "characters")
    return text


def _secret(value: Any, field_: _Field) -> str:
    return _string(value, field_)


def _int(value: Any, field_: _Field) -> int:
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+\s*", value)
    ):
        number = int(value)
    if number is None:
        raise _Invalid(f"must be an integer, not {_show(value)}")
    _bounds(number, field_, "min", "max", _bound_number)
    return number


def _float(value: Any, field_: _Field) -> float:
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise _Invalid(f"must be a number, not {_show(value)}")
    _bounds(number, field_, "min", "max", _bound_number)
    return number


def _bool(value: Any, field_: _Field) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _Invalid(f"must be true or false, not {_show(value)}")


def _datetime(value: Any, field_: _Field) -> str:
    moment = _parse(value, _parse_datetime, "an ISO-8601 date-time")
    _bounds(moment, field_, "after", "before", _parse_datetime)
    return format_datetime(moment)


def _date(value: Any, field_: _Field) -> str:
    day = _parse(value, _parse_date, "an ISO-8601 date (YYYY-MM-DD)")
    _bounds(day, field_, "after", "before", _parse_date)
    return day.isoformat()


def _time(value: Any, field_: _Field) -> str:
    moment = _parse(value, _parse_time, "a time of day (HH:MM:SS)")
    _bounds(moment, field_, "after", "before", _parse_time)
    text = moment.strftime("%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text


def _duration(value: Any, field_: _Field) -> str:
    seconds = _parse(value, _parse_duration, "an ISO-8601 duration (PT30S, PT5M, P1D)")
    _bounds(seconds, field_, "min", "max", _parse_duration, format_duration(seconds))
    return format_duration(seconds)


def _choice(value: Any, field_: _Field) -> str:
    text = _as_text(value, "a string")
    allowed = _allowed_values(field_)
    if not _truthy_setting(field_.extra.get("allowCustomValue")) and text not in allowed:
        raise _Invalid(f"must be one of {_show_list(allowed)}, not {_show(text)}")
    return text


def _multiselect(value: Any, field_: _Field) -> list[Any]:
    items = _items(value, field_, field_.extra.get("itemType") or "STRING")
    if not _truthy_setting(field_.extra.get("allowCustomValue")):
        allowed = _allowed_values(field_)
        for item in items:
            if _as_text(item, "a string") not in allowed:
                raise _Invalid(f"must hold only {_show_list(allowed)}, not {_show(item)}")
    return items


def _array(value: Any, field_: _Field) -> list[Any]:
    item_type = field_.extra.get("itemType")
    if not item_type:
        raise _Invalid("is an ARRAY without an 'itemType'")
    return _items(value, field_, str(item_type))


def _json(value: Any, field_: _Field) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as error:
        raise _Invalid(
            f"must be JSON, but {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def _yaml(value: Any, field_: _Field) -> Any:
    if not isinstance(value, str):
        return value
    import yaml

    try:
        loaded = yaml.safe_load(value)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise _Invalid(f"must be YAML, but {problem}") from None
    return _plain_dates(loaded)


def _uri(value: Any, field_: _Field) -> str:
    text = _as_text(value, "a URI")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*://\S+", text):
        raise _Invalid(f"must be a URI (scheme://…), not {_show(text)}")
    return text


# Kestra's pattern, whose local part allows a typographic apostrophe (U+2019)
_EMAIL = re.compile(r"^$|^[a-zA-Z0-9_!#$%&'\u2019*+/=?`{|}~^.-]+@[a-zA-Z0-9.-]+$")


def _email(value: Any, field_: _Field) -> str:
    text = _as_text(value, "an email address")
    if not _EMAIL.fullmatch(text):
        raise _Invalid(f"must be an email address, not {_show(text)}")
    return text


def _file(value: Any, field_: _Field) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"must be a kestra:// URI or a file path, not {_show(value)}")
    text = value.strip()
    if text.startswith("kestra://"):
        if field_.storage is not None and not field_.storage.exists(text):
            raise _Invalid(f"names no file of internal storage: {text}")
        name = text.rstrip("/").rsplit("/", 1)[-1]
    else:
        path = Path(text[1:] if text.startswith("@") else text).expanduser()
        if not path.is_file():
            raise _Invalid(f"names no file: {path}")
        name = path.name
    allowed = field_.extra.get("allowedFileExtensions")
    if allowed:
        suffixes = ["." + str(s).lower().lstrip(".") for s in _as_list(allowed)]
        if not any(name.lower().endswith(s) for s in suffixes):
            raise _Invalid(f"must be a file ending in {', '.join(suffixes)}, not {_show(name)}")
    if text.startswith("kestra://"):
        return text
    if field_.store_file is None:
        raise _Invalid("is a local file, but there is no internal storage to upload it to")
    return field_.store_file(field_.id, path)


_COERCERS: dict[str, Callable[[Any, _Field], Any]] = {
    "STRING": _string,
    "SECRET": _secret,
    "INT": _int,
    "FLOAT": _float,
    "BOOLEAN": _bool,
    "BOOL": _bool,
    "DATETIME": _datetime,
    "DATE": _date,
    "TIME": _time,
    "DURATION": _duration,
    "ENUM": _choice,
    "SELECT": _choice,
    "MULTISELECT": _multiselect,
    "ARRAY": _array,
    "JSON": _json,
    "YAML": _yaml,
    "URI": _uri,
    "EMAIL": _email,
    "FILE": _file,
}


# -- helpers --------------------------------------------------------------------------------------


def _render_default(spec: ir.Input, render: Callable[[Any], Any]) -> Any:
    try:
        return render(ir.thaw(spec.default))
    except Exception as error:  # any template error: the engine's renderer has its own types
        raise InputError(spec.id, f"has a default that cannot be rendered: {error}") from None


def _as_text(value: Any, what: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    raise _Invalid(f"must be {what}, not {_show(value)}")


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _truthy_setting(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _length(size: int, field_: _Field, unit: str) -> None:
    low, high = field_.extra.get("minLength"), field_.extra.get("maxLength")
    if field_.items:
        return
    if low is not None and size < int(low):
        raise _Invalid(f"must have at least {low} {unit}, not {size}")
    if high is not None and size > int(high):
        raise _Invalid(f"must have at most {high} {unit}, not {size}")


def _items(value: Any, field_: _Field, item_type: str) -> list[Any]:
    items = value
    if isinstance(value, str):
        try:
            items = json.loads(value)
        except json.JSONDecodeError:
            items = None
    if not isinstance(items, (list, tuple)):
        raise _Invalid(f"must be a list or a JSON array, not {_show(value)}")
    low, high = field_.extra.get("minItems"), field_.extra.get("maxItems")
    if low is not None and len(items) < int(low):
        raise _Invalid(f"must hold at least {low} items, not {len(items)}")
    if high is not None and len(items) > int(high):
        raise _Invalid(f"must hold at most {high} items, not {len(items)}")
    kind = item_type.upper()
    if kind in ("ARRAY", "MULTISELECT", "FILE"):
        raise _Invalid(f"cannot hold items of type {kind}")
    item_field = _Field(field_.id, {}, field_.render, field_.storage, field_.store_file, True)
    result = []
    for index, item in enumerate(items):
        try:
            result.append(_coerce(kind, item, item_field))
        except _Invalid as error:
            raise _Invalid(f"item {index}: {error}") from None
    return result


def _allowed_values(field_: _Field) -> list[str]:
    values = field_.extra.get("values")
    if values is None and field_.extra.get("expression") is not None:
        try:
            values = field_.render(field_.extra["expression"])
        except Exception as error:  # any template error, as for defaults
            raise _Invalid(f"has an 'expression' that cannot be rendered: {error}") from None
        if isinstance(values, str):
            try:
                values = json.loads(values)
            except json.JSONDecodeError:
                values = None
        if not isinstance(values, list):
            raise _Invalid("has an 'expression' that does not render to a list")
    if values is None:
        raise _Invalid("has no 'values' to choose from")
    return [_as_text(v, "a string") for v in _as_list(values) if v is not None]


def _parse(value: Any, parse: Callable[[Any], _T], what: str) -> _T:
    if not isinstance(value, str):
        raise _Invalid(f"must be {what}, not {_show(value)}")
    try:
        return parse(value)
    except ValueError:
        raise _Invalid(f"must be {what}, not {_show(value)}") from None


def _parse_date(text: Any) -> date:
    return date.fromisoformat(str(text).strip())


def _parse_time(text: Any) -> time:
    parsed = time.fromisoformat(str(text).strip())
    if parsed.tzinfo is not None:
        raise ValueError("a time of day has no offset")
    return parsed


def _parse_datetime(text: Any) -> datetime:
    return parse_datetime(str(text))


def _parse_duration(text: Any) -> float:
    if not isinstance(text, str):
        raise ValueError("a duration is written as text")
    try:
        return parse_duration(text)
    except DurationError as error:
        raise ValueError(str(error)) from None


def _bound_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("a bound is a number")
    return float(value)


def _bounds(
    value: Any,
    field_: _Field,
    low_key: str,
    high_key: str,
    parse: Callable[[Any], Any],
    shown: str | None = None,
) -> None:
    """Check the inclusive bounds `low_key`/`high_key` of the input (not of array items)."""
    if field_.items:
        return
    low, high = _bound(field_, low_key, parse), _bound(field_, high_key, parse)
    shown = shown or _show(_shown(value))
    if low is not None and value < low:
        if low_key == "after":
            raise _Invalid(f"must be after {field_.extra[low_key]}, not {shown}")
        raise _Invalid(f"must be at least {field_.extra[low_key]}, not {shown}")
    if high is not None and value > high:
        if high_key == "before":
            raise _Invalid(f"must be before {field_.extra[high_key]}, not {shown}")
        raise _Invalid(f"must be at most {field_.extra[high_key]}, not {shown}")


def _bound(field_: _Field, key: str, parse: Callable[[Any], Any]) -> Any:
    text = field_.extra.get(key)
    if text is None:
        return None
    try:
        return parse(text)
    except (ValueError, TypeError):
        raise _Invalid(f"has an invalid '{key}': {_show(text)}") from None


def _shown(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, (date, time)):
        return value.isoformat()
    return value


def _plain_dates(value: Any) -> Any:
    """YAML's dates and timestamps as ISO strings, so that the value is JSON."""
    if isinstance(value, dict):
        return {str(k): _plain_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_dates(v) for v in value]
    if isinstance(value, datetime):
        return format_datetime(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _nest(flat: dict[str, Any]) -> dict[str, Any]:
    """Ids with dots as nested mappings (`a.b` → {"a": {"b": …}}), as Kestra does."""
    nested: dict[str, Any] = {}
    for name, value in flat.items():
        if "." not in name:
            if isinstance(nested.get(name), dict):
                raise InputError(name, "clashes with inputs whose ids start with it and a dot")
            nested[name] = value
            continue
        *parents, last = name.split(".")
        node = nested
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise InputError(name, f"clashes with input '{part}'")
            node = child
        node[last] = value
    return nested


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _show_list(values: list[str]) -> str:
    return "[" + ", ".join(repr(v) for v in values) + "]"
