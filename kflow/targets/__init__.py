"""Targets: each turns one `ir.Flow` into files (`emit(flow) -> Emitted`).

A file that every flow compiled together contributes to (the prefect target's `prefect.yaml`) is
a shared file: each flow's `Emitted.shared` holds its entries, and the target's
`join(relative_path, entries) -> text` writes the file from all of them (see `compile_paths`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kflow.compiler.diagnostics import Diagnostic


@dataclass
class Emitted:
    """What a target produced for one flow: files (relative path → text), diagnostics, and its
    entries of shared files (relative path → entries, joined by the target's `join`)."""

    files: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    shared: dict[str, list[Any]] = field(default_factory=dict)
