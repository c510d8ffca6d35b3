"""Java string and regex behaviour that Pebble filters inherit: ``split``, ``replaceAll``, ``trim``,
``URLEncoder``. Python's equivalents differ at the edges (trailing empty strings, ``$1`` in a
replacement, which characters are URL-safe), and flows depend on those edges.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import quote_plus, unquote_plus

from kflow.runtime_shims.templating.errors import FilterError

__all__ = [
    "java_regex",
    "java_replacement",
    "java_split",
    "java_trim",
    "url_decode",
    "url_encode",
]

# String.trim() removes every code point up to U+0020.
_TRIMMED = "".join(chr(code) for code in range(0x21))
_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


def java_trim(text: str) -> str:
    """Java's ``String.trim``: strips control characters and spaces (not other Unicode spaces)."""
    return text.strip(_TRIMMED)


@lru_cache(maxsize=256)
def java_regex(pattern: str) -> re.Pattern[str]:
    """Compile a Java regular expression with Python's engine (``(?<name>…)`` groups translated).

    Constructs Python lacks (``\\p{…}`` classes, possessive quantifiers) are an error, not a
    silently different match.
    """
    translated = _NAMED_GROUP.sub("(?P<", pattern)
    try:
        return re.compile(translated)
    except re.error as error:
        raise FilterError(f"invalid regular expression: {error}") from None


def java_split(text: str, pattern: str, limit: int = 0) -> list[str]:
    """Java's ``String.split(regex, limit)``.

    A positive limit caps the number of pieces (the last keeps the rest); zero drops trailing
    empty strings; a negative limit keeps them. A zero-width match at the start gives no leading
    empty string.
    """
    regex = java_regex(pattern)
    pieces: list[str] = []
    position = 0
    for match in regex.finditer(text):
        if limit > 0 and len(pieces) == limit - 1:
            break
        if match.end() == 0:
            continue  # zero-width match at the start
        if match.start() == match.end() and match.start() >= len(text):
            break
        pieces.append(text[position : match.start()])
        position = match.end()
    if not pieces:
        return [text]
    pieces.append(text[position:])
    if limit == 0:
        while pieces and pieces[-1] == "":
            pieces.pop()
    return pieces


def java_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """A ``re.sub`` callback for a Java replacement string (``$1``, ``${name}``, ``\\$``)."""
    parts: list[str | int] = []
    literal: list[str] = []
    i = 0
    while i < len(replacement):
        char = replacement[i]
        if char == "\\":
            if i + 1 >= len(replacement):
                raise FilterError("character to be escaped is missing in the replacement")
            literal.append(replacement[i + 1])
            i += 2
            continue
        if char == "$":
            if replacement.startswith("{", i + 1):
                close = replacement.find("}", i + 2)
                if close < 0:
                    raise FilterError("named capturing group is missing a trailing '}'")
                parts.append("".join(literal))
                literal.clear()
                parts.append(replacement[i + 2 : close])
                i = close + 1
                continue
            j = i + 1
            while j < len(replacement) and replacement[j].isdigit():
                j += 1
            if j == i + 1:
                raise FilterError("illegal group reference in the replacement")
            parts.append("".join(literal))
            literal.clear()
            parts.append(int(replacement[i + 1 : j]))
            i = j
            continue
        literal.append(char)
        i += 1
    parts.append("".join(literal))

    def expand(match: re.Match[str]) -> str:
        out: list[str] = []
        for index, part in enumerate(parts):
            if isinstance(part, str) and index % 2 == 0:
                out.append(part)
            else:
                try:
                    out.append(match.group(part) or "")
                except (IndexError, KeyError):
                    raise FilterError(f"no group {part} in the regular expression") from None
        return "".join(out)

    return expand


def url_encode(text: str) -> str:
    """Java's ``URLEncoder.encode(text, UTF-8)``: space as ``+``, only ``.-*_`` and alphanumerics
    left as they are."""
    return quote_plus(text, safe="*").replace("~", "%7E")


def url_decode(text: str) -> str:
    """Java's ``URLDecoder.decode(text, UTF-8)``."""
    return unquote_plus(text, errors="strict")
