"""Source positions: where in which file a node, an expression or a diagnostic lives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """A range in a source file. Lines and columns are 1-based; the end is exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    def at_start(self) -> Span:
        """A zero-width span at this span's start (for pointing at a key, say)."""
        return Span(self.path, self.line, self.column, self.line, self.column)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class SourceText:
    """The text of one file, with an index of where each line starts."""

    __slots__ = ("_line_starts", "path", "text")

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text
        starts = [0]
        find = text.find
        i = find("\n")
        while i != -1:
            starts.append(i + 1)
            i = find("\n", i + 1)
        self._line_starts = starts

    def line(self, number: int) -> str:
        """The text of 1-based line `number`, without its newline ('' past the end)."""
        if number < 1 or number > len(self._line_starts):
            return ""
        start = self._line_starts[number - 1]
        end = self.text.find("\n", start)
        return self.text[start:] if end == -1 else self.text[start:end]

    def position(self, index: int) -> tuple[int, int]:
        """The 1-based (line, column) of character offset `index`."""
        from bisect import bisect_right

        index = max(0, min(index, len(self.text)))
        row = bisect_right(self._line_starts, index) - 1
        return row + 1, index - self._line_starts[row] + 1

    def span(self, start: int, end: int) -> Span:
        """The span of character offsets [start, end)."""
        line, column = self.position(start)
        end_line, end_column = self.position(max(start, end))
        return Span(self.path, line, column, end_line, end_column)
