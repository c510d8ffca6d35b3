"""Parse Kestra's Pebble templates into the AST of :mod:`kflow.expr.nodes`, and read them.

``parse_template(text, task_ids)`` is the entry point. The grammar is ``pebble.lark`` (LALR,
contextual lexer); the parser is built once per process and the tree is built while parsing. What
the grammar leaves flat, the builder here settles:

* binary operators get their structure by precedence climbing with Pebble's table, so that
  ``x | upper ~ '!'`` and ``x is null == false`` mean what they mean in Pebble;
* ``outputs.set-vars.value`` is read as ``outputs['set-vars'].value`` when ``set-vars`` is one of
  ``task_ids`` and is written without spaces; otherwise it stays a subtraction, as in Pebble;
* whitespace control (``{{-``, ``-}}``, ``{%-``, ``-%}``, ``{#-``, ``-#}``) trims the neighbouring
  text;
* string literals are unescaped as Pebble does (only ``\\'``/``\\"`` and ``\\\\``), and
  ``"#{expr}"`` interpolation in double-quoted strings becomes ``~`` concatenation.

:func:`references` lists the context variables a template reads (``outputs.a.value`` → root
``outputs``, path ``('a', 'value')``); :func:`unknown_names` lists filters, functions and tests
that Kestra does not know. Syntax errors raise :class:`ExprError` with offsets into the template
text and a fix hint.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, NamedTuple, cast
from typing import Literal as TypingLiteral

from lark import Lark, Token, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.lexer import Token as LexToken

from kflow.expr import catalogue
from kflow.expr.nodes import (
    COALESCE_PRECEDENCE,
    FILTER_PRECEDENCE,
    PRECEDENCE,
    TEST_PRECEDENCE,
    Binary,
    Call,
    Comment,
    Conditional,
    Element,
    Expression,
    Filter,
    For,
    GetAttr,
    GetItem,
    If,
    IfBranch,
    KeywordArg,
    ListExpr,
    Literal,
    MapExpr,
    MethodCall,
    Name,
    Node,
    NullCoalesce,
    Output,
    Raw,
    Set,
    Template,
    Test,
    Text,
    Unary,
    to_source,
)

__all__ = [
    "ExprError",
    "Reference",
    "Template",
    "UnknownName",
    "parse_expression",
    "parse_template",
    "references",
    "to_source",
    "unknown_names",
]

_GRAMMAR = Path(__file__).with_name("pebble.lark")
# Pebble trims with Java's \s.
_WHITESPACE = " \t\n\x0b\f\r"
_RESERVED = frozenset({"true", "false", "null", "none"})
_CONSTANTS: dict[str, Any] = {
    "true": True,
    "TRUE": True,
    "false": False,
    "FALSE": False,
    "null": None,
    "NULL": None,
    "none": None,
    "NONE": None,
}


class ExprError(Exception):
    """A template that does not parse: what is wrong, where (offsets into the text), the fix."""

    def __init__(self, message: str, start: int, end: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
        self.hint = hint

    def __str__(self) -> str:
        where = f"{self.message} (at {self.start}..{self.end})"
        return f"{where}; {self.hint}" if self.hint else where


@dataclass(frozen=True, slots=True)
class Reference:
    """One read of a context variable.

    ``path`` holds the attribute names and literal indexes after the root; a computed index is
    ``None`` and ends the path. ``guarded`` is true when a missing value cannot fail the render: the
    read is the left side of ``??``/``???``, the subject of ``is [not] defined``/``is [not] null``,
    or the input of the ``default`` filter. ``conditional`` is true when the read is evaluated only
    on some paths: a branch of ``? :``, the right side of ``??``/``???``/``and``/``or``, or the body
    of an ``{% if %}`` or ``{% for %}``.
    """

    root: str
    path: tuple[str | int | None, ...]
    guarded: bool
    start: int
    end: int
    conditional: bool = False


@dataclass(frozen=True, slots=True)
class UnknownName:
    """A filter, function or test that Kestra does not provide; offsets are those of the name."""

    kind: TypingLiteral["filter", "function", "test"]
    name: str
    start: int
    end: int


# ---- parsing -------------------------------------------------------------------------------------


def parse_template(text: str, task_ids: frozenset[str] = frozenset()) -> Template:
    """Parse a Kestra property value as a Pebble template.

    ``task_ids`` are the flow's task ids: ``outputs.a-b`` written without spaces means the outputs
    of task ``a-b`` when ``a-b`` is one of them. Raises :class:`ExprError` on a syntax error.
    """
    if "{" not in text or ("{{" not in text and "{%" not in text and "{#" not in text):
        return Template(
            (Text(text, start=0, end=len(text)),) if text else (), start=0, end=len(text)
        )
    if type(task_ids) is not frozenset:
        task_ids = frozenset(task_ids)
    return _parse_template_cached(text, task_ids)


@lru_cache(maxsize=4096)
def _parse_template_cached(text: str, task_ids: frozenset[str]) -> Template:
    # Flows repeat templates ({{ taskrun.value }}, {{ execution.id }}); trees are immutable.
    result = _parse(text, "template", task_ids)
    assert isinstance(result, Template)
    return result


def parse_expression(text: str, task_ids: frozenset[str] = frozenset()) -> Expression:
    """Parse a bare expression (what goes between ``{{`` and ``}}``). Raises :class:`ExprError`."""
    result = _parse(text, "expression", task_ids)
    assert isinstance(result, Expression)
    return result


class _Context(threading.local):
    text: str = ""
    task_ids: frozenset[str] = frozenset()


_context = _Context()


def _parse(text: str, start: str, task_ids: frozenset[str]) -> Node:
    saved = (_context.text, _context.task_ids)
    _context.text, _context.task_ids = text, task_ids
    try:
        result = cast(Node, _parser().parse(text, start=start))
    except UnexpectedInput as error:
        raise _syntax_error(error, text) from None
    finally:
        _context.text, _context.task_ids = saved
    return result


@cache
def _parser() -> Lark:
    options: dict[str, Any] = {
        "parser": "lalr",
        "lexer": "contextual",
        "start": ["template", "expression"],
        "transformer": _Builder(),
        "maybe_placeholders": True,
    }
    try:
        parser = Lark.open(str(_GRAMMAR), cache=True, **options)
    except OSError:
        # Lark caches in the temporary directory; a read-only one only costs start-up time.
        parser = Lark.open(str(_GRAMMAR), **options)
    frontend = parser.parser
    frontend.lexer = _BraceTrackingLexer(frontend.lexer)
    return parser


class _BraceTrackingLexer:
    """Lark's contextual lexer, taught that ``}}`` inside an open ``{`` closes a map, not the print.

    LALR merges the states after an operand, so ``}}`` is acceptable wherever any expression ends
    and the lexer would take ``{'a': {'b': 1}} }}`` for an early close. Pebble's lexer counts
    brackets; so does this wrapper: a ``}}`` met while a map is open is given back as ``}`` and
    lexing resumes at the second brace.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def lex(self, lexer_state: Any, parser_state: Any) -> Iterator[Token]:
        depth = 0
        for token in self.inner.lex(lexer_state, parser_state):
            kind = token.type
            if kind == "LBRACE":
                depth += 1
            elif kind == "RBRACE":
                depth -= 1
            elif kind == "PRINT_CLOSE" and depth > 0 and token == "}}":
                depth -= 1
                counter = lexer_state.line_ctr
                counter.char_pos -= 1
                counter.column -= 1
                start = _start(token)
                column = token.column or 0
                token = LexToken(
                    "RBRACE", "}", start, token.line, column, token.line, column + 1, start + 1
                )
                lexer_state.last_token = token
            yield token


# ---- building the tree ---------------------------------------------------------------------------


class _Piece(NamedTuple):
    """A body element and whether its delimiters trim the text before and after it."""

    node: Element
    trim_before: bool
    trim_after: bool


class _Arguments(NamedTuple):
    args: tuple[Expression, ...]
    kwargs: tuple[KeywordArg, ...]
    end: int


class _Tail(NamedTuple):
    """``| filter(args)`` or ``is [not] test(args)`` waiting for its subject."""

    kind: str
    negated: bool
    name: Token
    arguments: _Arguments | None


_OPERATOR_PRECEDENCE: dict[str, int] = {
    "OR": PRECEDENCE["or"],
    "AND": PRECEDENCE["and"],
    "CONTAINS": PRECEDENCE["contains"],
    "EQUALS": PRECEDENCE["=="],
    "COMPARE": PRECEDENCE["=="],
    "PLUS": PRECEDENCE["+"],
    "MINUS": PRECEDENCE["-"],
    "STAR": PRECEDENCE["*"],
    "SLASH": PRECEDENCE["/"],
    "PERCENT": PRECEDENCE["%"],
    "TILDE": PRECEDENCE["~"],
    "RANGE": PRECEDENCE[".."],
    "COALESCE": COALESCE_PRECEDENCE,
    "COALESCE_UNDEFINED": COALESCE_PRECEDENCE,
}


def _start(token: Token) -> int:
    return token.start_pos or 0


def _end(token: Token) -> int:
    return token.end_pos or 0


def _opens_with_trim(token: Token) -> bool:
    return token[2:3] == "-"


def _closes_with_trim(token: Token) -> bool:
    return token[:1] == "-"


def _finish_body(pieces: Sequence[_Piece], trim_start: bool, trim_end: bool) -> tuple[Element, ...]:
    """Apply whitespace control to the text pieces of one body and drop the emptied ones."""
    out: list[Element] = []
    last = len(pieces) - 1
    for i, piece in enumerate(pieces):
        node = piece.node
        if isinstance(node, Text):
            trim_left = trim_start if i == 0 else pieces[i - 1].trim_after
            trim_right = trim_end if i == last else pieces[i + 1].trim_before
            if trim_left or trim_right:
                value = node.value
                start, end = node.start, node.end
                if trim_left:
                    stripped = value.lstrip(_WHITESPACE)
                    start += len(value) - len(stripped)
                    value = stripped
                if trim_right:
                    stripped = value.rstrip(_WHITESPACE)
                    end -= len(value) - len(stripped)
                    value = stripped
                if not value:
                    continue
                node = Text(value, start=start, end=end)
        out.append(node)
    return tuple(out)


def _name_check(token: Token, what: str) -> str:
    if str(token) in _RESERVED:
        raise ExprError(
            f"cannot {what} '{token}'",
            _start(token) or 0,
            _end(token) or 0,
            "true, false, null and none are constants; choose another name",
        )
    return str(token)


class _Builder:
    """Callbacks the LALR parser calls as it reduces each rule (``transformer=`` of Lark)."""

    # -- template ------------------------------------------------------------------------------

    def template(self, children: list[Any]) -> Template:
        (pieces,) = children
        return Template(_finish_body(pieces, False, False), start=0, end=len(_context.text))

    def body(self, children: list[Any]) -> list[_Piece]:
        pieces: list[_Piece] = []
        for child in children:
            if isinstance(child, _Piece):
                pieces.append(child)
            elif child.type == "TEXT":
                text = Text(str(child), start=_start(child), end=_end(child))
                pieces.append(_Piece(text, False, False))
            elif child.type == "COMMENT":
                pieces.append(_comment(child))
            else:
                pieces.append(_raw(child))
        return pieces

    def output(self, children: list[Any]) -> _Piece:
        opener, expr, closer = children
        node = Output(expr, start=_start(opener), end=_end(closer))
        return _Piece(node, _opens_with_trim(opener), _closes_with_trim(closer))

    def if_block(self, children: list[Any]) -> _Piece:
        opener, condition, closer, pieces, *rest = children
        end_opener, end_closer = rest[-2], rest[-1]
        # Each body is trimmed by the tag before it (its '-%}') and the tag after it (its '{%-').
        bodies: list[tuple[Token, Any, Token, list[_Piece]]] = [(opener, condition, closer, pieces)]
        else_part: tuple[Token, Token, list[_Piece]] | None = None
        for part in rest[:-2]:
            if part[0] == "elseif":
                bodies.append(part[1:])
            else:
                else_part = part[1:]
        next_openers = [b[0] for b in bodies[1:]]
        next_openers.append(else_part[0] if else_part is not None else end_opener)
        branches = []
        for (tag, cond, tag_close, body), following in zip(bodies, next_openers, strict=True):
            finished = _finish_body(body, _closes_with_trim(tag_close), _opens_with_trim(following))
            branches.append(IfBranch(cond, finished, start=_start(tag), end=_start(following) or 0))
        else_body = None
        if else_part is not None:
            _, else_close, else_pieces = else_part
            else_body = _finish_body(
                else_pieces, _closes_with_trim(else_close), _opens_with_trim(end_opener)
            )
        node = If(tuple(branches), else_body, start=_start(opener), end=_end(end_closer))
        return _Piece(node, _opens_with_trim(opener), _closes_with_trim(end_closer))

    def elseif_branch(self, children: list[Any]) -> tuple[Any, ...]:
        return ("elseif", *children)

    def else_branch(self, children: list[Any]) -> tuple[Any, ...]:
        return ("else", *children)

    def for_block(self, children: list[Any]) -> _Piece:
        opener, targets, iterable, closer, pieces, *rest = children
        end_opener, end_closer = rest[-2], rest[-1]
        else_part = rest[0] if len(rest) == 3 else None
        after_body = else_part[1] if else_part is not None else end_opener
        body = _finish_body(pieces, _closes_with_trim(closer), _opens_with_trim(after_body))
        else_body = None
        if else_part is not None:
            _, _, else_close, else_pieces = else_part
            else_body = _finish_body(
                else_pieces, _closes_with_trim(else_close), _opens_with_trim(end_opener)
            )
        node = For(targets, iterable, body, else_body, start=_start(opener), end=_end(end_closer))
        return _Piece(node, _opens_with_trim(opener), _closes_with_trim(end_closer))

    def for_targets(self, children: list[Token]) -> tuple[str, ...]:
        return tuple(_name_check(t, "use as a loop variable") for t in children)

    def set_tag(self, children: list[Any]) -> _Piece:
        opener, name, expr, closer = children
        node = Set(_name_check(name, "assign to"), expr, start=_start(opener), end=_end(closer))
        return _Piece(node, _opens_with_trim(opener), _closes_with_trim(closer))

    # -- expressions ---------------------------------------------------------------------------

    def conditional(self, children: list[Any]) -> Conditional:
        cond, then, else_ = children
        return Conditional(cond, then, else_, start=cond.start, end=else_.end)

    def chain(self, items: list[Any]) -> Expression:
        if _context.task_ids:
            items = _join_hyphenated(items)
        return _climb(items)

    def filter_tail(self, children: list[Any]) -> _Tail:
        _, name, arguments = children
        return _Tail("filter", False, name, arguments)

    def test_tail(self, children: list[Any]) -> _Tail:
        operator, name, arguments = children
        return _Tail("test", operator.type == "IS_NOT", name, arguments)

    def unary(self, children: list[Any]) -> Unary:
        operator, operand = children
        return Unary(str(operator), operand, start=_start(operator), end=operand.end)

    def list_literal(self, children: list[Any]) -> ListExpr:
        opener, *items, closer = children
        return ListExpr(
            tuple(i for i in items if i is not None), start=_start(opener), end=_end(closer)
        )

    def map_literal(self, children: list[Any]) -> MapExpr:
        opener, *entries, closer = children
        return MapExpr(
            tuple(e for e in entries if e is not None), start=_start(opener), end=_end(closer)
        )

    def map_entry(self, children: list[Any]) -> tuple[Expression, Expression]:
        key, value = children
        return (key, value)

    def getattr(self, children: list[Any]) -> GetAttr:
        obj, name = children
        return GetAttr(obj, str(name), start=obj.start, end=_end(name))

    def methodcall(self, children: list[Any]) -> MethodCall:
        obj, name, arguments = children
        if arguments.kwargs:
            first = arguments.kwargs[0]
            raise ExprError(
                "named arguments cannot be passed to a method",
                first.start,
                first.end,
                f"pass {first.name}'s value by position",
            )
        return MethodCall(obj, str(name), arguments.args, start=obj.start, end=arguments.end)

    def getitem(self, children: list[Any]) -> GetItem:
        obj, index, closer = children
        return GetItem(obj, index, start=obj.start, end=_end(closer))

    def name(self, children: list[Token]) -> Expression:
        (token,) = children
        value = str(token)
        if value in _CONSTANTS:
            return Literal(_CONSTANTS[value], start=_start(token), end=_end(token))
        return Name(value, start=_start(token), end=_end(token))

    def call(self, children: list[Any]) -> Call:
        name, arguments = children
        return Call(
            str(name), arguments.args, arguments.kwargs, start=_start(name), end=arguments.end
        )

    def number(self, children: list[Token]) -> Literal:
        (token,) = children
        text = str(token)
        value: int | float = float(text) if "." in text else int(text.rstrip("L"))
        return Literal(value, start=_start(token), end=_end(token))

    def sq_string(self, children: list[Token]) -> Literal:
        (token,) = children
        value = str(token)[1:-1].replace("\\'", "'").replace("\\\\", "\\")
        return Literal(value, start=_start(token), end=_end(token))

    def dq_string(self, children: list[Token]) -> Expression:
        (token,) = children
        content = str(token)[1:-1]
        if "#" not in content:
            value = content.replace('\\"', '"').replace("\\\\", "\\")
            return Literal(value, start=_start(token), end=_end(token))
        return _interpolated(content, _start(token) + 1, _start(token), _end(token))

    def arguments(self, children: list[Any]) -> _Arguments:
        *items, closer = children
        args: list[Expression] = []
        kwargs: list[KeywordArg] = []
        for item in items:
            if item is None:
                continue
            if isinstance(item, KeywordArg):
                kwargs.append(item)
            elif kwargs:
                raise ExprError(
                    "positional argument after a named argument",
                    item.start,
                    item.end,
                    "put positional arguments before named ones",
                )
            else:
                args.append(item)
        return _Arguments(tuple(args), tuple(kwargs), _end(closer))

    def keyword_argument(self, children: list[Any]) -> KeywordArg:
        name, value = children
        return KeywordArg(
            _name_check(name, "name an argument"), value, start=_start(name), end=value.end
        )


def _comment(token: Token) -> _Piece:
    inner = str(token)[2:-2]
    trim_before = inner.startswith("-")
    trim_after = inner.endswith("-") and len(inner) > int(trim_before)
    text = inner[int(trim_before) : len(inner) - int(trim_after)]
    return _Piece(Comment(text, start=_start(token), end=_end(token)), trim_before, trim_after)


_RAW_PARTS = re.compile(
    r"\{%(-?)\s*(?:raw|verbatim)\s*(-?)%\}(.*)\{%(-?)\s*end(?:raw|verbatim)\s*(-?)%\}\Z", re.S
)


def _raw(token: Token) -> _Piece:
    match = _RAW_PARTS.match(str(token))
    assert match is not None
    before, left, text, right, after = match.groups()
    if left:
        text = text.lstrip(_WHITESPACE)
    if right:
        text = text.rstrip(_WHITESPACE)
    return _Piece(Raw(text, start=_start(token), end=_end(token)), bool(before), bool(after))


def _climb(items: list[Any]) -> Expression:
    """Give a flat ``operand (operator operand | tail)*`` chain Pebble's structure.

    Pebble parses by precedence climbing: an operator binds when its precedence is at least the
    current minimum, its right side is parsed with a minimum one higher (all operators are
    left-associative), and a filter or test applies to everything built so far at that level.
    """
    count = len(items)
    position = 0

    def climb(minimum: int) -> Expression:
        nonlocal position
        left: Expression = items[position]
        position += 1
        while position < count:
            item = items[position]
            if isinstance(item, _Tail):
                level = FILTER_PRECEDENCE if item.kind == "filter" else TEST_PRECEDENCE
                if level < minimum:
                    break
                position += 1
                left = _apply_tail(left, item)
                continue
            level = _OPERATOR_PRECEDENCE[item.type]
            if level < minimum:
                break
            position += 1
            right = climb(level + 1)
            left = _binary(item, left, right)
        return left

    return climb(0)


def _apply_tail(subject: Expression, tail: _Tail) -> Expression:
    arguments = tail.arguments
    args = arguments.args if arguments else ()
    kwargs = arguments.kwargs if arguments else ()
    end = arguments.end if arguments else _end(tail.name)
    name_start = _start(tail.name)
    if tail.kind == "filter":
        return Filter(
            subject,
            str(tail.name),
            args,
            kwargs,
            start=subject.start,
            end=end,
            name_start=name_start,
        )
    return Test(
        subject,
        str(tail.name),
        tail.negated,
        args,
        kwargs,
        start=subject.start,
        end=end,
        name_start=name_start,
    )


def _binary(operator: Token, left: Expression, right: Expression) -> Expression:
    kind = operator.type
    if kind == "COALESCE" or kind == "COALESCE_UNDEFINED":
        return NullCoalesce(
            left, right, kind == "COALESCE_UNDEFINED", start=left.start, end=right.end
        )
    op = "==" if kind == "EQUALS" else str(operator)
    return Binary(op, left, right, start=left.start, end=right.end)


# -- hyphenated task ids ---------------------------------------------------------------------------

_SEGMENT = re.compile(r"\w+\Z")


def _join_hyphenated(items: list[Any]) -> list[Any]:
    """Read ``outputs.a-b…`` as ``outputs['a-b']…`` where ``a-b`` is a task id (and no spaces).

    Works on the flat operator chain, before precedence is applied, so that the rest of the chain
    (``outputs.a-b.value * 2``) binds to the joined reference exactly as it would to
    ``outputs['a-b'].value``.
    """
    if len(items) < 3:
        return items
    out: list[Any] = []
    i = 0
    count = len(items)
    while i < count:
        item = items[i]
        joined = None
        if not isinstance(item, (_Tail, LexToken)):
            joined = _try_join(items, i)
        if joined is None:
            out.append(item)
            i += 1
        else:
            node, i = joined
            out.append(node)
    return out


def _try_join(items: list[Any], i: int) -> tuple[Expression, int] | None:
    head = items[i]
    wrappers: list[Unary] = []
    core = head
    while isinstance(core, Unary):
        wrappers.append(core)
        core = core.operand
    if not (
        isinstance(core, GetAttr) and isinstance(core.obj, Name) and core.obj.name == "outputs"
    ):
        return None
    text = _context.text
    task_ids = _context.task_ids
    parts = [core.name]
    previous_end = core.end
    best: tuple[str, Expression, int] | None = None
    j = i + 1
    while j + 1 < len(items):
        operator, segment = items[j], items[j + 1]
        if not (isinstance(operator, LexToken) and operator.type == "MINUS"):
            break
        if _start(operator) != previous_end or isinstance(segment, (_Tail, LexToken)):
            break
        root = _chain_root(segment)
        if root is None or root.start != _end(operator):
            break
        piece = text[root.start : root.end]
        if not _SEGMENT.match(piece):
            break
        parts.append(piece)
        candidate = "-".join(parts)
        if candidate in task_ids:
            best = (candidate, segment, j + 2)
        if segment is not root:
            break
        previous_end = root.end
        j += 2
    if best is None:
        return None
    task_id, segment, after = best
    key = Literal(task_id, start=core.end - len(core.name), end=_chain_root_end(segment))
    base: Expression = GetItem(core.obj, key, start=core.start, end=key.end)
    node = _rebase(segment, base)
    for wrapper in reversed(wrappers):
        node = replace(wrapper, operand=node, end=node.end)
    return node, after


def _chain_root(node: Expression) -> Expression | None:
    """The name or integer a postfix chain (``b.value[0]``) starts from, if that is what it is."""
    while isinstance(node, (GetAttr, GetItem, MethodCall)):
        node = node.obj
    if isinstance(node, Name):
        return node
    if isinstance(node, Literal) and type(node.value) is int:
        return node
    return None


def _chain_root_end(node: Expression) -> int:
    root = _chain_root(node)
    assert root is not None
    return root.end


def _rebase(node: Expression, base: Expression) -> Expression:
    """Replace the root of a postfix chain by ``base``."""
    if isinstance(node, (GetAttr, GetItem, MethodCall)):
        return replace(node, obj=_rebase(node.obj, base), start=base.start)
    return base


def _interpolated(content: str, offset: int, start: int, end: int) -> Expression:
    """``"a #{b} c"``: Pebble concatenates the pieces; the text pieces are not unescaped."""
    parts: list[Expression] = []
    i = 0
    while i < len(content):
        opening = content.find("#{", i)
        if opening < 0:
            parts.append(Literal(content[i:], start=offset + i, end=offset + len(content)))
            break
        if opening > i:
            parts.append(Literal(content[i:opening], start=offset + i, end=offset + opening))
        closing = _interpolation_end(content, opening + 2)
        if closing < 0:
            raise ExprError(
                "unclosed '#{' in a string",
                offset + opening,
                offset + opening + 2,
                "close the interpolation with '}'",
            )
        source = content[opening + 2 : closing]
        inner = _shifted(_parse(source, "expression", _context.task_ids), offset + opening + 2)
        assert isinstance(inner, Expression)
        parts.append(inner)
        i = closing + 1
    if not parts:
        return Literal("", start=start, end=end)
    result = parts[-1]
    for part in reversed(parts[:-1]):
        result = Binary("~", part, result, start=part.start, end=result.end)
    return result


def _interpolation_end(content: str, i: int) -> int:
    depth = 0
    while i < len(content):
        char = content[i]
        if char == "'":
            i += 1
            while i < len(content) and content[i] != "'":
                i += 2 if content[i] == "\\" else 1
        elif char == "{":
            depth += 1
        elif char == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    return -1


def _shifted(node: Any, offset: int) -> Any:
    """``node`` with every offset moved by ``offset`` (for a tree parsed from a substring)."""
    if isinstance(node, tuple):
        return tuple(_shifted(n, offset) for n in node)
    if not isinstance(node, Node):
        return node
    changes: dict[str, Any] = {"start": node.start + offset, "end": node.end + offset}
    if isinstance(node, (Filter, Test)):
        changes["name_start"] = node.name_start + offset
    for name in node.__dataclass_fields__:
        if name not in changes:
            value = getattr(node, name)
            if isinstance(value, (Node, tuple)):
                changes[name] = _shifted(value, offset)
    return replace(node, **changes)


# ---- syntax errors -------------------------------------------------------------------------------

_DESCRIPTIONS: dict[str, str] = {
    "PRINT_OPEN": "'{{'",
    "PRINT_CLOSE": "'}}'",
    "TAG_CLOSE": "'%}'",
    "OPEN_IF": "'{% if %}'",
    "OPEN_ELSEIF": "'{% elseif %}'",
    "OPEN_ELSE": "'{% else %}'",
    "OPEN_ENDIF": "'{% endif %}'",
    "OPEN_FOR": "'{% for %}'",
    "OPEN_ENDFOR": "'{% endfor %}'",
    "OPEN_SET": "'{% set %}'",
    "RAW_BLOCK": "'{% raw %}'",
    "COMMENT": "a comment",
    "TEXT": "text",
    "_IN": "'in'",
    "NAME": "a name",
    "NUMBER": "a number",
    "SQ_STRING": "a string",
    "DQ_STRING": "a string",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "COMMA": "','",
    "COLON": "':'",
    "DOT": "'.'",
    "EQUAL": "'='",
    "QMARK": "'?'",
    "PIPE": "'|'",
    "IS": "'is'",
    "IS_NOT": "'is not'",
    "NOT": "'not'",
    "$END": "the end of the template",
}
_OPERATORS = frozenset(_OPERATOR_PRECEDENCE) | {"PIPE", "IS", "IS_NOT", "QMARK", "DOT"}
_VALUES = frozenset({"NAME", "NUMBER", "SQ_STRING", "DQ_STRING"})
_EXPRESSION_STARTS = _VALUES | {"LPAR", "LSQB", "LBRACE", "MINUS", "PLUS", "NOT"}
_CLOSERS = frozenset({"PRINT_CLOSE", "TAG_CLOSE", "RPAR", "RSQB", "RBRACE", "COMMA", "COLON"})
#: What each opener is called, what closes it, and which punctuation may come before its closer.
_OPENERS: dict[str, tuple[str, str, frozenset[str]]] = {
    "PRINT_OPEN": ("'{{'", "'}}'", frozenset({"PRINT_CLOSE"})),
    "OPEN_IF": ("'{% if %}'", "'{% endif %}'", frozenset({"TAG_CLOSE"})),
    "OPEN_ELSEIF": ("'{% if %}'", "'{% endif %}'", frozenset({"TAG_CLOSE"})),
    "OPEN_ELSE": ("block", "its end tag", frozenset({"TAG_CLOSE"})),
    "OPEN_FOR": ("'{% for %}'", "'{% endfor %}'", frozenset({"TAG_CLOSE"})),
    "OPEN_SET": ("'{% set %}'", "'%}'", frozenset({"TAG_CLOSE"})),
    "LPAR": ("'('", "')'", frozenset({"RPAR", "COMMA"})),
    "LSQB": ("'['", "']'", frozenset({"RSQB", "COMMA"})),
    "LBRACE": ("'{'", "'}'", frozenset({"RBRACE", "COMMA", "COLON"})),
}
_TAG = re.compile(r"\{%-?\s*(\w*)")
_LEXEME = re.compile(r"-?\}\}|-?%\}|\w+|\S")
_KNOWN_TAGS = "kflow supports if/elseif/else/endif, for/else/endfor, set and raw/endraw"


def _describe(kind: str, value: str) -> str:
    if kind in _DESCRIPTIONS and kind not in _VALUES:
        return _DESCRIPTIONS[kind]
    return f"'{value}'" if value else _DESCRIPTIONS.get(kind, kind.lower())


def _expected_words(expected: set[str], stack: list[Any]) -> str:
    """Say in words what the parser would have accepted, keeping only the closer that fits here.

    LALR shares states between contexts, so Lark's expected set holds the closers of every context
    an expression can be in (``)``, ``]``, ``}}``, ``%}``…); the innermost open bracket says which
    is real.
    """
    names = set(expected)
    opened = _open_construct(stack)
    if opened is not None:
        opener, closed_tag = opened
        allowed = _OPENERS[opener.type][2]
        if opener.type.startswith("OPEN_") and closed_tag:
            allowed = frozenset()
        if any(isinstance(v, LexToken) and v.type == "QMARK" for v in stack):
            allowed |= {"COLON"}
        names -= _CLOSERS - allowed
    words: list[str] = []
    if names & (_VALUES - {"NAME"}):
        words.append("an expression")
        names -= _EXPRESSION_STARTS
    if len(names & _OPERATORS) > 2:
        words.append("an operator")
        names -= _OPERATORS | {"LSQB", "LPAR"}
    words += sorted({_DESCRIPTIONS.get(n, n) for n in names if not n.startswith("__")})
    if not words:
        return "something else"
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _stack(error: UnexpectedInput) -> list[Any]:
    state = getattr(error, "state", None)
    stack = getattr(state, "value_stack", None)
    return list(stack) if stack else []


def _open_construct(stack: list[Any]) -> tuple[Token, bool] | None:
    """The innermost construct still open on the parser stack, and whether its tag was closed."""
    closed_tag = False
    for value in reversed(stack):
        if isinstance(value, LexToken):
            if value.type == "TAG_CLOSE":
                closed_tag = True
            elif value.type in ("OPEN_ELSE", "OPEN_ELSEIF") and closed_tag:
                continue  # the block is the enclosing if/for
            elif value.type in _OPENERS:
                return value, closed_tag
    return None


def _tag_keyword(opener: Token) -> str:
    return str(opener).lstrip("{%-").strip()


def _syntax_error(error: UnexpectedInput, text: str) -> ExprError:
    """Turn Lark's exception into a short message, the offending offsets and a hint."""
    token: Token | None = getattr(error, "token", None)
    at_end = isinstance(error, UnexpectedEOF) or (token is not None and token.type == "$END")
    if at_end:
        position = len(text)
    elif isinstance(error, UnexpectedToken) and token is not None:
        position = _start(token) or 0
    else:
        position = getattr(error, "pos_in_stream", None) or 0

    special = _special_error(text, position)
    if special is not None:
        return special

    stack = _stack(error)
    expected = set(getattr(error, "expected", None) or getattr(error, "allowed", None) or ())
    if at_end:
        return _unclosed(stack, expected, text)

    lexeme = _LEXEME.match(text, position)
    end = lexeme.end() if lexeme else position + 1
    seen = text[position:end]
    if seen in ("'", '"'):
        return ExprError("unclosed string", position, end, f"add the closing {seen}")
    if isinstance(error, UnexpectedToken) and token is not None and token.type != "TEXT":
        # (The global lexer, asked after the contextual one failed, calls most things text.)
        if token.type in ("OPEN_ELSEIF", "OPEN_ELSE", "OPEN_ENDIF", "OPEN_ENDFOR"):
            return ExprError(
                f"'{{% {_tag_keyword(token)} %}}' without a matching opening tag",
                position,
                _end(token) or end,
                "remove it, or open the block it closes",
            )
        seen_words = _describe(token.type, str(token))
        end = _end(token) or end
    else:
        seen_words = repr(seen)
    previous = next((v for v in reversed(stack) if isinstance(v, LexToken)), None)
    if previous is not None and previous.type == "PIPE":
        hint = "expected a filter name after '|'"
    elif previous is not None and previous.type in ("IS", "IS_NOT"):
        hint = f"expected a test name after '{previous}'"
    elif previous is not None and previous.type in _OPERATOR_PRECEDENCE:
        hint = f"expected an expression after '{previous}'"
    else:
        hint = f"expected {_expected_words(expected, stack)}"
    return ExprError(f"unexpected {seen_words}", position, end, hint)


def _unclosed(stack: list[Any], expected: set[str], text: str) -> ExprError:
    opened = _open_construct(stack)
    if opened is None:
        return ExprError(
            "unexpected end of template",
            len(text),
            len(text),
            f"expected {_expected_words(expected, stack)}",
        )
    opener, closed_tag = opened
    what, closer, _ = _OPENERS[opener.type]
    if opener.type.startswith("OPEN_") and not closed_tag:
        what, closer = f"'{{% {_tag_keyword(opener)}' tag", "'%}'"
    elif opener.type == "OPEN_ELSE":
        what = "block"
    return ExprError(f"unclosed {what}", _start(opener) or 0, _end(opener) or 0, f"add {closer}")


def _special_error(text: str, position: int) -> ExprError | None:
    """Errors best explained by the raw text at the error: unclosed comments, unknown tags."""
    if text.startswith("{#", position):
        return ExprError("unclosed comment", position, position + 2, "close it with '#}'")
    match = _TAG.match(text, position)
    if match is None:
        return None
    word = match.group(1)
    span = (position, match.end())
    if word in ("raw", "verbatim"):
        return ExprError(f"unclosed '{{% {word} %}}'", *span, f"add '{{% end{word} %}}'")
    if word and word not in ("if", "elseif", "else", "endif", "for", "endfor", "set"):
        return ExprError(f"unknown tag '{word}'", *span, _KNOWN_TAGS)
    if not word:
        return ExprError("expected a tag name after '{%'", *span, _KNOWN_TAGS)
    return None


# ---- reading templates ---------------------------------------------------------------------------


def references(template: Template) -> list[Reference]:
    """Every read of a context variable in ``template``, in source order.

    Names bound inside the template (``{% for x in … %}``, ``{% set x = … %}``, ``loop`` in a for
    body) are not references. Roots that Kestra does not provide are returned too (the checker
    reports them); reads inside filter and function arguments and inside indexes are included.
    """
    found: list[Reference] = []
    _body_references(template.body, set(), found)
    regions = _conditional_regions(template)
    if regions:
        found = [
            replace(r, conditional=True)
            if any(start <= r.start < end for start, end in regions)
            else r
            for r in found
        ]
    found.sort(key=lambda r: (r.start, r.end))
    return found


def _conditional_regions(template: Template) -> list[tuple[int, int]]:
    """Offsets of the parts of a template that are evaluated only on some paths."""
    regions: list[tuple[int, int]] = []
    for node in _walk(template):
        parts: Iterable[Any] = ()
        if isinstance(node, Conditional):
            parts = (node.then, node.else_)
        elif isinstance(node, NullCoalesce) or (
            isinstance(node, Binary) and node.op in ("and", "or")
        ):
            parts = (node.right,)
        elif isinstance(node, If):
            parts = [e for b in node.branches for e in b.body] + list(node.else_ or ())
        elif isinstance(node, For):
            parts = [*node.body, *(node.else_ or ())]
        regions.extend((part.start, part.end) for part in parts)
    return regions


def _body_references(body: Iterable[Element], scope: set[str], found: list[Reference]) -> None:
    for element in body:
        if isinstance(element, Output):
            _expr_references(element.expr, scope, False, found)
        elif isinstance(element, If):
            branch_scopes = []
            for branch in element.branches:
                _expr_references(branch.condition, scope, False, found)
                inner = set(scope)
                _body_references(branch.body, inner, found)
                branch_scopes.append(inner)
            if element.else_ is not None:
                inner = set(scope)
                _body_references(element.else_, inner, found)
                branch_scopes.append(inner)
            # Pebble's if opens no scope: a set in any branch may be visible after the block.
            for inner in branch_scopes:
                scope |= inner
        elif isinstance(element, For):
            _expr_references(element.iterable, scope, False, found)
            inner = set(scope) | set(element.targets) | {catalogue.LOOP_VARIABLE}
            _body_references(element.body, inner, found)
            if element.else_ is not None:
                _body_references(element.else_, set(scope), found)
        elif isinstance(element, Set):
            _expr_references(element.expr, scope, False, found)
            scope.add(element.name)


def _expr_references(
    node: Expression, scope: set[str], guarded: bool, found: list[Reference]
) -> None:
    if isinstance(node, (Name, GetAttr, GetItem, MethodCall)):
        _chain_references(node, scope, guarded, found)
    elif isinstance(node, NullCoalesce):
        _expr_references(node.left, scope, True, found)
        _expr_references(node.right, scope, guarded, found)
    elif isinstance(node, Filter):
        _expr_references(node.expr, scope, guarded or node.name == "default", found)
        _arguments_references(node.args, node.kwargs, scope, found)
    elif isinstance(node, Test):
        _expr_references(node.expr, scope, node.name in ("defined", "null"), found)
        _arguments_references(node.args, node.kwargs, scope, found)
    elif isinstance(node, Call):
        _arguments_references(node.args, node.kwargs, scope, found)
    elif isinstance(node, Binary):
        _expr_references(node.left, scope, False, found)
        _expr_references(node.right, scope, False, found)
    elif isinstance(node, Unary):
        _expr_references(node.operand, scope, False, found)
    elif isinstance(node, Conditional):
        _expr_references(node.cond, scope, False, found)
        _expr_references(node.then, scope, guarded, found)
        _expr_references(node.else_, scope, guarded, found)
    elif isinstance(node, ListExpr):
        for item in node.items:
            _expr_references(item, scope, False, found)
    elif isinstance(node, MapExpr):
        for key, value in node.entries:
            _expr_references(key, scope, False, found)
            _expr_references(value, scope, False, found)


def _arguments_references(
    args: tuple[Expression, ...],
    kwargs: tuple[KeywordArg, ...],
    scope: set[str],
    found: list[Reference],
) -> None:
    for arg in args:
        _expr_references(arg, scope, False, found)
    for kwarg in kwargs:
        _expr_references(kwarg.value, scope, False, found)


def _chain_references(
    node: Expression, scope: set[str], guarded: bool, found: list[Reference]
) -> None:
    links: list[Expression] = []
    root = node
    while isinstance(root, (GetAttr, GetItem, MethodCall)):
        links.append(root)
        root = root.obj
    links.reverse()
    if isinstance(root, Name):
        if root.name not in scope:
            path: list[str | int | None] = []
            end = root.end
            for link in links:
                if isinstance(link, GetAttr):
                    path.append(link.name)
                elif isinstance(link, GetItem):
                    key = link.index
                    if isinstance(key, Literal) and type(key.value) in (str, int):
                        path.append(key.value)  # type: ignore[arg-type]
                    else:
                        path.append(None)
                        end = link.end
                        break
                else:
                    break
                end = link.end
            found.append(Reference(root.name, tuple(path), guarded, root.start, end))
    else:
        _expr_references(root, scope, False, found)
    for link in links:
        if isinstance(link, GetItem):
            _expr_references(link.index, scope, False, found)
        elif isinstance(link, MethodCall):
            for arg in link.args:
                _expr_references(arg, scope, False, found)


def unknown_names(template: Template) -> list[UnknownName]:
    """Filters, functions and tests in ``template`` missing from the catalogue, in source order."""
    found: list[UnknownName] = []
    for node in _walk(template):
        if isinstance(node, Filter) and node.name not in catalogue.FILTERS:
            found.append(UnknownName("filter", node.name, node.name_start, _name_end(node)))
        elif isinstance(node, Test) and node.name not in catalogue.TESTS:
            found.append(UnknownName("test", node.name, node.name_start, _name_end(node)))
        elif isinstance(node, Call) and node.name not in catalogue.FUNCTIONS:
            found.append(
                UnknownName("function", node.name, node.start, node.start + len(node.name))
            )
    found.sort(key=lambda u: u.start)
    return found


def _name_end(node: Filter | Test) -> int:
    return node.name_start + len(node.name)


def _walk(node: Any) -> Iterator[Node]:
    """Every node under ``node`` (itself included), depth first."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, tuple):
            stack.extend(current)
        elif isinstance(current, Node):
            yield current
            for name in current.__dataclass_fields__:
                value = getattr(current, name)
                if isinstance(value, (Node, tuple)):
                    stack.append(value)
