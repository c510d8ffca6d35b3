"""The `ir` target: the IR as deterministic JSON (one file per flow, paths mirror namespaces)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from kflow.compiler import ir
from kflow.targets import Emitted


def flow_path(flow: ir.Flow, suffix: str) -> str:
    """`company/data/example-flow<suffix>` for namespace company.data, id example-flow."""
    return "/".join([*flow.namespace.split("."), flow.id + suffix])


def to_data(value: Any) -> Any:
    """IR objects → plain JSON data (dataclass fields in declaration order, spans dropped)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name.rstrip("_"): to_data(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "span"
        }
    if isinstance(value, ir.Obj):
        return {k: to_data(v) for k, v in value}
    if isinstance(value, tuple):
        return [to_data(v) for v in value]
    return value


def dumps(flow: ir.Flow) -> str:
    """Byte-deterministic JSON of a flow."""
    return json.dumps(to_data(flow), indent=2, ensure_ascii=False) + "\n"


def emit(flow: ir.Flow) -> Emitted:
    """The IR target's files for one flow."""
    return Emitted({flow_path(flow, ".ir.json"): dumps(flow)})
