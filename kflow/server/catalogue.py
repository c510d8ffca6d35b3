"""The flows of the server's flows directory, compiled, and re-read when their files change.

`reload()` looks at every *.yml / *.yaml file below the directory (path, size and modification
time) and compiles only the files that are new or changed; a file with errors is logged once (per
version of the file) and left out. The catalogue is also the engine's flow loader, so a Subflow
finds a flow added after the server started.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kflow.runner_cli import FLOW_SUFFIXES, FlowErrors, compile_source

if TYPE_CHECKING:
    from kflow.compiler import ir
    from kflow.runtime_shims.engine import LoadedFlow

log = logging.getLogger("kflow.server")

SCHEDULE = "io.kestra.plugin.core.trigger.Schedule"
FLOW = "io.kestra.plugin.core.trigger.Flow"
WEBHOOK = "io.kestra.plugin.core.trigger.Webhook"


@dataclass(frozen=True)
class _File:
    signature: tuple[int, int]  # (size, mtime in ns): a changed file gets a new one
    loaded: LoadedFlow | None  # None: the file has errors or holds no flow


class FlowCatalogue:
    """The compiled flows of a directory, by namespace and id; safe to read from any thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[Path, _File] = {}
        self._flows: dict[tuple[str, str], LoadedFlow] = {}
        self._reload_lock = threading.Lock()
        self.generation = 0  # grows at each reload that changed something

    def reload(self) -> bool:
        """Read new and changed flow files, forget deleted ones; True if anything changed."""
        with self._reload_lock:
            found = _flow_files(self.root)
            if found.keys() == self._files.keys() and all(
                self._files[path].signature == signature for path, signature in found.items()
            ):
                return False
            files: dict[Path, _File] = {}
            for path, signature in found.items():
                known = self._files.get(path)
                loaded = known.loaded if known and known.signature == signature else _load(path)
                files[path] = _File(signature, loaded)
            flows: dict[tuple[str, str], LoadedFlow] = {}
            for path, entry in sorted(files.items()):
                if entry.loaded is None:
                    continue
                key = (entry.loaded.flow.namespace, entry.loaded.flow.id)
                if key in flows:
                    log.warning(
                        "%s: flow %s.%s is already defined in %s; ignored",
                        path,
                        *key,
                        flows[key].path,
                    )
                    continue
                flows[key] = entry.loaded
            self._files, self._flows = files, flows
            self.generation += 1
            log.info("flows directory %s: %d flow(s) loaded", self.root, len(flows))
            return True

    def flows(self) -> list[LoadedFlow]:
        """Every flow, by namespace then id."""
        flows = self._flows
        return [flows[key] for key in sorted(flows)]

    def flow(self, namespace: str, flow_id: str) -> LoadedFlow | None:
        """The flow `namespace.flow_id`, or None."""
        return self._flows.get((namespace, flow_id))

    def triggers(self, type_name: str) -> list[tuple[LoadedFlow, ir.Trigger]]:
        """The enabled triggers of this type of the enabled flows, with their flow."""
        return [
            (loaded, trigger)
            for loaded in self.flows()
            if not loaded.flow.disabled
            for trigger in loaded.flow.triggers
            if trigger.type == type_name and not trigger.disabled
        ]

    # -- the engine's FlowLoader -------------------------------------------------------------------

    def find(self, namespace: str, flow_id: str) -> LoadedFlow:
        """The flow `namespace.flow_id`; LookupError when there is none (or it has errors)."""
        found = self.flow(namespace, flow_id)
        if found is None:
            raise LookupError(f"flow {namespace}.{flow_id} not found in {self.root}")
        return found

    def from_source(self, path: str | None, source: str) -> ir.Flow:
        """The IR of a stored flow source; ValueError with its diagnostics if it has errors."""
        try:
            return compile_source(path or "<stored flow>", source)
        except FlowErrors as error:
            raise ValueError(f"the stored flow has errors:\n{error.text}") from None


def _flow_files(root: Path) -> dict[Path, tuple[int, int]]:
    found: dict[Path, tuple[int, int]] = {}
    if not root.is_dir():
        return found
    for path in root.rglob("*"):
        if path.suffix not in FLOW_SUFFIXES:
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        if path.is_file():
            found[path] = (stat.st_size, stat.st_mtime_ns)
    return found


def _load(path: Path) -> LoadedFlow | None:
    from kflow.runtime_shims.engine import LoadedFlow

    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        log.warning("%s: cannot be read: %s", path, error)
        return None
    try:
        flow = compile_source(str(path), source)
    except FlowErrors as error:
        log.warning("%s has errors; it is not loaded:\n%s", path, error.text.rstrip())
        return None
    return LoadedFlow(flow, source, str(path))
