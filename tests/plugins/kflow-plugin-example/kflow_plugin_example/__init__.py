"""An example of a third-party kflow plugin package: two text tasks.

kflow finds it through the `kflow.plugins` entry point declared in pyproject.toml; `plugins()`
returns the specs. The implementations run wherever the flow runs (runner, Airflow, Prefect),
provided this package is installed there.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kflow.plugin_registry import Alias, Kind, PluginSpec


class ReverseProperties(BaseModel):
    """com.example.text.Reverse."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The text to reverse (a template).")
    upper: bool = Field(False, description="Also upper-case it.")


class CountProperties(BaseModel):
    """com.example.text.Count."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(description="The text whose words are counted (a template).")


def reverse(ctx: Any, props: Mapping[str, Any]) -> dict[str, Any]:
    """Reverse the rendered text; fail on an empty one."""
    text = str(ctx.render(props["text"]))
    if not text:
        from kflow.runtime_shims.context import TaskFailure

        raise TaskFailure("com.example.text.Reverse: 'text' rendered empty")
    value = text[::-1]
    if props.get("upper"):
        value = value.upper()
    ctx.log("INFO", f"reversed {len(text)} characters")
    return {"value": value}


def plugins() -> list[PluginSpec]:
    """The specs of this package."""
    return [
        PluginSpec(
            type="com.example.text.Reverse",
            kind=Kind.TASK,
            title="Reverse a text.",
            model=ReverseProperties,
            aliases=(Alias("com.example.Reverse"),),
            outputs=("value",),
            run=reverse,
        ),
        PluginSpec(
            type="com.example.text.Count",
            kind=Kind.TASK,
            title="Count the words of a text.",
            model="kflow_plugin_example:CountProperties",
            outputs=("words",),
            run="kflow_plugin_example.count:count",
            example="id: count\ntype: com.example.text.Count\ntext: hello world\n",
        ),
    ]
