"""Targets: each turns one `ir.Flow` into files (`emit(flow) -> Emitted`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kflow.compiler.diagnostics import Diagnostic


@dataclass
class Emitted:
    """What a target produced for one flow: files (relative path → text) and diagnostics."""

    files: dict[str, str] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
