"""The implementation of com.example.text.Count, imported only when a flow runs it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def count(ctx: Any, props: Mapping[str, Any]) -> dict[str, Any]:
    """The number of words of the rendered text."""
    return {"words": len(str(ctx.render(props["text"])).split())}
