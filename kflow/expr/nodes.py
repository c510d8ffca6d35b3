"""The expression AST for Pebble templates, and its canonical printer.

A Kestra property such as ``"Hello {{ inputs.name | upper }}!"`` is a :class:`Template`: a sequence
of *elements* (plain :class:`Text`, :class:`Output` for ``{{ … }}``, the ``{% … %}`` tags
:class:`If`, :class:`For`, :class:`Set`, :class:`Raw`, and :class:`Comment`). Everything inside
``{{ }}`` and the tags is an *expression* node.

Every node is a frozen, slotted dataclass. ``start``/``end`` are character offsets into the template
text (end exclusive); they are keyword-only, default to 0 and take no part in equality, so two trees
compare equal when they mean the same thing wherever they were written.

The tree is canonical: ``a equals b`` is ``Binary('==', …)``, ``outputs.set-vars.value`` is (when
``set-vars`` is a task id) the same tree as ``outputs['set-vars'].value``, parentheses leave no
trace, and whitespace control (``{{-``, ``-%}``) has already been applied to the neighbouring
:class:`Text`. :func:`to_source` prints the one canonical text of a tree; parsing that text gives
the tree back.

Operator precedence is Pebble's (``PRECEDENCE`` below; higher binds tighter); member access,
indexing and calls bind tightest of all. This module has no dependency beyond the standard library:
the runtime imports it without Lark.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "COALESCE_PRECEDENCE",
    "FILTER_PRECEDENCE",
    "PRECEDENCE",
    "TEST_PRECEDENCE",
    "UNARY_PRECEDENCE",
    "Binary",
    "Call",
    "Comment",
    "Conditional",
    "Element",
    "Expression",
    "Filter",
    "For",
    "GetAttr",
    "GetItem",
    "If",
    "IfBranch",
    "KeywordArg",
    "ListExpr",
    "Literal",
    "LiteralValue",
    "MapExpr",
    "MethodCall",
    "Name",
    "Node",
    "NullCoalesce",
    "Output",
    "Raw",
    "Set",
    "Template",
    "Test",
    "Text",
    "Unary",
    "to_source",
]

LiteralValue = str | int | float | bool | None

#: Binary operators and their precedence (Pebble 3 core + Kestra; all left-associative).
PRECEDENCE: dict[str, int] = {
    "or": 10,
    "and": 15,
    "contains": 20,
    "==": 30,
    "!=": 30,
    "<": 30,
    ">": 30,
    "<=": 30,
    ">=": 30,
    "+": 40,
    "-": 40,
    "*": 60,
    "/": 60,
    "%": 60,
    "~": 110,
    "..": 120,
}
#: ``x is [not] test`` binds like ``contains``.
TEST_PRECEDENCE = 20
#: ``x | filter`` binds tighter than arithmetic and looser than ``~``.
FILTER_PRECEDENCE = 100
#: Kestra's ``??`` and ``???``.
COALESCE_PRECEDENCE = 120
#: Prefix ``not``, ``-`` and ``+`` take a single operand (Pebble 3 raised ``not`` to this level).
UNARY_PRECEDENCE = 500
_ATOM = 1000
_CONDITIONAL = 0


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every node: where it is in the template text."""

    start: int = field(default=0, compare=False, repr=False, kw_only=True)
    end: int = field(default=0, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Expression(Node):
    """Base of expression nodes."""


@dataclass(frozen=True, slots=True)
class Element(Node):
    """Base of the nodes a template body is made of."""


# ---- expressions ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Literal(Expression):
    """A string, integer, float, boolean or null constant.

    Equality also compares the Python type, so ``Literal(True) != Literal(1) != Literal(1.0)``.
    """

    value: LiteralValue

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Literal):
            return NotImplemented
        return type(self.value) is type(other.value) and self.value == other.value

    def __hash__(self) -> int:
        return hash((type(self.value), self.value))


@dataclass(frozen=True, slots=True)
class ListExpr(Expression):
    """``[a, b, …]``."""

    items: tuple[Expression, ...] = ()


@dataclass(frozen=True, slots=True)
class MapExpr(Expression):
    """``{key: value, …}``; keys are expressions (``{a: 1}`` reads the variable ``a``)."""

    entries: tuple[tuple[Expression, Expression], ...] = ()


@dataclass(frozen=True, slots=True)
class Name(Expression):
    """A variable read: a context root (``outputs``) or a name bound by ``for``/``set``."""

    name: str


@dataclass(frozen=True, slots=True)
class GetAttr(Expression):
    """``obj.name``."""

    obj: Expression
    name: str


@dataclass(frozen=True, slots=True)
class GetItem(Expression):
    """``obj[index]``."""

    obj: Expression
    index: Expression


@dataclass(frozen=True, slots=True)
class MethodCall(Expression):
    """``obj.name(args)``: a Java method call on a value (positional arguments only)."""

    obj: Expression
    name: str
    args: tuple[Expression, ...] = ()


@dataclass(frozen=True, slots=True)
class KeywordArg(Node):
    """``name=value`` in an argument list."""

    name: str
    value: Expression


@dataclass(frozen=True, slots=True)
class Filter(Expression):
    """``expr | name`` or ``expr | name(args, key=value)``."""

    expr: Expression
    name: str
    args: tuple[Expression, ...] = ()
    kwargs: tuple[KeywordArg, ...] = ()
    #: Offset of the filter's name, for diagnostics that point at it.
    name_start: int = field(default=0, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Call(Expression):
    """``name(args, key=value)``: a function call."""

    name: str
    args: tuple[Expression, ...] = ()
    kwargs: tuple[KeywordArg, ...] = ()


@dataclass(frozen=True, slots=True)
class Test(Expression):
    """``expr is name`` / ``expr is not name`` (optionally with arguments)."""

    expr: Expression
    name: str
    negated: bool = False
    args: tuple[Expression, ...] = ()
    kwargs: tuple[KeywordArg, ...] = ()
    #: Offset of the test's name, for diagnostics that point at it.
    name_start: int = field(default=0, compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Unary(Expression):
    """``not x``, ``-x``, ``+x``; ``op`` is ``'not'``, ``'-'`` or ``'+'``."""

    op: str
    operand: Expression


@dataclass(frozen=True, slots=True)
class Binary(Expression):
    """``left op right`` for each operator in :data:`PRECEDENCE` (``equals`` is stored as ==)."""

    op: str
    left: Expression
    right: Expression


@dataclass(frozen=True, slots=True)
class Conditional(Expression):
    """``cond ? then : else_``."""

    cond: Expression
    then: Expression
    else_: Expression


@dataclass(frozen=True, slots=True)
class NullCoalesce(Expression):
    """``left ?? right`` (null or undefined), or ``left ??? right`` when ``undefined_only``."""

    left: Expression
    right: Expression
    undefined_only: bool = False


# ---- template elements ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text(Element):
    """Literal text between tags, after whitespace control was applied."""

    value: str


@dataclass(frozen=True, slots=True)
class Output(Element):
    """``{{ expr }}``."""

    expr: Expression


@dataclass(frozen=True, slots=True)
class IfBranch(Node):
    """One ``{% if %}`` or ``{% elseif %}`` branch."""

    condition: Expression
    body: tuple[Element, ...] = ()


@dataclass(frozen=True, slots=True)
class If(Element):
    """``{% if %}…{% elseif %}…{% else %}…{% endif %}``; ``else_`` is None without an else."""

    branches: tuple[IfBranch, ...]
    else_: tuple[Element, ...] | None = None


@dataclass(frozen=True, slots=True)
class For(Element):
    """``{% for x in iterable %}…{% else %}…{% endfor %}`` (``targets`` holds ``x``, or ``k, v``).

    Inside ``body`` the targets and ``loop`` are bound; ``else_`` runs when ``iterable`` is empty.
    """

    targets: tuple[str, ...]
    iterable: Expression
    body: tuple[Element, ...] = ()
    else_: tuple[Element, ...] | None = None


@dataclass(frozen=True, slots=True)
class Set(Element):
    """``{% set name = expr %}``."""

    name: str
    expr: Expression


@dataclass(frozen=True, slots=True)
class Raw(Element):
    """``{% raw %}text{% endraw %}`` (or Pebble's ``verbatim``): ``text`` is output as is."""

    text: str


@dataclass(frozen=True, slots=True)
class Comment(Element):
    """``{# text #}``; renders nothing."""

    text: str


@dataclass(frozen=True, slots=True)
class Template(Node):
    """A whole template string."""

    body: tuple[Element, ...] = ()


# ---- printer -------------------------------------------------------------------------------------


def to_source(node: Node) -> str:
    """Print ``node`` as canonical Pebble text (minimal parentheses, single-quoted strings).

    For any tree the parser can produce, parsing the result gives an equal tree.
    """
    if isinstance(node, Template):
        return _body(node.body)
    if isinstance(node, Element):
        return _element(node)
    if isinstance(node, Expression):
        return _expr(node)
    if isinstance(node, KeywordArg):
        return f"{node.name}={_expr(node.value)}"
    if isinstance(node, IfBranch):
        return _element(If((node,)))
    raise TypeError(f"not an expression node: {node!r}")


def _body(body: tuple[Element, ...] | None) -> str:
    return "".join(_element(e) for e in body or ())


def _element(node: Element) -> str:
    if isinstance(node, Text):
        return node.value
    if isinstance(node, Output):
        return f"{{{{ {_expr(node.expr)} }}}}"
    if isinstance(node, If):
        parts = []
        for i, branch in enumerate(node.branches):
            keyword = "if" if i == 0 else "elseif"
            parts.append(f"{{% {keyword} {_expr(branch.condition)} %}}{_body(branch.body)}")
        if node.else_ is not None:
            parts.append(f"{{% else %}}{_body(node.else_)}")
        parts.append("{% endif %}")
        return "".join(parts)
    if isinstance(node, For):
        head = f"{{% for {', '.join(node.targets)} in {_expr(node.iterable)} %}}"
        tail = "" if node.else_ is None else f"{{% else %}}{_body(node.else_)}"
        return f"{head}{_body(node.body)}{tail}{{% endfor %}}"
    if isinstance(node, Set):
        return f"{{% set {node.name} = {_expr(node.expr)} %}}"
    if isinstance(node, Raw):
        keyword = "verbatim" if "endraw" in node.text else "raw"
        return f"{{% {keyword} %}}{node.text}{{% end{keyword} %}}"
    if isinstance(node, Comment):
        return f"{{#{node.text}#}}"
    raise TypeError(f"not a template element: {node!r}")


def _precedence(node: Expression) -> int:
    if isinstance(node, Binary):
        return PRECEDENCE[node.op]
    if isinstance(node, NullCoalesce):
        return COALESCE_PRECEDENCE
    if isinstance(node, Filter):
        return FILTER_PRECEDENCE
    if isinstance(node, Test):
        return TEST_PRECEDENCE
    if isinstance(node, Unary):
        return UNARY_PRECEDENCE
    if isinstance(node, Conditional):
        return _CONDITIONAL
    return _ATOM


def _wrapped(node: Expression, parenthesize: bool) -> str:
    text = _expr(node)
    return f"({text})" if parenthesize else text


def _postfix_object(node: Expression) -> str:
    # Pebble allows `.x`, `[i]` after names, calls, strings and parentheses, not after `[…]`/`{…}`;
    # a number would run into the dot (`1.x`).
    bare = _precedence(node) == _ATOM and not isinstance(node, (ListExpr, MapExpr))
    if isinstance(node, Literal) and isinstance(node.value, (int, float)):
        bare = isinstance(node.value, bool)
    return _wrapped(node, not bare)


def _arguments(args: tuple[Expression, ...], kwargs: tuple[KeywordArg, ...]) -> str:
    parts = [_expr(a) for a in args]
    parts += [f"{k.name}={_expr(k.value)}" for k in kwargs]
    return f"({', '.join(parts)})"


def _expr(node: Expression) -> str:
    if isinstance(node, Literal):
        return _literal(node.value)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, GetAttr):
        return f"{_postfix_object(node.obj)}.{node.name}"
    if isinstance(node, GetItem):
        return f"{_postfix_object(node.obj)}[{_expr(node.index)}]"
    if isinstance(node, MethodCall):
        return f"{_postfix_object(node.obj)}.{node.name}{_arguments(node.args, ())}"
    if isinstance(node, Call):
        return f"{node.name}{_arguments(node.args, node.kwargs)}"
    if isinstance(node, ListExpr):
        return f"[{', '.join(_expr(i) for i in node.items)}]"
    if isinstance(node, MapExpr):
        return "{" + ", ".join(f"{_expr(k)}: {_expr(v)}" for k, v in node.entries) + "}"
    if isinstance(node, Unary):
        operand = _wrapped(node.operand, _precedence(node.operand) < UNARY_PRECEDENCE)
        if node.op == "not":
            return f"not {operand}"
        if operand[:1] in ("-", "+"):
            operand = f"({operand})"
        return f"{node.op}{operand}"
    if isinstance(node, Binary):
        level = PRECEDENCE[node.op]
        left = _wrapped(node.left, _precedence(node.left) < level)
        right = _wrapped(node.right, _precedence(node.right) <= level)
        return f"{left} {node.op} {right}"
    if isinstance(node, NullCoalesce):
        left = _wrapped(node.left, _precedence(node.left) < COALESCE_PRECEDENCE)
        right = _wrapped(node.right, _precedence(node.right) <= COALESCE_PRECEDENCE)
        return f"{left} {'???' if node.undefined_only else '??'} {right}"
    if isinstance(node, Filter):
        subject = _wrapped(node.expr, _precedence(node.expr) < FILTER_PRECEDENCE)
        arguments = _arguments(node.args, node.kwargs) if node.args or node.kwargs else ""
        return f"{subject} | {node.name}{arguments}"
    if isinstance(node, Test):
        subject = _wrapped(node.expr, _precedence(node.expr) < TEST_PRECEDENCE)
        arguments = _arguments(node.args, node.kwargs) if node.args or node.kwargs else ""
        return f"{subject} is {'not ' if node.negated else ''}{node.name}{arguments}"
    if isinstance(node, Conditional):
        cond = _wrapped(node.cond, isinstance(node.cond, Conditional))
        then = _wrapped(node.then, isinstance(node.then, Conditional))
        return f"{cond} ? {then} : {_expr(node.else_)}"
    raise TypeError(f"not an expression: {node!r}")


def _literal(value: LiteralValue) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text or "E" in text:
            # Pebble numbers are plain digits with an optional fraction: no exponent.
            text = format(Decimal(text), "f")
        return text if "." in text else f"{text}.0"
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
