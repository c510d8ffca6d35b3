"""YAML → nodes that keep file:line:col.

libyaml (PyYAML's C parser) produces the events; a small iterative composer here turns them into
nodes. Composing ourselves rather than with `yaml.compose` buys three things: duplicate keys are
seen with both positions, nesting depth is bounded before anything recurses (libyaml's own
composer crashes the process on very deep input), and scalars resolve by YAML 1.2's core schema,
which is what Kestra's Jackson reader does (`yes`, `on` and dates stay strings; nothing a user
wrote is changed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kflow.compiler.diagnostics import Diagnostic
from kflow.compiler.source import SourceText, Span

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 128

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(slots=True, eq=False)
class Scalar:
    """A scalar with its resolved value, its text as written, and where it stands."""

    value: Any
    raw: str
    span: Span
    style: str | None
    start: int  # character offsets into the file, for pointing inside the value
    end: int
    source: SourceText = field(repr=False)

    def locate(self, start: int, end: int | None = None) -> Span:
        """The span of characters [start, end) of the *value* in the file.

        Exact for plain and single-line quoted scalars and literal blocks; for folded or escaped
        text the value is aligned to the source greedily, which is exact wherever the characters
        appear as written.
        """
        end = start if end is None else end
        if not isinstance(self.value, str):
            return self.span
        return self.source.span(self._offset(start), self._offset(end))

    def _offset(self, index: int) -> int:
        text = self.source.text
        raw_start = self.start + (1 if self.style in ("'", '"') else 0)
        raw = text[self.start : self.end]
        escaped = self.style == '"' and "\\" in raw
        if self.style in (None, "'", '"') and "\n" not in raw and not escaped:
            return raw_start + min(index, len(self.value))
        # Greedy alignment: walk the value and find each character in the source in turn.
        pos = raw_start
        if self.style in ("|", ">"):
            pos = text.find("\n", self.start, self.end) + 1 or raw_start
        value = self.value
        for i in range(min(index, len(value))):
            found = text.find(value[i], pos, self.end)
            if found != -1 and found - pos < 200:
                pos = found + 1
        if index < len(value):
            found = text.find(value[index], pos, self.end)
            if found != -1 and found - pos < 200:
                pos = found
        return min(pos, self.end)


@dataclass(slots=True, eq=False)
class Sequence:
    items: list[Node]
    span: Span


@dataclass(slots=True, eq=False)
class Mapping:
    """A mapping; keys are scalars (non-scalar keys are reported and dropped)."""

    items: list[tuple[Scalar, Node]]
    span: Span

    def get(self, key: str) -> Node | None:
        for k, v in self.items:
            if k.value == key:
                return v
        return None

    def key(self, key: str) -> Scalar | None:
        for k, _ in self.items:
            if k.value == key:
                return k
        return None

    def keys(self) -> list[str]:
        return [str(k.value) for k, _ in self.items]


Node = Scalar | Sequence | Mapping


def to_python(node: Node | None) -> Any:
    """The plain Python value of a node (dicts, lists, scalars)."""
    if node is None:
        return None
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, Sequence):
        return [to_python(item) for item in node.items]
    return {str(k.value): to_python(v) for k, v in node.items}


@dataclass(slots=True)
class Document:
    """What loading one file gives: the root (None when unusable) and the findings."""

    source: SourceText
    root: Mapping | None
    diagnostics: list[Diagnostic]


# -- scalars: YAML 1.2 core schema ------------------------------------------------------------

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(
    r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"
    r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"
)


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar under YAML 1.2's core schema."""
    if _NULL.match(text):
        return None
    if _BOOL.match(text):
        return text[0] in "tT"
    if _INT.match(text):
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)
    if _FLOAT.match(text):
        lowered = text.lower()
        if lowered.endswith("inf"):
            return float("-inf") if lowered.startswith("-") else float("inf")
        if lowered.endswith("nan"):
            return float("nan")
        return float(text)
    return text


# -- loading ----------------------------------------------------------------------------------


def load_file(path: str | Path) -> Document:
    """Read and load one flow file; never raises for bad content."""
    name = str(path)
    try:
        data = Path(path).read_bytes() if Path(path).stat().st_size <= MAX_FILE_BYTES else None
    except OSError as error:
        source = SourceText(name, "")
        return Document(
            source, None, [_file_error(source, f"cannot read the file: {error.strerror}")]
        )
    if data is None:
        source = SourceText(name, "")
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return Document(
            source,
            None,
            [
                _file_error(
                    source, f"the file is larger than {limit} MiB; a flow file is much smaller"
                )
            ],
        )
    if b"\x00" in data:
        source = SourceText(name, "")
        return Document(
            source, None, [_file_error(source, "the file is binary (it holds NUL bytes)")]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        source = SourceText(name, data.decode("utf-8", "replace"))
        span = source.span(error.start, error.start + 1)
        return Document(
            source,
            None,
            [Diagnostic("KF107", "the file is not UTF-8 text", span, "save the file as UTF-8")],
        )
    return load_text(name, text)


def _file_error(source: SourceText, message: str) -> Diagnostic:
    return Diagnostic("KF107", message, Span(source.path, 1, 1, 1, 1))


def load_text(path: str, text: str) -> Document:
    """Load one flow document from `text` (the file's contents)."""
    source = SourceText(path, text)
    diagnostics: list[Diagnostic] = []
    too_deep: _TooDeep | None = None
    if len(text) > MAX_FILE_BYTES:
        return Document(source, None, [_file_error(source, "the text is too large for a flow")])
    try:
        documents = _Composer(source, diagnostics).compose()
    except yaml.MarkedYAMLError as error:
        if "maximum nesting depth" not in str(error.problem):
            diagnostics.append(_yaml_error(source, error))
            return Document(source, None, diagnostics)
        # PyYAML ≥ 6.0.4's libyaml stops at its own depth limit before our composer does.
        mark = error.problem_mark
        too_deep = _TooDeep(mark.index if mark else 0)
    except yaml.YAMLError as error:
        diagnostics.append(Diagnostic("KF101", f"invalid YAML: {error}", Span(path, 1, 1, 1, 1)))
        return Document(source, None, diagnostics)
    except _TooDeep as error:
        too_deep = error
    if too_deep is not None:
        line, column = source.position(too_deep.index)
        diagnostics.append(
            Diagnostic(
                "KF108",
                f"the document nests more than {MAX_DEPTH} levels deep",
                Span(path, line, column, line, column + 1),
                "flatten the structure; no flow needs this depth",
            )
        )
        return Document(source, None, diagnostics)

    root: Mapping | None = None
    if not documents or all(d is None for d in documents):
        diagnostics.append(
            Diagnostic(
                "KF103",
                "the file is empty",
                Span(path, 1, 1, 1, 1),
                "a flow needs at least 'id', 'namespace' and 'tasks'",
            )
        )
    else:
        first = documents[0]
        if len(documents) > 1:
            extra = documents[1]
            span = extra.span if extra is not None else Span(path, 1, 1, 1, 1)
            diagnostics.append(
                Diagnostic(
                    "KF104",
                    f"the file holds {len(documents)} YAML documents; "
                    "kflow reads one flow per file",
                    span.at_start(),
                    "split the documents into one file each",
                )
            )
        if isinstance(first, Mapping):
            root = first
        else:
            span = first.span if first is not None else Span(path, 1, 1, 1, 1)
            diagnostics.append(
                Diagnostic(
                    "KF105",
                    "the flow must be a YAML mapping (key: value lines)",
                    span,
                    "start the file with 'id: …', 'namespace: …' and 'tasks:'",
                )
            )
    return Document(source, root, diagnostics)


def _yaml_error(source: SourceText, error: yaml.MarkedYAMLError) -> Diagnostic:
    mark = error.problem_mark or error.context_mark
    if error.context_mark is not None and "end of stream" in (error.problem or ""):
        mark = error.context_mark  # an unclosed quote or bracket: point where it opens
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = error.problem or "invalid YAML"
    span = Span(source.path, line, column, line, column + 1)
    if "'\\t'" in problem or "\t" in source.line(line)[:column]:
        return Diagnostic(
            "KF106",
            "a tab character is used for indentation; YAML allows only spaces",
            span,
            "replace the tabs with spaces",
        )
    message = problem
    if error.context:
        message = f"{problem} ({error.context})"
    return Diagnostic("KF101", f"invalid YAML: {message}", span, _yaml_hint(problem))


def _yaml_hint(problem: str) -> str | None:
    if "mapping values are not allowed" in problem:
        return "quote a value that contains ': ', or check the indentation of this line"
    if "could not find expected ':'" in problem:
        return "a key needs ': ' after it; check the indentation of the lines above"
    if "did not find expected key" in problem or "expected <block end>" in problem:
        return "check the indentation: items of one mapping or list must line up"
    if "found undefined alias" in problem:
        return "define the anchor (&name) before using the alias (*name)"
    if "found character" in problem and "cannot start any token" in problem:
        return "quote the value"
    return None


class _TooDeep(Exception):
    def __init__(self, index: int) -> None:
        self.index = index


class _Composer:
    """Builds nodes from libyaml events without recursion."""

    def __init__(self, source: SourceText, diagnostics: list[Diagnostic]) -> None:
        self.source = source
        self.diagnostics = diagnostics

    def _span(self, start: Any, end: Any) -> Span:
        return Span(
            self.source.path, start.line + 1, start.column + 1, end.line + 1, end.column + 1
        )

    def compose(self) -> list[Node | None]:
        documents: list[Node | None] = []
        anchors: dict[str, Node] = {}
        # Each frame: [container node, pending key (for mappings), seen keys]
        stack: list[list[Any]] = []
        current: Node | None = None
        loader = _Loader(self.source.text)
        try:
            while True:
                event = loader.get_event()
                if event is None:
                    break
                kind = type(event)
                node: Node | None = None
                if kind is yaml.ScalarEvent:
                    node = self._scalar(event)
                elif kind is yaml.AliasEvent:
                    node = anchors.get(event.anchor)
                    if node is None:
                        raise yaml.composer.ComposerError(
                            None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                        )
                elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                    if len(stack) >= MAX_DEPTH:
                        raise _TooDeep(event.start_mark.index)
                    span = self._span(event.start_mark, event.end_mark)
                    container: Node = (
                        Mapping([], span) if kind is yaml.MappingStartEvent else Sequence([], span)
                    )
                    if event.anchor:
                        anchors[event.anchor] = container
                    stack.append([container, None, {}])
                    continue
                elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                    frame = stack.pop()
                    node = frame[0]
                    start = node.span
                    end = self._span(event.end_mark, event.end_mark)
                    node.span = Span(start.path, start.line, start.column, end.line, end.column)
                elif kind is yaml.DocumentStartEvent:
                    current = None
                    anchors = {}
                    continue
                elif kind is yaml.DocumentEndEvent:
                    documents.append(current)
                    continue
                else:
                    continue
                if node is not None and getattr(event, "anchor", None) and kind is yaml.ScalarEvent:
                    anchors[event.anchor] = node
                self._attach(stack, node)
                if not stack:
                    current = node
        finally:
            loader.dispose()
        return documents

    def _attach(self, stack: list[list[Any]], node: Node) -> None:
        if not stack:
            return
        frame = stack[-1]
        parent = frame[0]
        if isinstance(parent, Sequence):
            parent.items.append(node)
            return
        assert isinstance(parent, Mapping)
        if frame[1] is None:
            if isinstance(node, Scalar) and node.value == "<<" and node.style is None:
                frame[1] = node  # merge key: handled when its value arrives
                return
            if not isinstance(node, Scalar):
                self.diagnostics.append(
                    Diagnostic("KF203", "a mapping key must be a plain value", node.span)
                )
                node = Scalar(None, "", node.span, None, 0, 0, self.source)
            frame[1] = node
            return
        key: Scalar = frame[1]
        frame[1] = None
        if key.value == "<<" and key.style is None:
            merged = node.items if isinstance(node, Mapping) else []
            if isinstance(node, Sequence):
                merged = [kv for m in node.items if isinstance(m, Mapping) for kv in m.items]
            existing = {str(k.value) for k, _ in parent.items}
            parent.items.extend((k, v) for k, v in merged if str(k.value) not in existing)
            return
        seen: dict[Any, Scalar] = frame[2]
        marker = _hashable(key.value)
        first = seen.get(marker)
        if first is not None:
            self.diagnostics.append(
                Diagnostic(
                    "KF102",
                    f"duplicate key '{key.raw}' (first defined on line {first.span.line})",
                    key.span,
                    "remove one of the two, or merge their values",
                )
            )
            return
        seen[marker] = key
        parent.items.append((key, node))

    def _scalar(self, event: Any) -> Scalar:
        text = event.value
        style = event.style or None
        value: Any = text
        if style is None and event.implicit[0] and event.tag in (None, "!"):
            value = resolve_plain(text)
        elif event.tag and event.tag.startswith("tag:yaml.org,2002:"):
            value = _explicit(event.tag[18:], text)
        start, end = event.start_mark, event.end_mark
        return Scalar(
            value, text, self._span(start, end), style, start.index, end.index, self.source
        )


def _explicit(tag: str, text: str) -> Any:
    if tag == "str":
        return text
    resolved = resolve_plain(text)
    if tag == "int" and isinstance(resolved, int):
        return resolved
    if tag == "float" and isinstance(resolved, (int, float)):
        return float(resolved)
    if tag == "bool" and isinstance(resolved, bool):
        return resolved
    if tag == "null":
        return None
    return text


def _hashable(value: Any) -> Any:
    try:
        hash(value)
        return (type(value).__name__, value)
    except TypeError:
        return repr(value)
