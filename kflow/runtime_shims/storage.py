"""Internal storage: files produced by tasks, addressed by `kestra://` URIs.

`Storage` is the interface; `LocalStorage` keeps files under a directory (the state directory by
default). A distributed deployment points every worker at the same directory (a shared volume) or
plugs in another `Storage` through `KFLOW_STORAGE` (a `module:Class` taking the root URL).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Protocol
from urllib.parse import quote, unquote, urlparse

SCHEME = "kestra"


class StorageError(Exception):
    """A URI that is not in this storage, or a file that cannot be read."""


class Storage(Protocol):
    def put(self, key: str, source: Path | bytes) -> str:
        """Store a file under `key` (a relative posix path); return its `kestra://` URI."""

    def path(self, uri: str) -> Path:
        """A local path where the file of `uri` can be read."""

    def exists(self, uri: str) -> bool: ...

    def delete(self, uri: str) -> bool: ...


class LocalStorage:
    """Files under one local directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def put(self, key: str, source: Path | bytes) -> str:
        relative = _safe_key(key)
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_bytes(source)
            os.replace(tmp, target)
        else:
            shutil.copyfile(source, target)
        return f"{SCHEME}:///" + quote(relative.as_posix())

    def path(self, uri: str) -> Path:
        parsed = urlparse(uri)
        if parsed.scheme != SCHEME:
            raise StorageError(f"not an internal storage URI: {uri!r}")
        relative = _safe_key(unquote(parsed.path))
        target = self.root / relative
        if not target.is_file():
            raise StorageError(f"no file in internal storage at {uri}")
        return target

    def exists(self, uri: str) -> bool:
        try:
            self.path(uri)
        except StorageError:
            return False
        return True

    def delete(self, uri: str) -> bool:
        try:
            self.path(uri).unlink()
        except StorageError:
            return False
        return True


def _safe_key(key: str) -> PurePosixPath:
    parts = [p for p in PurePosixPath(key.lstrip("/")).parts if p not in ("", ".")]
    if any(p == ".." for p in parts) or not parts:
        raise StorageError(f"invalid storage key: {key!r}")
    return PurePosixPath(*parts)
