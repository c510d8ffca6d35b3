"""Property types shared by the built-in plugin specs, and the keys common to every plugin kind.

A Kestra property may almost always hold a template (`concurrencyLimit: "{{ inputs.n }}"`) in place
of its type: `Templated[int]` accepts an int or a string holding `{{`, `{%` or `{#`, and nothing
else (`"many"` fails as an int would). `Dynamic[T]` also takes a JSON string holding a T, as Kestra
does for `ForEach.values`, `inputFiles` or `Labels.labels`.

Validation errors carry pydantic error types the checker maps onto codes: `missing` → KF201,
`extra_forbidden` → KF202, `kflow_duration` → KF207, `kflow_cron` → KF208, `literal_error` → KF211,
anything else (`kflow_type`, `kflow_timezone`, `kflow_conflict`, pydantic's own) → KF203.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

__all__ = [
    "CONDITION_COMMON_KEYS",
    "CRON_NICKNAMES",
    "STATES",
    "TASK_COMMON_KEYS",
    "TEMPLATE_MARKERS",
    "TRIGGER_COMMON_KEYS",
    "Concurrency",
    "ConditionRef",
    "Cron",
    "DayOfWeek",
    "Duration",
    "Dynamic",
    "Labels",
    "Level",
    "NamespaceFiles",
    "Properties",
    "Retry",
    "State",
    "Templated",
    "Text",
    "TextList",
    "TimeZone",
    "check_cron",
    "is_template",
    "parse_duration",
    "property_names",
    "validate_duration",
]

T = TypeVar("T")

# -- the keys the compiler checks itself --------------------------------------------------------

#: Keys every task has; the checker validates them, plugin models never see them. `conditions` is
#: the seed notes' task-level form (read like `runIf`).
TASK_COMMON_KEYS = frozenset(
    {
        "id",
        "type",
        "version",
        "description",
        "retry",
        "timeout",
        "disabled",
        "workerGroup",
        "logLevel",
        "logToFile",
        "allowFailure",
        "allowWarning",
        "runIf",
        "taskCache",
        "conditions",
    }
)

#: Keys every trigger has (Kestra's AbstractTrigger); `minLogLevel` is the old name of `logLevel`.
TRIGGER_COMMON_KEYS = frozenset(
    {
        "id",
        "type",
        "version",
        "description",
        "conditions",
        "disabled",
        "workerGroup",
        "logLevel",
        "minLogLevel",
        "logToFile",
        "labels",
        "stopAfter",
        "failOnTriggerError",
        "allowConcurrent",
    }
)

#: Keys every condition has.
CONDITION_COMMON_KEYS = frozenset({"type"})

# -- templates ------------------------------------------------------------------------------------

TEMPLATE_MARKERS = ("{{", "{%", "{#")


def is_template(value: object) -> bool:
    """Whether `value` is a string holding a Pebble expression, tag or comment."""
    return isinstance(value, str) and any(marker in value for marker in TEMPLATE_MARKERS)


_TEMPLATE_SCHEMA: JsonSchemaValue = {
    "type": "string",
    "pattern": r"\{[{%#]",
    "description": "a Kestra template, rendered when the task runs",
}


_EXPECTED = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "list": "a list",
    "dict": "a mapping",
    "model": "a mapping",
}
# errors that only say "not of this type"; others (ranges, enum values, nested items) stay as is
_TYPE_ERRORS = frozenset(
    f"{kind}_{what}"
    for kind in ("int", "float", "bool", "list", "dict", "model")
    for what in ("type", "parsing", "from_float", "attributes_type")
) | {"string_type"}


class _AllowTemplate:
    """Annotation: a template string stands in for the annotated type."""

    #: also take a JSON string holding the type (`Dynamic`)
    json_text = False

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        inner = handler(source)
        expected = _EXPECTED.get(_schema_kind(inner))
        if expected and self.json_text:
            expected = f"{expected}, a JSON string holding one,"

        def validate(value: Any, validate_inner: core_schema.ValidatorFunctionWrapHandler) -> Any:
            if is_template(value):
                return value
            decoded = value
            if isinstance(value, str) and self.json_text:
                try:
                    decoded = json.loads(value)
                except ValueError:
                    decoded = value
            try:
                return validate_inner(decoded)
            except ValidationError as error:
                if expected and isinstance(value, str) and _only_type_errors(error):
                    raise PydanticCustomError(
                        "kflow_type",
                        "expected {expected} or a template, not {value}",
                        {"expected": expected, "value": _show(value)},
                    ) from None
                raise

        return core_schema.no_info_wrap_validator_function(validate, inner)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"anyOf": [handler(schema), _TEMPLATE_SCHEMA]}


class _AllowJsonOrTemplate(_AllowTemplate):
    """Annotation: a template, or a JSON string holding the annotated type, stands in for it."""

    json_text = True

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        text = {"type": "string", "description": "a JSON string holding the value, or a template"}
        return {"anyOf": [handler(schema), text]}


def _schema_kind(schema: core_schema.CoreSchema) -> str:
    """The kind of value a core schema validates, looking through validator functions."""
    while schema["type"].startswith("function-") and "schema" in schema:
        schema = schema["schema"]
    return str(schema["type"])


def _only_type_errors(error: ValidationError) -> bool:
    return all(not e["loc"] and e["type"] in _TYPE_ERRORS for e in error.errors())


def _show(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:37] + "...")


#: The type, or a template string (`Templated[int]`).
Templated = Annotated[T, _AllowTemplate()]
#: The type, a JSON string holding it, or a template string (`Dynamic[list[Any]]`).
Dynamic = Annotated[T, _AllowJsonOrTemplate()]


def _scalar_text(value: Any) -> Any:
    # Jackson reads a YAML number or boolean into a String property as its text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return value


#: A string property; numbers and booleans are read as their text, as Kestra does.
Text = Annotated[str, BeforeValidator(_scalar_text)]

# -- durations ------------------------------------------------------------------------------------

# java.time.Duration.parse, which Kestra uses: days, hours, minutes and (fractional) seconds only
_JAVA_DURATION = re.compile(
    r"[-+]?P(?:[-+]?\d+D)?(?:T(?=[-+]?\d)(?:[-+]?\d+H)?(?:[-+]?\d+M)?(?:[-+]?\d+(?:[.,]\d{1,9})?S)?)?",
    re.IGNORECASE,
)
_DURATION_PART = re.compile(r"([-+]?\d+(?:[.,]\d+)?)([DHMS])")
_DURATION_HINT = "expected a form like PT30S, PT5M, PT2H or P1D"


def validate_duration(value: object) -> str | None:
    """Why `value` is not a Kestra (java.time) duration, or None when it is one."""
    if not isinstance(value, str):
        return f"{_DURATION_HINT}, not a {_kind(value)}"
    text = value.strip().upper()
    if _JAVA_DURATION.fullmatch(text) and any(ch.isdigit() for ch in text):
        return None
    import isodate  # only durations java.time rejects need it: ~3 ms less at start-up

    try:
        isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError):
        return _DURATION_HINT
    if any(unit in text.partition("T")[0] for unit in "YMW"):
        return "years, months and weeks are not durations in Kestra; count in days (P7D)"
    return _DURATION_HINT


def parse_duration(value: str) -> timedelta:
    """The length of a Kestra duration such as `PT1M30S`; ValueError when it is not one."""
    problem = validate_duration(value)
    if problem:
        raise ValueError(f"invalid duration {value!r}: {problem}")
    text = value.strip().upper()
    sign = -1 if text.startswith("-") else 1
    date_part, _, time_part = text.lstrip("+-")[1:].partition("T")
    units = {"D": 86400.0}
    total = 0.0
    for part, scale in ((date_part, units), (time_part, {"H": 3600.0, "M": 60.0, "S": 1.0})):
        for number, unit in _DURATION_PART.findall(part):
            total += float(number.replace(",", ".")) * scale[unit]
    return timedelta(seconds=sign * total)


def _check_duration(value: Any) -> Any:
    if is_template(value):
        return value
    problem = validate_duration(value)
    if problem:
        raise PydanticCustomError(
            "kflow_duration",
            "invalid ISO-8601 duration {value}: {problem}",
            {"value": repr(value), "problem": problem},
        )
    return value.strip()


#: An ISO-8601 duration as java.time reads it (`PT5M`, `P1D`, `PT0.5S`), or a template.
Duration = Annotated[
    str,
    BeforeValidator(_check_duration),
    WithJsonSchema({"type": "string", "format": "duration", "examples": ["PT1M"]}),
]

# -- cron ------------------------------------------------------------------------------------------

#: The nicknames Kestra's Schedule accepts.
CRON_NICKNAMES = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)


_SECOND = ("second", 0, 59)
_CRON_FIELDS = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 7),
)
_QUARTZ_ONLY = re.compile(r"\?|\d*L|\d+W|LW|L-\d+|\w+#\d", re.IGNORECASE)


def check_cron(expression: str, with_seconds: bool = False) -> str | None:
    """Why `expression` is not a cron Kestra accepts (5 fields, 6 with seconds first), or None."""
    text = expression.strip()
    if text.startswith("@"):
        if text.lower() in CRON_NICKNAMES:
            return None
        return f"unknown nickname; use one of {', '.join(sorted(CRON_NICKNAMES))}"
    fields = text.split()
    expected = 6 if with_seconds else 5
    if len(fields) != expected:
        if with_seconds:
            return f"expected 6 fields (seconds first) with withSeconds: true, got {len(fields)}"
        more = " (set withSeconds: true for a seconds field)" if len(fields) == 6 else ""
        return f"expected 5 fields (minute hour day month weekday), got {len(fields)}{more}"
    if any(_QUARTZ_ONLY.fullmatch(part) for field in fields for part in field.split(",")):
        return "L, W, # and ? (Quartz forms) are not supported"
    fields_and_ranges = zip(
        fields, ((_SECOND,) if with_seconds else ()) + _CRON_FIELDS, strict=True
    )
    for field_text, (name, low, high) in fields_and_ranges:
        for part in field_text.split(","):
            for bound in part.partition("/")[0].split("-"):
                if bound.isdigit() and not low <= int(bound) <= high:
                    return f"{name} {bound} is out of range ({low}-{high})"
    from croniter import croniter  # imported when needed: it costs ~70 ms

    if not croniter.is_valid(text, second_at_beginning=with_seconds):
        return "a field is malformed"
    from croniter import CroniterBadDateError

    try:  # from a leap year's start: a date that exists only in leap years still fires
        croniter(text, datetime(2024, 1, 1), second_at_beginning=with_seconds).get_next(datetime)
    except CroniterBadDateError:
        return "it never fires (no such date)"
    return None


def _check_cron_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise PydanticCustomError(
            "kflow_cron", "a cron expression must be a string, not a {kind}", {"kind": _kind(value)}
        )
    # the field count depends on `withSeconds`; the Schedule model checks it with that known
    problem = check_cron(value, with_seconds=len(value.split()) == 6)
    if problem:
        raise PydanticCustomError(
            "kflow_cron",
            "invalid cron {value}: {problem}",
            {"value": repr(value), "problem": problem},
        )
    return value


#: A cron expression or nickname (`0 9 * * *`, `@daily`); templates are not allowed here.
Cron = Annotated[
    str,
    BeforeValidator(_check_cron_text),
    WithJsonSchema({"type": "string", "examples": ["0 9 * * *", "@daily"]}),
]

# -- timezones ------------------------------------------------------------------------------------

_OFFSET_ZONE = re.compile(r"(?:Z|(?:UTC|GMT|UT)?[+-]\d{1,2}(?::?\d{2})?(?::?\d{2})?|UTC|GMT|UT)")


def _check_timezone(value: Any) -> Any:
    if not isinstance(value, str) or is_template(value) or _OFFSET_ZONE.fullmatch(value):
        return value
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise PydanticCustomError(
            "kflow_timezone",
            "unknown time zone {value}; use an IANA name such as Europe/Paris, or an offset",
            {"value": repr(value)},
        ) from None
    return value


#: An IANA time zone name (`Europe/Paris`) or an offset (`+02:00`, `UTC`).
TimeZone = Annotated[
    str, BeforeValidator(_check_timezone), WithJsonSchema({"type": "string", "examples": ["UTC"]})
]

# -- enumerations ---------------------------------------------------------------------------------

Level = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
State = Literal[
    "CREATED",
    "RUNNING",
    "PAUSED",
    "RESTARTED",
    "KILLING",
    "SUCCESS",
    "WARNING",
    "FAILED",
    "KILLED",
    "CANCELLED",
    "QUEUED",
    "RETRYING",
    "RETRIED",
    "SKIPPED",
    "BREAKPOINT",
]
STATES: tuple[str, ...] = get_args(State)
DayOfWeek = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]

# -- models ---------------------------------------------------------------------------------------


class Properties(BaseModel):
    """Base of every properties model: unknown keys are errors, names are Kestra's."""

    model_config = ConfigDict(extra="forbid", populate_by_name=False, frozen=True, defer_build=True)


def property_names(model: type[BaseModel]) -> list[str]:
    """The property names as written in YAML (aliases such as `from` and `in`), in order."""
    return [field.alias or name for name, field in model.model_fields.items()]


def _labels_mapping(value: Any) -> Any:
    # Kestra reads labels as a mapping or as a list of {key, value}; kflow validates the mapping
    if not isinstance(value, list):
        return value
    labels: dict[Any, Any] = {}
    for item in value:
        if not isinstance(item, dict) or set(item) != {"key", "value"}:
            raise PydanticCustomError(
                "kflow_type", "a label in a list is a mapping of 'key' and 'value'"
            )
        labels[item["key"]] = item["value"]
    return labels


#: Labels: a mapping, or a list of {key, value} (read as a mapping).
Labels = Annotated[
    dict[str, Text],
    BeforeValidator(_labels_mapping, json_schema_input_type=dict[str, str] | list[dict[str, str]]),
]


def _one_or_many(value: Any) -> Any:
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        raise PydanticCustomError("kflow_type", "expected a string or a list of strings")
    return [value]


#: One string or a list of strings (read as a list).
TextList = Annotated[
    list[Text], BeforeValidator(_one_or_many, json_schema_input_type=str | list[str])
]


class ConditionRef(BaseModel):
    """A condition nested in another (MultipleCondition, Not, Or); the checker validates it."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    type: str = Field(description="The condition type.")


class NamespaceFiles(Properties):
    """`namespaceFiles`: which files of the namespace to put in the working directory."""

    enabled: Templated[bool] = Field(True, description="Inject namespace files.")
    include: Templated[list[Text]] | None = Field(None, description="Glob patterns to include.")
    exclude: Templated[list[Text]] | None = Field(None, description="Glob patterns to exclude.")
    ifExists: Templated[Literal["OVERWRITE", "FAIL", "WARN", "IGNORE"]] = Field(
        "OVERWRITE", description="What to do when a file already exists."
    )
    folderPerNamespace: Templated[bool] = Field(False, description="One folder per namespace.")
    namespaces: Templated[list[Text]] | None = Field(None, description="Namespaces to read.")


# -- retry ----------------------------------------------------------------------------------------

RetryType = Literal["constant", "exponential", "random"]
_RETRY_TYPE_PREFIXES = ("io.kestra.plugin.core.retry.", "io.kestra.core.models.tasks.retrys.")


def _retry_type(value: Any) -> Any:
    # `exponential`, `Exponential` and `io.kestra.plugin.core.retry.Exponential` are one type
    if isinstance(value, str):
        name = value
        for prefix in _RETRY_TYPE_PREFIXES:
            if name.startswith(prefix):
                name = name[len(prefix) :]
        if name.lower() in ("constant", "exponential", "random"):
            return name.lower()
    return value


_RETRY_NEEDS: dict[str, tuple[str, ...]] = {
    "interval": ("constant",),
    "minInterval": ("random",),
}
_RETRY_FOR: dict[str, tuple[str, ...]] = {
    "interval": ("constant", "exponential"),
    "delayFactor": ("exponential",),
    "maxDelay": ("exponential", "random"),
    "maxInterval": ("exponential", "random"),
    "minInterval": ("random",),
}


class Retry(Properties):
    """A task's or flow's `retry`: constant, exponential or random, with the deprecated names too.

    `maxAttempt` (read as `maxAttempts`) and `maxDelay` (read as `maxInterval`) are the seed notes'
    and Kestra's older names. An exponential retry without `interval` is accepted (the seed notes
    write none); Kestra itself requires one.
    """

    type: Annotated[RetryType, BeforeValidator(_retry_type)] = Field(
        description="constant, exponential or random (full class names are accepted too)."
    )
    maxAttempts: int | None = Field(None, ge=1, description="The maximum number of attempts.")
    maxAttempt: int | None = Field(
        None, ge=1, deprecated="write 'maxAttempts'", description="Old name of maxAttempts."
    )
    maxDuration: Duration | None = Field(None, description="Stop retrying after this duration.")
    warningOnRetry: bool = Field(False, description="End in WARNING when a retry succeeded.")
    behavior: Literal["RETRY_FAILED_TASK", "CREATE_NEW_EXECUTION"] = Field(
        "RETRY_FAILED_TASK", description="Retry the task in place, or start a new execution."
    )
    interval: Duration | None = Field(
        None,
        validate_default=True,
        description="Delay between attempts (constant), or the first one.",
    )
    delayFactor: float | None = Field(
        None, validate_default=True, description="Growth factor of an exponential delay."
    )
    maxDelay: Duration | None = Field(
        None,
        validate_default=True,
        deprecated="write 'maxInterval'",
        description="Old maxInterval.",
    )
    maxInterval: Duration | None = Field(
        None, validate_default=True, description="The longest delay (exponential, random)."
    )
    minInterval: Duration | None = Field(
        None, validate_default=True, description="The shortest delay (random)."
    )

    @field_validator("maxAttempt")
    @classmethod
    def _one_attempts(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and info.data.get("maxAttempts") is not None:
            raise PydanticCustomError("kflow_conflict", "write only 'maxAttempts'")
        return value

    @field_validator("interval", "delayFactor", "maxDelay", "maxInterval", "minInterval")
    @classmethod
    def _fits_type(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.field_name or ""
        kind = info.data.get("type")
        if kind is None:
            return value
        if value is not None and kind not in _RETRY_FOR[name]:
            raise PydanticCustomError(
                "extra_forbidden", "{kind} retries have no '{name}'", {"kind": kind, "name": name}
            )
        if name == "maxInterval":
            if value is not None and info.data.get("maxDelay") is not None:
                raise PydanticCustomError("kflow_conflict", "write only 'maxInterval'")
            needed = value is None and info.data.get("maxDelay") is None
            if needed and kind in ("exponential", "random"):
                raise PydanticCustomError("missing", "Field required")
        elif value is None and kind in _RETRY_NEEDS.get(name, ()):
            raise PydanticCustomError("missing", "Field required")
        return value


class Concurrency(Properties):
    """A flow's `concurrency`: at most `limit` executions of the flow run at once."""

    limit: int = Field(ge=1, strict=True, description="The most executions running at once.")
    behavior: Literal["QUEUE", "CANCEL", "FAIL"] = Field(
        "QUEUE",
        description="What becomes of an execution over the limit: it waits for a slot (QUEUE), "
        "or ends at once CANCELLED (CANCEL) or FAILED (FAIL).",
    )


def _kind(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", list: "list", dict: "mapping"}.get(
        type(value), type(value).__name__
    )
