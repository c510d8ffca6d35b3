"""kflow: compile Kestra flows to Airflow and Prefect, or run them with the bundled runner.

``kflow.render(template, variables)`` renders a Kestra expression; it is imported on first use,
so ``import kflow`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["render"]

if TYPE_CHECKING:
    from kflow.runtime_shims.templating import render


def __getattr__(name: str) -> Any:
    if name == "render":
        from kflow.runtime_shims.templating import render

        return render
    raise AttributeError(f"module 'kflow' has no attribute {name!r}")
