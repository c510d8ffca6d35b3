"""Errors raised while rendering a template."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["FilterError", "SandboxError", "TemplateError", "UndefinedError", "scrub"]

_MASK = "******"


class TemplateError(Exception):
    """A template that cannot be rendered: what went wrong and where (offsets into the template)."""

    def __init__(self, message: str, start: int | None = None, end: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end

    def __str__(self) -> str:
        return self.message


class UndefinedError(TemplateError):
    """A variable, key, index or attribute that does not exist (or an attribute read on null).

    This is Pebble's ``AttributeNotFoundException``: the one error that ``??``, ``???``,
    ``is defined`` and the ``default`` filter turn into a fallback.
    """


class SandboxError(TemplateError):
    """An attempt to reach something the template language does not expose; never guarded."""


class FilterError(Exception):
    """Raised by a filter, function or test implementation; the evaluator adds the position."""


def scrub(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value replaced by a mask (longest first, so none leaks)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, _MASK)
    return text
