"""Coded diagnostics: the one way kflow tells a user what is wrong with a flow.

Every code lives in `CODES`, grouped as in DESIGN.md: KF1xx YAML and files, KF2xx schema,
KF3xx semantics, KF4xx target support, KF5xx expressions. A code's default severity is part of its
definition, so a rule cannot report a deprecation as an error by accident.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from kflow.compiler.source import SourceText, Span


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Code:
    code: str
    name: str
    severity: Severity
    summary: str


def _codes(*rows: tuple[str, str, Severity, str]) -> dict[str, Code]:
    return {row[0]: Code(*row) for row in rows}


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

CODES: dict[str, Code] = _codes(
    # KF1xx: files and YAML
    ("KF101", "yaml-syntax", E, "the file is not valid YAML"),
    ("KF102", "duplicate-key", E, "a mapping has the same key twice"),
    ("KF103", "empty-file", E, "the file holds no flow"),
    ("KF104", "multiple-documents", E, "the file holds more than one YAML document"),
    ("KF105", "not-a-mapping", E, "the flow document is not a mapping"),
    ("KF106", "tab-indentation", E, "a tab is used for indentation"),
    ("KF107", "unreadable-file", E, "the file cannot be read as UTF-8 text of a sensible size"),
    ("KF108", "nesting-too-deep", E, "the document nests deeper than kflow accepts"),
    # KF2xx: schema of flows, tasks, triggers, inputs
    ("KF201", "missing-property", E, "a required property is missing"),
    ("KF202", "unknown-property", E, "a property is not known for this flow, task or trigger"),
    ("KF203", "wrong-type", E, "a value has the wrong type"),
    ("KF204", "unknown-task-type", E, "a task type is not known"),
    ("KF205", "unknown-trigger-type", E, "a trigger type is not known"),
    ("KF206", "unknown-condition-type", E, "a condition type is not known"),
    ("KF207", "invalid-duration", E, "a duration is not ISO-8601"),
    ("KF208", "invalid-cron", E, "a cron expression is not valid"),
    ("KF209", "unknown-input-type", E, "an input type is not known"),
    ("KF210", "invalid-input-default", E, "an input's default does not fit its type"),
    ("KF211", "invalid-value", E, "a value is not one of those allowed"),
    ("KF212", "empty-task-list", E, "a flowable needs at least one child task"),
    ("KF213", "deprecated-form", W, "a deprecated or seed-only form is used"),
    ("KF214", "connection-from-defaults", W, "connection properties must come from elsewhere"),
    ("KF215", "invalid-input", E, "an input definition is not valid"),
    # KF3xx: semantics
    ("KF301", "invalid-flow-id", E, "the flow id is not valid"),
    ("KF302", "invalid-namespace", E, "the namespace is not valid"),
    ("KF303", "duplicate-task-id", E, "two tasks share an id"),
    ("KF304", "duplicate-input-id", E, "two inputs share an id"),
    ("KF305", "duplicate-trigger-id", E, "two triggers share an id"),
    ("KF306", "dag-cycle", E, "the dependencies of a Dag form a cycle"),
    ("KF307", "unknown-dependency", E, "a Dag task depends on a task that does not exist"),
    ("KF308", "undefined-input", E, "an expression reads an input the flow does not declare"),
    ("KF309", "undefined-variable", E, "an expression reads a variable the flow does not declare"),
    ("KF310", "undefined-task", E, "an expression reads the outputs of a task that does not exist"),
    ("KF311", "unknown-output", E, "an expression reads an output the task does not produce"),
    (
        "KF312",
        "output-not-ready",
        E,
        "an expression reads outputs of a task that cannot have run yet",
    ),
    ("KF313", "recursive-subflow", E, "a flow starts itself as a subflow"),
    ("KF314", "reserved-label", E, "a label uses the reserved 'system.' prefix"),
    ("KF315", "invalid-task-id", E, "a task or trigger id is not valid"),
    ("KF316", "enterprise-only", E, "a property needs Kestra Enterprise"),
    ("KF317", "task-not-allowed-here", E, "a task of this kind cannot be placed here"),
    (
        "KF318",
        "unknown-upstream-flow",
        W,
        "a Flow trigger waits for a flow that is not among the flows validated",
    ),
    # KF4xx: target support
    ("KF401", "not-expressible-on-target", E, "the target cannot express this construct"),
    ("KF402", "approximated-on-target", W, "the target expresses this construct approximately"),
    # KF5xx: expressions
    ("KF501", "expression-syntax", E, "a Pebble expression or template has a syntax error"),
    ("KF502", "unknown-filter", E, "a filter is not known"),
    ("KF503", "unknown-function", E, "a function is not known"),
    ("KF504", "unknown-test", E, "a test ('is …') is not known"),
    ("KF505", "unknown-root-variable", E, "an expression reads a variable that does not exist"),
)
del E, W, I


# Errors about what an expression will do when rendered (undefined names, syntax): Kestra saves such
# flows and fails at run time, so `kflow run --force` may run them to see that failure.
RUN_TIME_CODES = frozenset(
    {"KF308", "KF309", "KF310", "KF311", "KF312", "KF501", "KF502", "KF503", "KF504", "KF505"}
)


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, at a span, with an optional fix hint."""

    code: str
    message: str
    span: Span
    help: str | None = None
    severity: Severity | None = None  # None: the code's default

    @property
    def level(self) -> Severity:
        return self.severity or CODES[self.code].severity

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.span.path, self.span.line, self.span.column, self.code)


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A 'did you mean' hint for the candidate closest to `name`, if any is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{matches[0]}'?" if matches else None


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.level is Severity.ERROR for d in diagnostics)


# -- rendering ---------------------------------------------------------------------------------


def render_text(
    diagnostics: Iterable[Diagnostic], sources: Mapping[str, SourceText], colour: bool = False
) -> str:
    """mypy/rustc style: location and message, the source line, an underline, the hint."""
    paint = _paint if colour else (lambda text, _style: text)
    out: list[str] = []
    for d in diagnostics:
        s = d.span
        level = d.level.value
        style = {"error": "1;31", "warning": "1;33", "info": "1;36"}[level]
        out.append(
            f"{s.path}:{s.line}:{s.column}: {paint(f'{level}[{d.code}]', style)}: {d.message}"
        )
        source = sources.get(s.path)
        text = source.line(s.line) if source else ""
        if text.strip():
            width = (s.end_column - s.column) if s.end_line == s.line else len(text) - s.column + 1
            width = max(1, min(width, len(text) - s.column + 1))
            gutter = " " * len(str(s.line))
            out.append(f"{s.line} | {text}")
            marker = "^" + "~" * (width - 1)
            out.append(f"{gutter} | {' ' * _display_offset(text, s.column)}{paint(marker, style)}")
        if d.help:
            out.append(f"  {paint('help', '1')}: {d.help}")
    return "\n".join(out) + ("\n" if out else "")


def _display_offset(text: str, column: int) -> int:
    return len(text[: column - 1].expandtabs())


def _paint(text: str, style: str) -> str:
    return f"\x1b[{style}m{text}\x1b[0m"


def to_json(diagnostics: Iterable[Diagnostic]) -> str:
    """A JSON array, one object per diagnostic."""
    items = [
        {
            "path": d.span.path,
            "line": d.span.line,
            "column": d.span.column,
            "end_line": d.span.end_line,
            "end_column": d.span.end_column,
            "severity": d.level.value,
            "code": d.code,
            "message": d.message,
            "help": d.help,
        }
        for d in diagnostics
    ]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def to_github(diagnostics: Iterable[Diagnostic]) -> str:
    """GitHub Actions workflow commands (`::error file=…,line=…::message`)."""
    out = []
    for d in diagnostics:
        kind = {"error": "error", "warning": "warning", "info": "notice"}[d.level.value]
        s = d.span
        message = d.message + (f" ({d.help})" if d.help else "")
        props = (
            f"file={_gh_prop(s.path)},line={s.line},col={s.column},"
            f"endLine={s.end_line},endColumn={s.end_column},title={_gh_prop(d.code)}"
        )
        out.append(f"::{kind} {props}::{_gh_data(message)}")
    return "\n".join(out) + ("\n" if out else "")


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


FORMATS = ("text", "json", "github")


def render(
    diagnostics: list[Diagnostic],
    fmt: str,
    sources: Mapping[str, SourceText],
    colour: bool = False,
) -> str:
    """Render diagnostics in one of `FORMATS`."""
    if fmt == "json":
        return to_json(diagnostics)
    if fmt == "github":
        return to_github(diagnostics)
    return render_text(diagnostics, sources, colour)
