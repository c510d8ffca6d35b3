"""How filters and functions are declared, and what the context-aware ones receive."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kflow.runtime_shims.templating.services import Services

__all__ = ["Builtin", "Caller", "registrar"]


class Caller(Protocol):
    """What a function that needs the render context (``render``, ``secret``, ``read``…) sees."""

    @property
    def variables(self) -> Mapping[str, Any]:
        """The context variables the template is rendered with."""

    @property
    def services(self) -> Services:
        """The hooks to the outside world."""

    def render_nested(self, value: Any, recursive: bool) -> Any:
        """Render ``value`` (a template string, or a list/map of them) with the same variables."""

    def record_secret(self, value: str) -> None:
        """Note a secret value, so that it is masked in logs and error messages."""


@dataclass(frozen=True, slots=True)
class Builtin:
    """A filter or function: its implementation and Pebble's names for its arguments, in order.

    Filters are called as ``fn(value, **arguments)``, functions as ``fn(**arguments)``; with
    ``needs_caller`` the :class:`Caller` comes first; a ``variadic`` function takes its
    positional arguments as ``fn(*arguments)``. ``guards_input``: an undefined input becomes null
    instead of an error (the ``default`` filter).
    """

    name: str
    fn: Callable[..., Any]
    params: tuple[str, ...] = ()
    needs_caller: bool = False
    variadic: bool = False
    guards_input: bool = False


def registrar(
    table: dict[str, Builtin],
) -> Callable[..., Callable[[Callable[..., Any]], Callable[..., Any]]]:
    """A decorator factory that files implementations into ``table`` under one or more names."""

    def register(
        *names: str,
        params: tuple[str, ...] = (),
        needs_caller: bool = False,
        variadic: bool = False,
        guards_input: bool = False,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            for name in names:
                table[name] = Builtin(name, fn, params, needs_caller, variadic, guards_input)
            return fn

        return decorate

    return register
