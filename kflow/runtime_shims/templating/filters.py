"""The filters (``value | name(args)``) of Pebble's core and of Kestra's extension.

Each implementation follows the Kestra/Pebble source's behaviour at the edges: null input gives
null for most filters, ``first`` of a string is its first character, ``split`` takes a regular
expression, ``date`` formats with Java patterns, ``jq`` always returns a list.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from kflow.runtime_shims.templating import dates
from kflow.runtime_shims.templating.builtin import Builtin, registrar
from kflow.runtime_shims.templating.decimal_format import format_decimal
from kflow.runtime_shims.templating.errors import FilterError
from kflow.runtime_shims.templating.is_tests import TESTS
from kflow.runtime_shims.templating.java_compat import (
    java_regex,
    java_replacement,
    java_split,
    java_trim,
    url_decode,
    url_encode,
)
from kflow.runtime_shims.templating.values import (
    MAX_TEXT,
    MapEntry,
    is_number,
    java_class_name,
    java_str,
    pebble_equals,
    to_json,
    type_name,
)

__all__ = ["FILTERS", "dump_yaml", "parse_json"]

#: Filter name → implementation.
FILTERS: dict[str, Builtin] = {}
_filter = registrar(FILTERS)

_DATE_ARGS = ("format", "timeZone", "existingFormat", "locale")
_TIMESTAMP_ARGS = ("timeZone", "existingFormat")


def _string(value: Any, filter_name: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (Mapping, list, tuple)):
        raise FilterError(f"'{filter_name}' needs a string, not a {type_name(value)}")
    return java_str(value)


def _integer(value: Any, what: str) -> int:
    if not is_number(value):
        raise FilterError(f"{what} must be a number, not a {type_name(value)}")
    return int(value)


def _sequence(value: Any, filter_name: str) -> list[Any] | tuple[Any, ...]:
    if isinstance(value, (list, tuple)):
        return value
    raise FilterError(f"'{filter_name}' needs a list, not a {type_name(value)}")


# ---- strings -------------------------------------------------------------------------------------


@_filter("upper")
def _upper(value: Any) -> Any:
    return None if value is None else _string(value, "upper").upper()


@_filter("lower")
def _lower(value: Any) -> Any:
    return None if value is None else _string(value, "lower").lower()


@_filter("trim")
def _trim(value: Any) -> Any:
    return None if value is None else java_trim(_string(value, "trim"))


@_filter("capitalize")
def _capitalize(value: Any) -> Any:
    """Upper-cases the first non-blank character and leaves the rest as it is."""
    if value is None:
        return None
    text = _string(value, "capitalize")
    stripped = text.lstrip()
    if not stripped:
        return text
    index = len(text) - len(stripped)
    return text[:index] + stripped[0].title() + stripped[1:]


@_filter("title")
def _title(value: Any) -> Any:
    """Title-cases each character that follows whitespace; other characters are unchanged."""
    if value is None:
        return None
    text = _string(value, "title")
    out = []
    capitalize_next = True
    for char in text:
        if char.isspace():
            capitalize_next = True
        elif capitalize_next:
            char = char.title()
            capitalize_next = False
        out.append(char)
    return "".join(out)


@_filter("abbreviate", params=("length",))
def _abbreviate(value: Any, length: Any = None) -> Any:
    if value is None:
        return None
    text = _string(value, "abbreviate")
    width = _integer(length, "abbreviate's length")
    if width < 0:
        raise FilterError("abbreviate's length must not be negative")
    if len(text) < width or len(text) <= 3:
        return text
    if width <= 3:
        return text[:width]
    return text[: width - 3] + "..."


@_filter("replace", params=("replace_pairs", "regexp"))
def _replace(value: Any, replace_pairs: Any = None, regexp: Any = False) -> Any:
    """Replace each key of ``replace_pairs`` by its value, in strings (and lists/maps of them)."""
    if value is None:
        return None
    if not isinstance(replace_pairs, Mapping):
        raise FilterError("'replace' needs a map of replacements, e.g. replace({'a': 'b'})")
    pairs = [(java_str(k), java_str(v)) for k, v in replace_pairs.items()]

    def one(text: str) -> str:
        for search, replacement in pairs:
            if regexp is True:
                text = java_regex(search).sub(java_replacement(replacement), text)
            else:
                text = text.replace(search, replacement)
        return text

    def walk(item: Any) -> Any:
        if isinstance(item, Mapping):
            return {k: walk(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        return one(item if isinstance(item, str) else java_str(item))

    return walk(value)


@_filter("regexReplace", params=("regex", "replacement"))
def _regex_replace(value: Any, regex: Any = None, replacement: Any = None) -> Any:
    if value is None:
        return None
    if regex is None or replacement is None:
        raise FilterError("'regexReplace' needs the arguments 'regex' and 'replacement'")
    return java_regex(java_str(regex)).sub(java_replacement(java_str(replacement)), java_str(value))


@_filter("regexMatch", params=("regex",))
def _regex_match(value: Any, regex: Any = None) -> bool:
    if value is None:
        return False
    if regex is None:
        raise FilterError("'regexMatch' needs the argument 'regex'")
    return java_regex(java_str(regex)).search(java_str(value)) is not None


@_filter("regexExtract", params=("regex", "group"))
def _regex_extract(value: Any, regex: Any = None, group: Any = 0) -> Any:
    if value is None:
        return None
    if regex is None:
        raise FilterError("'regexExtract' needs the argument 'regex'")
    index = _integer(group if group is not None else 0, "regexExtract's group")
    if index < 0:
        raise FilterError("regexExtract's group must not be negative")
    pattern = java_regex(java_str(regex))
    match = pattern.search(java_str(value))
    if match is None:
        return None
    if index > pattern.groups:
        raise FilterError(f"the pattern has only {pattern.groups} capture group(s)")
    return match.group(index)


@_filter("split", params=("delimiter", "limit"))
def _split(value: Any, delimiter: Any = None, limit: Any = None) -> Any:
    if value is None:
        return None
    if delimiter is None:
        raise FilterError("'split' needs a delimiter")
    count = 0 if limit is None else _integer(limit, "split's limit")
    return java_split(_string(value, "split"), java_str(delimiter), count)


@_filter("substringBefore", params=("separator",))
def _substring_before(value: Any, separator: Any = None) -> Any:
    if value is None:
        return None
    text, sep = java_str(value), _separator(separator, "substringBefore")
    if not text:
        return text
    if not sep:
        return ""
    index = text.find(sep)
    return text if index < 0 else text[:index]


@_filter("substringAfter", params=("separator",))
def _substring_after(value: Any, separator: Any = None) -> Any:
    if value is None:
        return None
    text, sep = java_str(value), _separator(separator, "substringAfter")
    if not text:
        return text
    index = text.find(sep)
    return "" if index < 0 else text[index + len(sep) :]


@_filter("substringBeforeLast", params=("separator",))
def _substring_before_last(value: Any, separator: Any = None) -> Any:
    if value is None:
        return None
    text, sep = java_str(value), _separator(separator, "substringBeforeLast")
    if not text or not sep:
        return text
    index = text.rfind(sep)
    return text if index < 0 else text[:index]


@_filter("substringAfterLast", params=("separator",))
def _substring_after_last(value: Any, separator: Any = None) -> Any:
    if value is None:
        return None
    text, sep = java_str(value), _separator(separator, "substringAfterLast")
    if not text:
        return text
    if not sep:
        return ""
    index = text.rfind(sep)
    if index < 0 or index == len(text) - len(sep):
        return ""
    return text[index + len(sep) :]


def _separator(separator: Any, filter_name: str) -> str:
    if separator is None:
        raise FilterError(f"'{filter_name}' needs the argument 'separator'")
    return java_str(separator)


@_filter("startsWith", params=("value",))
def _starts_with(value: Any, /, **arguments: Any) -> bool:
    prefix = arguments.get("value")
    if value is None or prefix is None:
        raise FilterError("'startsWith' needs a string and a prefix")
    return java_str(value).startswith(java_str(prefix))


@_filter("endsWith", params=("value",))
def _ends_with(value: Any, /, **arguments: Any) -> bool:
    suffix = arguments.get("value")
    if value is None or suffix is None:
        raise FilterError("'endsWith' needs a string and a suffix")
    return java_str(value).endswith(java_str(suffix))


@_filter("escapeChar", params=("type",))
def _escape_char(value: Any, **arguments: Any) -> Any:
    if value is None:
        return None
    kind = arguments.get("type")
    if kind is None:
        raise FilterError("'escapeChar' needs the argument 'type' (single, double or shell)")
    text = java_str(value)
    style = java_str(kind).lower()
    if style == "single":
        return text.replace("'", "\\'")
    if style == "double":
        return text.replace('"', '\\"')
    if style == "shell":
        return text.replace("'", "'\\''")
    raise FilterError("'escapeChar' type must be 'single', 'double' or 'shell'")


_NOT_SLUG = re.compile(r"[^A-Za-z0-9_-]")
_WHITESPACE = re.compile(r"\s")


@_filter("slugify")
def _slugify(value: Any) -> Any:
    """Whitespace to '-', accents dropped, anything else not [A-Za-z0-9_-] removed, lower-cased."""
    if value is None:
        return None
    text = unicodedata.normalize("NFD", _WHITESPACE.sub("-", java_str(value)))
    slug = _NOT_SLUG.sub("", text)
    slug = slug.removeprefix("-").removesuffix("-")
    return slug.lower()


def _line_separator(text: str) -> str:
    for separator in ("\r\n", "\n\r", "\n", "\r"):
        if separator in text:
            return separator
    return "\n"


def _indent(value: Any, amount: Any, prefix: Any, new_line: bool, name: str) -> Any:
    if value is None:
        return None
    text = java_str(value)
    if text == "":
        return text
    if amount is None:
        raise FilterError(f"'{name}' needs the argument 'amount'")
    count = _integer(amount, f"{name}'s amount")
    if count < 0:
        raise FilterError(f"{name}'s amount must not be negative")
    unit = " " if prefix is None else java_str(prefix)
    if len(unit) * count * (text.count(_line_separator(text)) + 1) > MAX_TEXT:
        raise FilterError(f"the result would be longer than {MAX_TEXT} characters")
    pad = unit * count
    separator = _line_separator(text)
    if new_line:
        text = separator + text
    return text.replace(separator, separator + pad)


@_filter("indent", params=("amount", "prefix"))
def _indent_filter(value: Any, amount: Any = None, prefix: Any = None) -> Any:
    """Indent every line but the first (which is assumed to be in place already)."""
    return _indent(value, amount, prefix, False, "indent")


@_filter("nindent", params=("amount", "prefix"))
def _nindent_filter(value: Any, amount: Any = None, prefix: Any = None) -> Any:
    """Start with a new line, then indent every line."""
    return _indent(value, amount, prefix, True, "nindent")


@_filter("condense")
def _condense(value: Any) -> Any:
    if not isinstance(value, str):
        raise FilterError("'condense' can only be applied to strings")
    return value.replace("\n", "")


@_filter("nl2br")
def _nl2br(value: Any) -> Any:
    return None if value is None else java_str(value).replace("\n", "<br />")


@_filter("base64encode")
def _base64encode(value: Any) -> Any:
    if value is None:
        return None
    return base64.b64encode(_string(value, "base64encode").encode("utf-8")).decode("ascii")


@_filter("base64decode")
def _base64decode(value: Any) -> Any:
    if value is None:
        return None
    try:
        return base64.b64decode(_string(value, "base64decode"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise FilterError("the value is not valid base64 (of UTF-8 text)") from None


@_filter("urlencode")
def _urlencode(value: Any) -> Any:
    return None if value is None else url_encode(_string(value, "urlencode"))


@_filter("urldecode")
def _urldecode(value: Any) -> Any:
    if value is None:
        return None
    try:
        return url_decode(_string(value, "urldecode"))
    except UnicodeDecodeError:
        raise FilterError("the value is not URL-encoded UTF-8") from None


def _hash(algorithm: str) -> Any:
    def digest(value: Any) -> Any:
        if value is None:
            return None
        return hashlib.new(algorithm, java_str(value).encode("utf-8")).hexdigest()

    return digest


for _name in ("md5", "sha1", "sha256", "sha512"):
    _filter(_name)(_hash(_name))


# ---- numbers -------------------------------------------------------------------------------------


@_filter("abs")
def _abs(value: Any) -> Any:
    if value is None:
        return None
    if not is_number(value):
        raise FilterError(f"'abs' needs a number, not a {type_name(value)}")
    return abs(value)


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?[fFdDlL]?")


def _parse_number(text: str) -> int | float:
    """Commons Lang's ``NumberUtils.createNumber``: integers, decimals, hex, type suffixes."""
    body = text.strip()
    lowered = body.lower()
    try:
        if lowered.lstrip("+-").startswith(("0x", "#")):
            sign = -1 if lowered.startswith("-") else 1
            return sign * int(lowered.lstrip("+-").removeprefix("0x").removeprefix("#"), 16)
        if not _NUMBER.fullmatch(body):
            raise ValueError(body)
        if lowered.endswith("l"):
            return int(body[:-1])
        if lowered.endswith(("f", "d")) or any(c in lowered for c in ".e"):
            return float(body.rstrip("fFdD"))
        return int(body)
    except ValueError:
        raise FilterError("the value is not a number") from None


@_filter("number", params=("type",))
def _number(value: Any, **arguments: Any) -> Any:
    """Parse a string as a number (INT, LONG, FLOAT, DOUBLE, BIGDECIMAL, BIGINTEGER, or inferred).

    Kestra accepts strings only; kflow also passes numbers through unchanged.
    """
    if value is None:
        return None
    if is_number(value):
        return value
    if not isinstance(value, str):
        raise FilterError(f"'number' can only be applied to a string, not a {type_name(value)}")
    kind = java_str(arguments.get("type") or "").upper()
    number = _parse_number(value)
    if kind in ("INT", "LONG", "BIGINTEGER"):
        if isinstance(number, float):
            raise FilterError(f"the value is not an integer (type {kind})")
        return number
    if kind in ("FLOAT", "DOUBLE", "BIGDECIMAL"):
        return float(number)
    if kind:
        raise FilterError(
            "'number' type must be INT, LONG, FLOAT, DOUBLE, BIGDECIMAL or BIGINTEGER"
        )
    return number


@_filter("int")
def _int(value: Any) -> Any:
    """The seed notes' ``| int``: a number or numeric string as an integer (truncated)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise FilterError("'int' cannot convert a boolean")
    if is_number(value):
        return int(value)
    if isinstance(value, str):
        number = _parse_number(value)
        return int(number)
    raise FilterError(f"'int' cannot convert a {type_name(value)}")


@_filter("numberFormat", "numberformat", params=("format",))
def _number_format(value: Any, **arguments: Any) -> Any:
    if value is None:
        return None
    pattern = arguments.get("format")
    if pattern is None:
        raise FilterError("'numberFormat' needs a format, e.g. numberFormat('#.##')")
    if not is_number(value):
        raise FilterError(f"'numberFormat' needs a number, not a {type_name(value)}")
    return format_decimal(value, java_str(pattern))


@_filter("string")
def _to_string(value: Any) -> Any:
    """A number (or numeric string, normalised as Java's BigDecimal prints it) as a string.

    kflow also accepts booleans and non-numeric strings (unchanged), which Kestra refuses.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return str(Decimal(value.strip())) if value.strip() else value
        except InvalidOperation:
            return value
    if isinstance(value, bool) or is_number(value):
        return java_str(value)
    raise FilterError(f"'string' needs a number or a string, not a {type_name(value)}")


@_filter("toBoolean")
def _to_boolean(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if is_number(value):
        return value != 0
    raise FilterError(f"cannot convert a {type_name(value)} to a boolean")


@_filter("className")
def _class_name(value: Any) -> Any:
    return java_class_name(value)


# ---- collections ---------------------------------------------------------------------------------


@_filter("length")
def _length(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, (str, list, tuple, Mapping)):
        return len(value)
    return 0


@_filter("first")
def _first(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            raise FilterError("'first' of an empty string")
        return value[0]
    if isinstance(value, Mapping):
        raise FilterError("'first' needs a list or a string, not a map")
    sequence = _sequence(value, "first")
    return sequence[0] if sequence else None


@_filter("last")
def _last(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            raise FilterError("'last' of an empty string")
        return value[-1]
    sequence = _sequence(value, "last")
    return sequence[-1] if sequence else None


@_filter("join", params=("separator",))
def _join(value: Any, separator: Any = None) -> Any:
    if value is None:
        return None
    glue = "" if separator is None else java_str(separator)
    return glue.join(java_str(item) for item in _sequence(value, "join"))


@_filter("keys")
def _keys(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value.keys())
    if isinstance(value, (list, tuple)):
        return list(range(len(value)))
    raise FilterError(f"'keys' needs a map or a list, not a {type_name(value)}")


@_filter("values")
def _values(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value.values())
    raise FilterError(f"'values' needs a map, not a {type_name(value)}")


@_filter("reverse")
def _reverse(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return value[::-1]
    return list(reversed(_sequence(value, "reverse")))


def _sort_key(items: list[Any] | tuple[Any, ...]) -> Any:
    if all(is_number(item) for item in items) or all(isinstance(i, str) for i in items):
        return None
    raise FilterError("'sort' needs a list of numbers or a list of strings")


@_filter("sort")
def _sort(value: Any) -> Any:
    if value is None:
        return None
    items = _sequence(value, "sort")
    _sort_key(items)
    return sorted(items)


@_filter("rsort")
def _rsort(value: Any) -> Any:
    if value is None:
        return None
    items = _sequence(value, "rsort")
    _sort_key(items)
    return sorted(items, reverse=True)


@_filter("slice", params=("fromIndex", "toIndex"))
def _slice(value: Any, fromIndex: Any = None, toIndex: Any = None) -> Any:
    if value is None:
        return None
    if not isinstance(value, (str, list, tuple)):
        raise FilterError(f"'slice' needs a string or a list, not a {type_name(value)}")
    start = 0 if fromIndex is None else _integer(fromIndex, "slice's fromIndex")
    if start < 0:
        raise FilterError("slice's fromIndex must not be negative")
    end = len(value)
    if toIndex is not None:
        end = _integer(toIndex, "slice's toIndex")
        if end > len(value):
            raise FilterError(f"slice's toIndex must not exceed the length ({len(value)})")
        if start >= end:
            raise FilterError("slice's toIndex must be greater than fromIndex")
    return value[start:end] if isinstance(value, str) else list(value[start:end])


@_filter("merge", params=("items",))
def _merge(value: Any, items: Any = None) -> Any:
    if value is None:
        if items is None:
            raise FilterError("'merge' of two nulls")
        return items
    if items is None:
        return value
    if isinstance(value, Mapping):
        merged = dict(value)
        if isinstance(items, Mapping):
            merged.update(items)
        elif isinstance(items, (list, tuple)):
            merged.update((item, item) for item in items)
        else:
            raise FilterError("only a map or a list can be merged into a map")
        return merged
    if isinstance(value, (list, tuple)):
        if isinstance(items, Mapping):
            return [*value, *(MapEntry(k, v) for k, v in items.items())]
        if isinstance(items, (list, tuple)):
            return [*value, *items]
        raise FilterError("only a map or a list can be merged into a list")
    raise FilterError(f"'merge' needs a map or a list, not a {type_name(value)}")


@_filter("chunk", params=("size",))
def _chunk(value: Any, size: Any = None) -> Any:
    if value is None:
        return None
    if size is None:
        raise FilterError("'chunk' needs the argument 'size'")
    items = _sequence(value, "chunk")
    count = _integer(size, "chunk's size")
    if count <= 0:
        raise FilterError("chunk's size must be positive")
    return [list(items[i : i + count]) for i in range(0, len(items), count)]


@_filter("distinct", "uniq", "unique")
def _distinct(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        return value
    out: list[Any] = []
    for item in value:
        if not any(pebble_equals(item, kept) for kept in out):
            out.append(item)
    return out


@_filter("flatten")
def _flatten(value: Any) -> Any:
    if value is None:
        return None
    items = _sequence(value, "flatten")
    out: list[Any] = []
    for item in items:
        if isinstance(item, (list, tuple)):
            out.extend(item)
        else:
            out.append(item)
    return out


@_filter("default", params=("default",), guards_input=True)
def _default(value: Any, **arguments: Any) -> Any:
    """The argument when ``value`` is undefined, null, blank or an empty collection."""
    return arguments.get("default") if TESTS["empty"](value) else value


# ---- JSON, YAML, jq ------------------------------------------------------------------------------


def parse_json(text: Any) -> Any:
    """Parse a JSON string (Kestra's ``fromJson``); null stays null."""
    if text is None:
        return None
    if not isinstance(text, str):
        raise FilterError(f"'fromJson' needs a JSON string, not a {type_name(text)}")
    try:
        return json.loads(text)
    except ValueError as error:
        raise FilterError(f"invalid JSON: {error.args[0].split(':')[0]}") from None


@_filter("toJson", "json", "jsonEncode")
def _to_json(value: Any) -> str:
    return "null" if value is None else to_json(value)


@_filter("fromJson")
def _from_json(value: Any) -> Any:
    return parse_json(value)


class _IndentedDumper(yaml.SafeDumper):
    """Indents lists under their key, as Jackson's YAML writer with INDENT_ARRAYS does."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {java_str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, MapEntry):
        return {java_str(value.key): _plain(value.value)}
    return value


def dump_yaml(value: Any) -> str:
    """``value`` as a YAML document (block style, no ``---``), as Kestra's ``yaml`` filter."""
    return str(
        yaml.dump(
            _plain(value),
            Dumper=_IndentedDumper,
            default_flow_style=False,
            sort_keys=False,
            allow_unicode=True,
            width=2**31 - 1,
        )
    ).removesuffix("...\n")


@_filter("yaml")
def _yaml(value: Any) -> str:
    return "null" if value is None else dump_yaml(value)


@_filter("jq", params=("expression",))
def _jq(value: Any, expression: Any = None) -> Any:
    """Apply a jq program; the result is always the list of everything it outputs.

    A string input is parsed as JSON first (as Kestra does).
    """
    if value is None:
        return None
    if expression is None:
        raise FilterError("'jq' needs an expression")
    try:
        import jq
    except ImportError:  # pragma: no cover - jq is a dependency
        raise FilterError("the 'jq' filter needs the jq package") from None
    data = parse_json(value) if isinstance(value, str) else json.loads(to_json(value))
    try:
        program = jq.compile(java_str(expression))
        return list(program.input_value(data).all())
    except ValueError as error:
        raise FilterError(f"jq failed: {str(error).splitlines()[0]}") from None


# ---- dates ---------------------------------------------------------------------------------------


def _date_args(arguments: Mapping[str, Any]) -> tuple[dates.Zone, str | None, str | None]:
    zone = arguments.get("timeZone")
    existing = arguments.get("existingFormat")
    locale = arguments.get("locale")
    return (
        dates.zone_of(None if zone is None else java_str(zone)),
        None if existing is None else java_str(existing),
        None if locale is None else java_str(locale),
    )


@_filter("date", params=_DATE_ARGS)
def _date(value: Any, **arguments: Any) -> Any:
    """Format a date (ISO string, epoch number or ``existingFormat`` string); default ``iso``."""
    if value is None:
        return None
    zone, existing, locale = _date_args(arguments)
    moment = dates.parse_moment(value, zone, existing)
    return dates.format_moment(moment, java_str(arguments.get("format") or "iso"), zone, locale)


@_filter("dateAdd", params=("amount", "unit", *_DATE_ARGS))
def _date_add(value: Any, **arguments: Any) -> Any:
    if value is None:
        return None
    amount, unit = arguments.get("amount"), arguments.get("unit")
    if amount is None or unit is None:
        raise FilterError("'dateAdd' needs an amount and a unit, e.g. dateAdd(-1, 'DAYS')")
    zone, existing, locale = _date_args(arguments)
    moment = dates.parse_moment(value, zone, existing)
    moved = dates.add(moment, _integer(amount, "dateAdd's amount"), java_str(unit).upper())
    return dates.format_moment(moved, java_str(arguments.get("format") or "iso"), zone, locale)


def _timestamp(scale: int) -> Any:
    def convert(value: Any, **arguments: Any) -> Any:
        if value is None:
            return None
        zone, existing, _ = _date_args(arguments)
        moment = dates.parse_moment(value, zone, existing)
        return moment.epoch_second() * scale + moment.nano * scale // 1_000_000_000

    return convert


_filter("timestamp", params=_TIMESTAMP_ARGS)(_timestamp(1))
_filter("timestampMilli", params=_TIMESTAMP_ARGS)(_timestamp(1000))
_filter("timestampMicro", params=_TIMESTAMP_ARGS)(_timestamp(1_000_000))
_filter("timestampNano", params=_TIMESTAMP_ARGS)(_timestamp(1_000_000_000))
