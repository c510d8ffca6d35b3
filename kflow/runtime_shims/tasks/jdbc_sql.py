"""SQL text as the JDBC tasks read it: statements split at `;`, `:name` parameters bound.

Both work on a scan of the text that knows each dialect's quoting, so a `;` or `:name` inside a
string, a quoted identifier, a dollar-quoted body or a comment is left alone, and PostgreSQL's
`::type` casts are not parameters.

- `split_statements` cuts a script into statements; pieces holding only blanks and comments are
  dropped. SQLite asks its own parser (`sqlite3.complete_statement`) whether a `;` ends the
  statement, so the `;`s of a `CREATE TRIGGER … BEGIN … END` body stay inside it.
- `bind_named` replaces each `:name` (a letter or `_`, then letters, digits, `_`) by the driver's
  placeholder and gives the names in order, so the values are sent to the database apart from the
  SQL, never pasted into it. With a `%s` placeholder every other `%` is doubled, as the psycopg
  and PyMySQL drivers need.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = [
    "DUCKDB",
    "MYSQL",
    "POSTGRES",
    "SQLITE",
    "Syntax",
    "bind_named",
    "split_statements",
]


@dataclass(frozen=True)
class Syntax:
    """What a dialect quotes and comments, for the scan."""

    backslash_escapes: bool = False  # MySQL: `\'` inside '…' and "…"
    escape_strings: bool = False  # PostgreSQL: E'…' strings take backslash escapes
    dollar_quotes: bool = False  # $$…$$ and $tag$…$tag$
    nested_comments: bool = False  # /* /* */ */
    hash_comments: bool = False  # MySQL: # to the end of the line
    dash_needs_space: bool = False  # MySQL: `--` starts a comment only before a blank
    brackets: bool = False  # SQLite: [identifier]
    backticks: bool = False  # `identifier`
    # Whether the text up to and including a `;` is a whole statement; None: every `;` ends one.
    complete: Callable[[str], bool] | None = None


POSTGRES = Syntax(escape_strings=True, dollar_quotes=True, nested_comments=True)
MYSQL = Syntax(backslash_escapes=True, hash_comments=True, dash_needs_space=True, backticks=True)
SQLITE = Syntax(brackets=True, backticks=True, complete=sqlite3.complete_statement)
DUCKDB = Syntax(escape_strings=True, dollar_quotes=True)

_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

# token kinds
_TEXT, _QUOTED, _COMMENT, _END, _PARAM = "text", "quoted", "comment", "end", "param"


def split_statements(sql: str, syntax: Syntax) -> list[str]:
    """The statements of `sql`, stripped, without the `;` that ends each one."""
    statements: list[str] = []
    current: list[str] = []
    meaningful = False
    for kind, token in _scan(sql, syntax):
        if kind == _END:
            if syntax.complete and not syntax.complete("".join(current) + token):
                current.append(token)
                continue
            if meaningful:
                statements.append("".join(current).strip())
            current, meaningful = [], False
            continue
        current.append(token)
        if kind != _COMMENT and token.strip():
            meaningful = True
    if meaningful:
        statements.append("".join(current).strip())
    return statements


def bind_named(sql: str, syntax: Syntax, placeholder: str) -> tuple[str, list[str]]:
    """`sql` with each `:name` replaced by `placeholder`, and the names in order of appearance."""
    double_percent = placeholder == "%s"
    out: list[str] = []
    names: list[str] = []
    for kind, token in _scan(sql, syntax):
        if kind == _PARAM:
            names.append(token[1:])
            out.append(placeholder)
        elif double_percent:
            out.append(token.replace("%", "%%"))
        else:
            out.append(token)
    return "".join(out), names


def _scan(sql: str, syntax: Syntax) -> Iterator[tuple[str, str]]:
    """The tokens of `sql` as (kind, text); their texts joined give `sql` back."""
    i, n = 0, len(sql)
    plain = 0  # start of the plain text not yet given out
    while i < n:
        char = sql[i]
        end = -1
        kind = _QUOTED
        if char == "'":
            escapes = syntax.backslash_escapes or (
                syntax.escape_strings
                and i > 0
                and sql[i - 1] in "eE"
                and (i < 2 or not _word_char(sql[i - 2]))
            )
            end = _quoted_end(sql, i, "'", escapes)
        elif char == '"':
            end = _quoted_end(sql, i, '"', syntax.backslash_escapes)
        elif char == "`" and syntax.backticks:
            end = _quoted_end(sql, i, "`", False)
        elif char == "[" and syntax.brackets:
            close = sql.find("]", i + 1)
            end = n if close < 0 else close + 1
        elif char == "$" and syntax.dollar_quotes and (i == 0 or not _word_char(sql[i - 1])):
            match = _DOLLAR_TAG.match(sql, i)
            if match is not None:
                close = sql.find(match.group(), match.end())
                end = n if close < 0 else close + len(match.group())
        elif _line_comment(sql, i, syntax):
            kind, end = _COMMENT, _line_end(sql, i)
        elif char == "/" and sql.startswith("/*", i):
            kind, end = _COMMENT, _block_comment_end(sql, i, syntax.nested_comments)
        elif char == ";":
            kind, end = _END, i + 1
        elif char == ":":
            if sql.startswith("::", i):
                i += 2  # a cast: plain text
                continue
            match = _NAME.match(sql, i + 1)
            if match is not None:
                kind, end = _PARAM, match.end()
        if end < 0:
            i += 1
            continue
        if plain < i:
            yield _TEXT, sql[plain:i]
        yield kind, sql[i:end]
        i = plain = end
    if plain < n:
        yield _TEXT, sql[plain:]


def _word_char(char: str) -> bool:
    return char.isalnum() or char in "_$"


def _quoted_end(sql: str, start: int, quote: str, escapes: bool) -> int:
    """The index after the quote closing the one at `start` (doubled quotes stay inside)."""
    i, n = start + 1, len(sql)
    while i < n:
        char = sql[i]
        if escapes and char == "\\":
            i += 2
            continue
        if char == quote:
            if i + 1 < n and sql[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return n


def _line_comment(sql: str, i: int, syntax: Syntax) -> bool:
    """Whether a `--` (or MySQL `#`) comment starts at `i`."""
    if sql[i] == "#":
        return syntax.hash_comments
    if not sql.startswith("--", i):
        return False
    return not syntax.dash_needs_space or i + 2 >= len(sql) or sql[i + 2] in " \t\r\n"


def _line_end(sql: str, start: int) -> int:
    newline = sql.find("\n", start)
    return len(sql) if newline < 0 else newline + 1


def _block_comment_end(sql: str, start: int, nested: bool) -> int:
    depth, i, n = 1, start + 2, len(sql)
    while i < n:
        if sql.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        elif nested and sql.startswith("/*", i):
            depth += 1
            i += 2
        else:
            i += 1
    return n
