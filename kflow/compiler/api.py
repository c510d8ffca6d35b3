"""The compiler's entry points: validate files, compile them to a target."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kflow.compiler.diagnostics import Diagnostic, Severity
from kflow.compiler.source import SourceText, Span

if TYPE_CHECKING:
    from kflow.compiler import ir
    from kflow.targets import Emitted

FLOW_SUFFIXES = (".yml", ".yaml")


@dataclass
class ValidationResult:
    """Diagnostics of every file (sorted by position), the sources read, the files checked."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, SourceText] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.level is Severity.ERROR for d in self.diagnostics)


def find_flow_files(paths: Iterable[str]) -> list[str]:
    """Files named directly, and every *.yml / *.yaml below named directories (sorted)."""
    files: list[str] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found = (p for p in path.rglob("*") if p.suffix in FLOW_SUFFIXES and p.is_file())
            files.extend(sorted(str(p) for p in found))
        else:
            files.append(str(path))
    return files


def check_file(path: str):  # type: ignore[no-untyped-def]
    """Load and check one file: a `CheckedFlow`."""
    from kflow.compiler.check import check
    from kflow.compiler.loader import load_file

    return check(load_file(path))


def validate_paths(paths: list[str]) -> ValidationResult:
    """Validate every flow file under `paths`; one bad file never hides the others.

    After every file is checked, Flow triggers are checked against the flows validated together
    (KF318): always when a directory is among `paths`, else only for upstreams in the
    namespace of another flow given.
    """
    from kflow.compiler.check import check_upstream_flows

    result = ValidationResult()
    checked_flows = []
    for path in find_flow_files(paths):
        checked = check_file(path)
        checked_flows.append(checked)
        result.files.append(path)
        result.sources[path] = checked.document.source
        result.diagnostics.extend(checked.diagnostics)
    whole_directory = any(Path(path).is_dir() for path in paths)
    result.diagnostics.extend(check_upstream_flows(checked_flows, whole_directory))
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result


@dataclass
class CompileResult(ValidationResult):
    """Validation results plus the files written (or, with `check`, found to differ)."""

    written: list[str] = field(default_factory=list)
    drifted: list[str] = field(default_factory=list)
    diff: str = ""


Emitter = Callable[..., "Emitted"]


def emitter(target: str) -> Emitter:
    """The emitter of a target: `ir.Flow → Emitted` (files by relative path, diagnostics)."""
    if target == "ir":
        from kflow.targets.ir import emit

        return emit
    if target == "airflow":
        from kflow.targets.airflow import emit as emit_airflow

        return emit_airflow
    if target == "prefect":
        from kflow.targets.prefect import emit as emit_prefect

        return emit_prefect
    raise LookupError(f"target '{target}' is not available yet")


def joiner(target: str) -> Callable[[str, list[Any]], str] | None:
    """How a target writes its shared files (`Emitted.shared`) from every flow's entries."""
    if target == "prefect":
        from kflow.targets.prefect import join

        return join
    return None


TARGETS = ("ir", "airflow", "prefect", "runner")


def unrunnable(flow: ir.Flow, target: str) -> list[Diagnostic]:
    """KF401 for each task of a type that no kflow target can run (it has no implementation and
    is no flowable a target compiles); the emitters report what only their target refuses."""
    if target == "ir":
        return []
    from kflow.plugin_registry import default_registry
    from kflow.plugin_registry.support import targets_of

    registry = default_registry()
    found = []
    for task in flow.all_tasks():
        spec = registry.lookup(task.type)
        if spec is None or task.branches or targets_of(spec[0]):
            continue
        found.append(
            Diagnostic(
                "KF401",
                f"{task.type.rsplit('.', 1)[-1]} '{task.id}' cannot run on any kflow target yet",
                task.span,
                "`kflow plugins list` shows the types each target runs",
            )
        )
    return found


def compile_paths(
    paths: list[str], target: str, out: str, check: bool = False, vendor_runtime: bool = False
) -> CompileResult:
    """Compile every flow under `paths` for `target` into `out`.

    With `check`, nothing is written: files that would change are listed in `drifted` and the
    unified diff is in `diff` (drift detection for CI, like `black --check`). With
    `vendor_runtime`, the runtime shim is written beside the flows (`kflow.targets.vendor`).
    """
    from kflow.compiler.lower import lower

    emit = emitter(target)
    result = CompileResult()
    outputs: dict[str, str] = {}
    shared: dict[str, list[Any]] = {}
    for path in find_flow_files(paths):
        checked = check_file(path)
        result.files.append(path)
        result.sources[path] = checked.document.source
        result.diagnostics.extend(checked.diagnostics)
        if not checked.ok:
            continue
        flow = lower(checked)
        refused = unrunnable(flow, target)
        if refused:
            result.diagnostics.extend(refused)
            continue
        emitted = emit(flow)
        result.diagnostics.extend(emitted.diagnostics)
        # A flow compiled twice (or two flows with one path) adds one set of shared entries.
        fresh = not any(relative in outputs for relative in emitted.files)
        for relative, text in emitted.files.items():
            if relative in outputs and outputs[relative] != text:
                result.diagnostics.append(
                    Diagnostic(
                        "KF303",
                        f"another flow compiles to the same file '{relative}'",
                        Span(path, 1, 1, 1, 1),
                        "two files define the same namespace and flow id",
                    )
                )
                continue
            outputs[relative] = text
        for relative, entries in emitted.shared.items() if fresh else ():
            shared.setdefault(relative, []).extend(entries)
    join = joiner(target)
    for relative, entries in sorted(shared.items()):
        # One file from every flow's entries (the target sorts them: byte-deterministic).
        if join is not None and relative not in outputs:
            outputs[relative] = join(relative, entries)
    if vendor_runtime and outputs:
        from kflow.targets.vendor import runtime_files

        outputs.update(runtime_files())
    result.diagnostics.sort(key=Diagnostic.sort_key)
    root = Path(out)
    diffs: list[str] = []
    for relative in sorted(outputs):
        target_path = root / relative
        text = outputs[relative]
        current = target_path.read_text(encoding="utf-8") if target_path.is_file() else None
        if current == text:
            continue
        if check:
            result.drifted.append(str(target_path))
            diffs.extend(
                difflib.unified_diff(
                    (current or "").splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"{target_path} (on disk)",
                    tofile=f"{target_path} (compiled)",
                )
            )
        else:
            target_path.parent.mkdir(parents=True, exist_ok=True)
            target_path.write_text(text, encoding="utf-8")
            result.written.append(str(target_path))
    result.diff = "".join(diffs)
    return result
