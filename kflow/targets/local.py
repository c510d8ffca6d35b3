"""What `kflow run --engine airflow|prefect` shares: the checks before a flow runs elsewhere."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

from kflow.compiler import ir
from kflow.targets import Emitted


class EngineError(Exception):
    """The engine could not run the flow (not installed, the code did not load, …)."""


def require(module: str, install: str) -> None:
    """Fail with how to install it when `module` (the engine) is not importable here."""
    if importlib.util.find_spec(module) is None:
        raise EngineError(
            f"{module} is not installed in this environment: install it beside kflow "
            f"(pip install {install}), or run the flow with `kflow run`"
        )


def emitted_or_fail(flow: ir.Flow, emit: Callable[[ir.Flow], Emitted], target: str) -> Emitted:
    """The target's files of `flow`; an EngineError listing the KF4xx errors when it has none."""
    emitted = emit(flow)
    if not emitted.files:
        problems = [
            f"{d.span.path}:{d.span.line}:{d.span.column}: {d.code} {d.message}"
            for d in emitted.diagnostics
        ]
        raise EngineError(f"the flow cannot be compiled for {target}:\n" + "\n".join(problems))
    return emitted
