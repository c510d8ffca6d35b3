"""Evaluate Pebble templates: the AST of :mod:`kflow.expr` turned into Python closures.

Each template text is parsed and compiled once (cached by text and task ids); rendering then
calls the closures with a :class:`RenderContext`. The evaluator is the sandbox: a template can
read map keys and list items, call the filters, functions and tests registered here, and call a
short whitelist of Java-style methods on strings, lists, maps and numbers — each an explicit
Python function. No Python attribute of any value is ever looked up by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, NoReturn

from kflow.expr import catalogue
from kflow.expr.nodes import (
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
    Test,
    Text,
    Unary,
)
from kflow.runtime_shims.templating import methods
from kflow.runtime_shims.templating.builtin import Builtin
from kflow.runtime_shims.templating.errors import (
    FilterError,
    SandboxError,
    TemplateError,
    UndefinedError,
)
from kflow.runtime_shims.templating.filters import FILTERS
from kflow.runtime_shims.templating.functions import FUNCTIONS
from kflow.runtime_shims.templating.is_tests import TESTS, UNDEFINED_TOLERANT
from kflow.runtime_shims.templating.services import Services
from kflow.runtime_shims.templating.values import (
    MapEntry,
    arithmetic,
    compare,
    contains,
    is_number,
    java_str,
    pebble_equals,
    to_bool,
    to_output,
    type_name,
)

__all__ = ["CompiledTemplate", "RenderContext", "compile_template"]

Evaluator = Callable[["RenderContext"], Any]
Renderer = Callable[["RenderContext"], str]

#: How deeply ``render()`` may nest, and how many passes a recursive ``render()`` may take.
MAX_RENDER_DEPTH = 16
MAX_RENDER_PASSES = 100
_SNIPPET = 60


class RenderContext:
    """One rendering: the variables, the scopes opened by ``for``/``set``, the services, and the
    secrets read so far (shared with the templates ``render()`` renders)."""

    __slots__ = ("_services", "depth", "scopes", "secrets", "task_ids", "text", "variables")

    def __init__(
        self,
        variables: Mapping[str, Any],
        services: Services,
        task_ids: frozenset[str],
        text: str,
        secrets: list[str] | None = None,
        depth: int = 0,
    ) -> None:
        self.variables = variables
        self._services = services
        self.task_ids = task_ids
        self.text = text
        self.scopes: list[dict[str, Any]] = []
        self.secrets: list[str] = [] if secrets is None else secrets
        self.depth = depth

    @property
    def services(self) -> Services:
        """The hooks to the outside world."""
        return self._services

    def record_secret(self, value: str) -> None:
        """Remember a secret value (to mask it in errors) and pass it to ``on_secret``."""
        self.secrets.append(value)
        if self._services.on_secret is not None:
            self._services.on_secret(value)

    def render_nested(self, value: Any, recursive: bool) -> Any:
        """``render()``: render ``value`` with the root variables (not ``set``/``for`` names)."""
        if isinstance(value, str):
            result = self._render_text(value)
            passes = 0
            while recursive and result != value:
                passes += 1
                if passes > MAX_RENDER_PASSES:
                    raise TemplateError("render() did not settle after 100 passes")
                value, result = result, self._render_text(result)
            return result
        if isinstance(value, Mapping):
            return {
                self.render_nested(k, recursive): self.render_nested(v, recursive)
                for k, v in value.items()
            }
        if isinstance(value, (list, tuple)):
            return [self.render_nested(v, recursive) for v in value]
        return value

    def _render_text(self, text: str) -> str:
        if "{" not in text:
            return text
        if self.depth >= MAX_RENDER_DEPTH:
            raise TemplateError("render() is nested too deeply")
        inner = RenderContext(
            self.variables, self._services, self.task_ids, text, self.secrets, self.depth + 1
        )
        try:
            return compile_template(text, self.task_ids).render(inner)
        except TemplateError as error:
            # Kestra wraps the failure, so `??` does not turn an undefined variable inside the
            # rendered text into its fallback.
            kind = SandboxError if isinstance(error, SandboxError) else TemplateError
            if any(secret and secret in text for secret in self.secrets):
                # The text came from a secret: its pieces would show in the details.
                raise kind(
                    "in render(): the text could not be rendered (details hidden: it holds a "
                    "secret value)"
                ) from None
            raise kind(f"in render(): {error.message}") from None


class CompiledTemplate:
    """A parsed and compiled template; :meth:`render` gives its text, :meth:`evaluate` its
    typed value when the template is a single ``{{ expression }}``."""

    __slots__ = ("_body", "_single")

    def __init__(self, body: Renderer, single: Evaluator | None) -> None:
        self._body = body
        self._single = single

    def render(self, ctx: RenderContext) -> str:
        """The template's text."""
        return self._body(ctx)

    def evaluate(self, ctx: RenderContext) -> Any:
        """The typed value of a single-expression template, else the text."""
        return self._single(ctx) if self._single is not None else self._body(ctx)


@lru_cache(maxsize=4096)
def compile_template(text: str, task_ids: frozenset[str] = frozenset()) -> CompiledTemplate:
    """Parse and compile ``text``; raises :class:`TemplateError` on a syntax error."""
    # Imported here: the parser loads Lark, which a template without expressions never needs.
    from kflow.expr.parser import ExprError, parse_template

    try:
        tree = parse_template(text, task_ids)
    except ExprError as error:
        raise TemplateError(f"invalid template: {error}", error.start, error.end) from None
    body = tree.body
    single = None
    outputs = [e for e in body if not (isinstance(e, Text) and not e.value.strip())]
    if len(outputs) == 1 and isinstance(outputs[0], Output):
        single = _expression(outputs[0].expr)
    return CompiledTemplate(_body(body), single)


# ---- errors --------------------------------------------------------------------------------------


def _where(ctx: RenderContext, node: Node) -> str:
    snippet = ctx.text[node.start : node.end]
    if len(snippet) > _SNIPPET:
        snippet = snippet[: _SNIPPET - 3] + "..."
    return f" (at offset {node.start}: `{snippet}`)" if snippet else ""


def _fail(
    ctx: RenderContext, node: Node, message: str, kind: type[TemplateError] = TemplateError
) -> NoReturn:
    raise kind(message + _where(ctx, node), node.start, node.end)


def _path(node: Expression) -> str:
    """How an error names a variable: ``outputs.a.value``, ``outputs['a-b']``, ``rows[0]``."""
    if isinstance(node, Name):
        return node.name
    if isinstance(node, GetAttr):
        return f"{_path(node.obj)}.{node.name}"
    if isinstance(node, GetItem):
        index = node.index
        if isinstance(index, Literal) and isinstance(index.value, (str, int)):
            return f"{_path(node.obj)}[{index.value!r}]"
        return f"{_path(node.obj)}[…]"
    if isinstance(node, MethodCall):
        return f"{_path(node.obj)}.{node.name}()"
    return "(expression)"


# ---- template bodies -----------------------------------------------------------------------------


def _body(elements: tuple[Element, ...] | None) -> Renderer:
    parts = [_element(e) for e in elements or ()]
    if not parts:
        return lambda ctx: ""
    if len(parts) == 1:
        return parts[0]
    return lambda ctx: "".join([part(ctx) for part in parts])


def _element(node: Element) -> Renderer:
    if isinstance(node, Text):
        text = node.value
        return lambda ctx: text
    if isinstance(node, Output):
        return _output(node)
    if isinstance(node, If):
        return _if(node)
    if isinstance(node, For):
        return _for(node)
    if isinstance(node, Set):
        return _set(node)
    if isinstance(node, Raw):
        raw = node.text
        return lambda ctx: raw
    if isinstance(node, Comment):
        return lambda ctx: ""
    raise TypeError(f"unknown template element {type(node).__name__}")


def _output(node: Output) -> Renderer:
    evaluate = _expression(node.expr)

    def output(ctx: RenderContext) -> str:
        value = evaluate(ctx)
        return value if type(value) is str else to_output(value)

    return output


def _condition(ctx: RenderContext, node: Node, value: Any, where: str) -> bool:
    try:
        return to_bool(value, where)
    except FilterError as error:
        _fail(ctx, node, str(error))


def _if(node: If) -> Renderer:
    branches = [(_expression(b.condition), b.condition, _body(b.body)) for b in node.branches]
    otherwise = _body(node.else_) if node.else_ is not None else None

    def render_if(ctx: RenderContext) -> str:
        for condition, condition_node, body in branches:
            if _condition(ctx, condition_node, condition(ctx), "an if statement"):
                return body(ctx)
        return otherwise(ctx) if otherwise is not None else ""

    return render_if


def _for(node: For) -> Renderer:
    iterable = _expression(node.iterable)
    body = _body(node.body)
    otherwise = _body(node.else_) if node.else_ is not None else None
    targets = node.targets

    def render_for(ctx: RenderContext) -> str:
        value = iterable(ctx)
        if value is None:
            return ""
        if isinstance(value, Mapping):
            items: list[Any] = [MapEntry(k, v) for k, v in value.items()]
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            _fail(ctx, node.iterable, f"cannot loop over a {type_name(value)}")
        if not items:
            return otherwise(ctx) if otherwise is not None else ""
        scope: dict[str, Any] = {}
        ctx.scopes.append(scope)
        try:
            out = []
            length = len(items)
            for index, item in enumerate(items):
                scope["loop"] = {
                    "index": index,
                    "first": index == 0,
                    "last": index == length - 1,
                    "length": length,
                    "revindex": length - index - 1,
                }
                if len(targets) == 1:
                    scope[targets[0]] = item
                else:
                    _unpack(ctx, node, targets, item, scope)
                out.append(body(ctx))
            return "".join(out)
        finally:
            ctx.scopes.pop()

    return render_for


def _unpack(
    ctx: RenderContext, node: For, targets: tuple[str, ...], item: Any, scope: dict[str, Any]
) -> None:
    if isinstance(item, MapEntry) and len(targets) == 2:
        scope[targets[0]], scope[targets[1]] = item.key, item.value
    elif isinstance(item, (list, tuple)) and len(item) == len(targets):
        scope.update(zip(targets, item, strict=True))
    else:
        _fail(ctx, node.iterable, f"cannot unpack a {type_name(item)} into {', '.join(targets)}")


def _set(node: Set) -> Renderer:
    evaluate = _expression(node.expr)
    name = node.name

    def render_set(ctx: RenderContext) -> str:
        value = evaluate(ctx)
        if not ctx.scopes:
            ctx.scopes.append({})
        ctx.scopes[-1][name] = value
        return ""

    return render_set


# ---- expressions ---------------------------------------------------------------------------------


def _expression(node: Expression) -> Evaluator:
    if isinstance(node, Literal):
        value = node.value
        return lambda ctx: value
    if isinstance(node, Name):
        return _name(node)
    if isinstance(node, GetAttr):
        return _get_attr(node)
    if isinstance(node, GetItem):
        return _get_item(node)
    if isinstance(node, MethodCall):
        return _method_call(node)
    if isinstance(node, Filter):
        return _filter(node)
    if isinstance(node, Call):
        return _call(node)
    if isinstance(node, Test):
        return _test(node)
    if isinstance(node, Binary):
        return _binary(node)
    if isinstance(node, Unary):
        return _unary(node)
    if isinstance(node, Conditional):
        return _conditional(node)
    if isinstance(node, NullCoalesce):
        return _coalesce(node)
    if isinstance(node, ListExpr):
        items = [_expression(i) for i in node.items]
        return lambda ctx: [item(ctx) for item in items]
    if isinstance(node, MapExpr):
        entries = [(_expression(k), _expression(v)) for k, v in node.entries]
        return lambda ctx: {key(ctx): value(ctx) for key, value in entries}
    raise TypeError(f"unknown expression {type(node).__name__}")


def _name(node: Name) -> Evaluator:
    name = node.name

    def read(ctx: RenderContext) -> Any:
        if ctx.scopes:
            for scope in reversed(ctx.scopes):
                if name in scope:
                    return scope[name]
        try:
            return ctx.variables[name]
        except KeyError:
            _fail(ctx, node, f"undefined variable '{name}'", UndefinedError)

    return read


def _get_attr(node: GetAttr) -> Evaluator:
    obj = _expression(node.obj)
    name = node.name

    def read(ctx: RenderContext) -> Any:
        value = obj(ctx)
        if type(value) is dict:
            try:
                return value[name]
            except KeyError:
                pass
        return _attribute(ctx, node, value, name)

    return read


def _attribute(ctx: RenderContext, node: GetAttr | GetItem, value: Any, name: Any) -> Any:
    """``value.name`` / ``value[name]``: a map key, a list index, or a whitelisted property."""
    if value is None:
        _fail(ctx, node, f"'{_path(node.obj)}' is null, so it has no '{name}'", UndefinedError)
    if isinstance(value, Mapping):
        if isinstance(name, (str, int, float, bool)) or name is None:
            if name in value:
                return value[name]
            if is_number(name) and java_str(name) in value:
                return value[java_str(name)]
        _fail(ctx, node, f"undefined variable '{_path(node)}'", UndefinedError)
    if isinstance(name, str) and name.startswith("_"):
        _fail(ctx, node, f"access to '{name}' is not allowed", SandboxError)
    if isinstance(value, (list, tuple)):
        index = _index(name)
        if index is not None:
            if 0 <= index < len(value):
                return value[index]
            _fail(
                ctx,
                node,
                f"index {index} is out of bounds for '{_path(node.obj)}' (a list of {len(value)})",
                UndefinedError,
            )
    found, result = methods.property_of(value, java_str(name))
    if found:
        return result
    _fail(
        ctx,
        node,
        f"a {type_name(value)} has no attribute '{java_str(name)}' ('{_path(node)}')",
        UndefinedError,
    )


def _index(name: Any) -> int | None:
    if isinstance(name, bool):
        return None
    if isinstance(name, int):
        return name
    if isinstance(name, float) and name.is_integer():
        return int(name)
    if isinstance(name, str) and name.lstrip("-").isdigit():
        return int(name)
    return None


def _get_item(node: GetItem) -> Evaluator:
    obj = _expression(node.obj)
    index = _expression(node.index)

    def read(ctx: RenderContext) -> Any:
        value = obj(ctx)
        key = index(ctx)
        if type(value) is dict and type(key) is str and key in value:
            return value[key]
        return _attribute(ctx, node, value, key)

    return read


def _method_call(node: MethodCall) -> Evaluator:
    obj = _expression(node.obj)
    args = [_expression(a) for a in node.args]
    name = node.name
    if name.startswith("_"):

        def refuse(ctx: RenderContext) -> Any:
            _fail(ctx, node, f"access to '{name}' is not allowed", SandboxError)

        return refuse

    def call(ctx: RenderContext) -> Any:
        value = obj(ctx)
        arguments = [a(ctx) for a in args]
        if value is None:
            _fail(
                ctx, node, f"'{_path(node.obj)}' is null, so it has no '{name}()'", UndefinedError
            )
        method = methods.method_of(value, name, len(arguments))
        if method is None:
            _fail(
                ctx,
                node,
                f"a {type_name(value)} has no method '{name}' with {len(arguments)} argument(s)",
                UndefinedError,
            )
        try:
            return method(value, *arguments)
        except FilterError as error:
            _fail(ctx, node, f"{name}(): {error}")
        except (ValueError, TypeError, LookupError, ArithmeticError) as error:
            _fail(ctx, node, f"{name}() failed: {type(error).__name__}")

    return call


def _bind(
    node: Filter | Call, spec: Builtin, kind: str
) -> tuple[list[tuple[str, Evaluator]], list[Evaluator], str | None]:
    """Match the written arguments to the builtin's parameters once, when compiling.

    Returns the named arguments, the positional ones (variadic builtins only) and an error.
    """
    named: list[tuple[str, Evaluator]] = []
    positional: list[Evaluator] = []
    if spec.variadic:
        if node.kwargs:
            return [], [], f"{kind} '{spec.name}' takes no named arguments"
        return [], [_expression(a) for a in node.args], None
    if len(node.args) > len(spec.params):
        return (
            [],
            [],
            (
                f"{kind} '{spec.name}' takes at most {len(spec.params)} argument(s), "
                f"{len(node.args)} given"
            ),
        )
    for param, arg in zip(spec.params, node.args, strict=False):
        named.append((param, _expression(arg)))
    given = {p for p, _ in named}
    for keyword in node.kwargs:
        if keyword.name not in spec.params:
            accepted = ", ".join(spec.params) or "none"
            return (
                [],
                [],
                (f"{kind} '{spec.name}' has no argument '{keyword.name}' (accepted: {accepted})"),
            )
        if keyword.name in given:
            return [], [], f"argument '{keyword.name}' of {kind} '{spec.name}' is given twice"
        given.add(keyword.name)
        named.append((keyword.name, _expression(keyword.value)))
    return named, positional, None


def _unavailable(node: Node, kind: str, name: str, known: frozenset[str]) -> Evaluator:
    if name in known:
        message = f"{kind} '{name}' is not supported by kflow yet"
    else:
        message = f"unknown {kind} '{name}'"

    def fail(ctx: RenderContext) -> Any:
        _fail(ctx, node, message)

    return fail


def _invoke(ctx: RenderContext, node: Node, kind: str, name: str, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except UndefinedError:
        raise
    except TemplateError as error:
        if error.start is None:
            _fail(ctx, node, f"{kind} '{name}': {error.message}")
        raise
    except FilterError as error:
        _fail(ctx, node, f"{kind} '{name}': {error}")
    except RecursionError:
        _fail(ctx, node, f"{kind} '{name}': the value is nested too deeply")
    except Exception as error:  # a service hook or library failing: report it, do not crash
        detail = str(error).splitlines()[0] if str(error) else ""
        _fail(
            ctx,
            node,
            f"{kind} '{name}' failed: {type(error).__name__}" + (f": {detail}" if detail else ""),
        )


def _filter(node: Filter) -> Evaluator:
    spec = FILTERS.get(node.name)
    if spec is None:
        return _unavailable(node, "filter", node.name, catalogue.FILTERS)
    named, _, problem = _bind(node, spec, "filter")
    if problem is not None:
        message = problem

        def fail(ctx: RenderContext) -> Any:
            _fail(ctx, node, message)

        return fail
    subject = _expression(node.expr)
    fn = spec.fn
    guards = spec.guards_input
    name = node.name

    def apply(ctx: RenderContext) -> Any:
        if guards:
            try:
                value = subject(ctx)
            except UndefinedError:
                value = None
        else:
            value = subject(ctx)
        arguments = {param: evaluate(ctx) for param, evaluate in named}
        return _invoke(ctx, node, "filter", name, lambda: fn(value, **arguments))

    return apply


def _call(node: Call) -> Evaluator:
    spec = FUNCTIONS.get(node.name)
    if spec is None:
        return _unavailable(node, "function", node.name, catalogue.FUNCTIONS)
    named, positional, problem = _bind(node, spec, "function")
    if problem is not None:
        message = problem

        def fail(ctx: RenderContext) -> Any:
            _fail(ctx, node, message)

        return fail
    fn = spec.fn
    name = node.name
    needs_caller = spec.needs_caller

    def call(ctx: RenderContext) -> Any:
        arguments = {param: evaluate(ctx) for param, evaluate in named}
        values = [evaluate(ctx) for evaluate in positional]
        if needs_caller:
            return _invoke(ctx, node, "function", name, lambda: fn(ctx, *values, **arguments))
        return _invoke(ctx, node, "function", name, lambda: fn(*values, **arguments))

    return call


def _test(node: Test) -> Evaluator:
    test = TESTS.get(node.name)
    if test is None:
        return _unavailable(node, "test", node.name, catalogue.TESTS)
    if node.args or node.kwargs:
        message = f"test '{node.name}' takes no arguments"

        def fail(ctx: RenderContext) -> Any:
            _fail(ctx, node, message)

        return fail
    subject = _expression(node.expr)
    tolerant = node.name in UNDEFINED_TOLERANT
    negated = node.negated
    name = node.name

    def check(ctx: RenderContext) -> bool:
        if tolerant:
            try:
                value = subject(ctx)
            except UndefinedError:
                value = None
        else:
            value = subject(ctx)
        result = _invoke(ctx, node, "test", name, lambda: test(value))
        return not result if negated else bool(result)

    return check


def _binary(node: Binary) -> Evaluator:
    left = _expression(node.left)
    right = _expression(node.right)
    op = node.op
    if op == "and":

        def both(ctx: RenderContext) -> bool:
            if not _condition(ctx, node.left, left(ctx), "'and'"):
                return False
            return _condition(ctx, node.right, right(ctx), "'and'")

        return both
    if op == "or":

        def either(ctx: RenderContext) -> bool:
            if _condition(ctx, node.left, left(ctx), "'or'"):
                return True
            return _condition(ctx, node.right, right(ctx), "'or'")

        return either
    if op == "==":
        return lambda ctx: pebble_equals(left(ctx), right(ctx))
    if op == "!=":
        return lambda ctx: not pebble_equals(left(ctx), right(ctx))
    if op == "~":

        def concat(ctx: RenderContext) -> str:
            a, b = left(ctx), right(ctx)
            return ("" if a is None else java_str(a)) + ("" if b is None else java_str(b))

        return concat
    if op == "contains":

        def contain(ctx: RenderContext) -> bool:
            container = left(ctx)
            if container is None:
                return False
            try:
                return contains(container, right(ctx))
            except FilterError as error:
                _fail(ctx, node, str(error))

        return contain
    if op == "..":
        spec = FUNCTIONS["range"]

        def span(ctx: RenderContext) -> Any:
            a, b = left(ctx), right(ctx)
            return _invoke(ctx, node, "operator", "..", lambda: spec.fn(start=a, end=b))

        return span
    if op in ("<", ">", "<=", ">="):

        def compare_values(ctx: RenderContext) -> bool:
            a, b = left(ctx), right(ctx)
            try:
                return compare(op, a, b)
            except FilterError as error:
                _fail(ctx, node, str(error))

        return compare_values

    def compute(ctx: RenderContext) -> Any:
        a, b = left(ctx), right(ctx)
        try:
            return arithmetic(op, a, b)
        except FilterError as error:
            _fail(ctx, node, str(error))

    return compute


def _unary(node: Unary) -> Evaluator:
    operand = _expression(node.operand)
    op = node.op

    def apply(ctx: RenderContext) -> Any:
        value = operand(ctx)
        if op == "not":
            return not _condition(ctx, node, value, "'not'")
        if not is_number(value):
            _fail(ctx, node, f"unary '{op}' needs a number, not a {type_name(value)}")
        return -value if op == "-" else value

    return apply


def _conditional(node: Conditional) -> Evaluator:
    condition = _expression(node.cond)
    then = _expression(node.then)
    otherwise = _expression(node.else_)

    def choose(ctx: RenderContext) -> Any:
        value = condition(ctx)
        if value is not None and _condition(ctx, node.cond, value, "'? :'"):
            return then(ctx)
        return otherwise(ctx)

    return choose


def _coalesce(node: NullCoalesce) -> Evaluator:
    left = _expression(node.left)
    right = _expression(node.right)
    undefined_only = node.undefined_only

    def coalesce(ctx: RenderContext) -> Any:
        try:
            value = left(ctx)
        except UndefinedError:
            return right(ctx)
        if value is None and not undefined_only:
            return right(ctx)
        return value

    return coalesce
