"""Internal-storage tasks: Size, Delete, Concat, Split, LocalFiles, and the seed's types.Json.

Files are `kestra://` URIs of `ctx.storage`; files a task makes are stored under its
`ctx.storage_key(name)`.

- `storage.Size`: `uri` → `{"size": bytes}`.
- `storage.Delete`: `uri` → `{"uri": uri, "deleted": bool}`; `errorOnMissing: true` fails when the
  file is not there.
- `storage.Concat`: `files` (a list, or a JSON array string, of URIs) → `{"uri": the new file}`;
  `separator` is written after each file (as Kestra does, so after the last one too); the new file
  ends in `extension` (default `.tmp`).
- `storage.Split`: `from` → `{"uris": [...]}`, split by `regexPattern` (lines grouped by the first
  capture group, lines that do not match dropped), else `bytes` (`10MB`, `512KB`, or a number of
  bytes: a new file starts once one holds that many), else `partitions` (lines dealt round-robin,
  empty files dropped), else `rows` (lines per file). Lines end at `\\n`, `\\r\\n` or `\\r` and are
  written followed by `separator` (default `\\n`). The files keep the extension of `from`.
- `storage.LocalFiles` (deprecated): `inputs` (name → content, or a `kestra://` URI whose file is
  copied; a mapping or a JSON string) are written into the working directory; `outputs` (globs:
  `*` within a directory, `**` across) are stored → `{"uris": {relative path: URI}}`.
- `types.Json` (seed notes): `from` (a `kestra://` URI or a path, relative to the working
  directory) parsed as JSON → `{"value": ...}`.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from kflow.runtime_shims.context import TaskContext
from kflow.runtime_shims.tasks._common import (
    as_text,
    failure,
    flag,
    integer,
    rendered,
    required_text,
    storage_path,
    text,
    workdir,
)

_SIZE = re.compile(r"\s*(\d+)\s*([KMG]?B)?\s*", re.IGNORECASE)
_UNITS = {None: 1, "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def size(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """storage.Size: the size of the file at `uri`, in bytes."""
    uri = required_text(ctx, props, "uri")
    return {"size": storage_path(ctx, uri).stat().st_size}


def delete(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """storage.Delete: delete the file at `uri`."""
    uri = required_text(ctx, props, "uri")
    if not uri.startswith("kestra://"):
        raise failure(ctx, f"not an internal storage URI: {uri!r}")
    error_on_missing = flag(ctx, props, "errorOnMissing", False)
    deleted = ctx.storage.delete(uri)
    if not deleted and error_on_missing:
        raise failure(ctx, f"no file in internal storage at {uri}")
    return {"uri": uri, "deleted": deleted}


def concat(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """storage.Concat: one file holding each of `files` in turn."""
    files = _uri_list(ctx, props.get("files"))
    separator = text(ctx, props, "separator")
    extension = text(ctx, props, "extension", default=".tmp") or ""
    with _scratch() as directory:
        target = directory / "concat"
        with target.open("wb") as out:
            for uri in files:
                with storage_path(ctx, uri, "files").open("rb") as source:
                    shutil.copyfileobj(source, out)
                if separator is not None:
                    out.write(separator.encode("utf-8"))
        return {"uri": ctx.storage.put(ctx.storage_key(f"concat{extension}"), target)}


def split(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """storage.Split: the file at `from` in several files, by pattern, size, partitions or rows."""
    uri = required_text(ctx, props, "from")
    source = storage_path(ctx, uri, "from")
    extension = PurePosixPath(uri).suffix or ".tmp"
    separator = (text(ctx, props, "separator", default="\n") or "").encode("utf-8")
    with _scratch() as directory, source.open(encoding="utf-8", errors="surrogateescape") as lines:
        writer = _Writer(directory, extension)
        rows = (line.rstrip("\n").encode("utf-8", "surrogateescape") + separator for line in lines)
        pattern = text(ctx, props, "regexPattern")
        partitions = integer(ctx, props, "partitions")
        per_file = integer(ctx, props, "rows")
        limit = _bytes(ctx, text(ctx, props, "bytes"))
        if pattern is not None:
            _split_by_pattern(ctx, rows, pattern, writer)
        elif limit is not None:
            _split_while(rows, writer, lambda count, total: total >= limit)
        elif partitions is not None:
            if partitions < 1:
                raise failure(ctx, "'partitions' must be at least 1")
            for index, row in enumerate(rows):
                writer.write(index % partitions, row)
        elif per_file is not None:
            if per_file < 1:
                raise failure(ctx, "'rows' must be at least 1")
            _split_while(rows, writer, lambda count, total: count >= per_file)
        else:
            raise failure(ctx, "give one of 'regexPattern', 'bytes', 'partitions' or 'rows'")
        paths = writer.close()
        uris = [
            ctx.storage.put(ctx.storage_key(f"split-{n}{extension}"), path)
            for n, path in enumerate(paths)
        ]
    return {"uris": uris}


def local_files(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """storage.LocalFiles: write `inputs` into the working directory, store `outputs`."""
    root = workdir(ctx).resolve()
    write_files(ctx, rendered(ctx, props, "inputs"), root, "inputs")
    patterns = rendered(ctx, props, "outputs") or []
    if isinstance(patterns, str):
        patterns = [patterns]
    uris: dict[str, str] = {}
    for relative in matching(root, [str(p) for p in patterns]):
        uris[relative] = ctx.storage.put(ctx.storage_key(relative), root / relative)
    return {"uris": uris}


def json_file(ctx: TaskContext, props: Mapping[str, Any]) -> dict[str, Any]:
    """types.Json (seed notes): the JSON document at `from`, as `value`."""
    where = required_text(ctx, props, "from").strip()
    if where.startswith("kestra://"):
        path = storage_path(ctx, where, "from")
    else:
        path = Path(where).expanduser()
        if not path.is_absolute() and ctx.workdir is not None:
            path = ctx.workdir / path
        if not path.is_file():
            raise failure(ctx, f"from: no file at {path}")
    try:
        return {"value": json.loads(path.read_text(encoding="utf-8"))}
    except json.JSONDecodeError as error:
        raise failure(
            ctx,
            f"{where} is not JSON: {error.msg} at line {error.lineno} column {error.colno}",
        ) from None
    except UnicodeDecodeError:
        raise failure(ctx, f"{where} is not UTF-8 text") from None


# -- helpers --------------------------------------------------------------------------------------


@contextmanager
def _scratch() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="kflow-") as directory:
        yield Path(directory)


class _Writer:
    """Files split parts are written to, opened as they are first needed, in order."""

    def __init__(self, directory: Path, extension: str) -> None:
        self.directory = directory
        self.extension = extension
        self.files: dict[Any, tuple[Path, BinaryIO]] = {}

    def write(self, part: Any, row: bytes) -> None:
        if part not in self.files:
            path = self.directory / f"{len(self.files)}{self.extension}"
            self.files[part] = (path, path.open("wb"))
        self.files[part][1].write(row)

    def close(self) -> list[Path]:
        for _, handle in self.files.values():
            handle.close()
        return [path for path, _ in self.files.values() if path.stat().st_size > 0]


def _split_while(rows: Iterator[bytes], writer: _Writer, full: Callable[[int, int], bool]) -> None:
    """Rows to one file after another; a new file starts when `full(rows, bytes)` holds."""
    part, count, total = 0, 0, 0
    for row in rows:
        if count and full(count, total):
            part, count, total = part + 1, 0, 0
        writer.write(part, row)
        count, total = count + 1, total + len(row)


def _split_by_pattern(ctx: TaskContext, rows: Iterator[bytes], pattern: str, w: _Writer) -> None:
    try:
        regex = re.compile(pattern)
    except re.error as error:
        raise failure(ctx, f"invalid regexPattern: {error}") from None
    if regex.groups < 1:
        raise failure(ctx, "regexPattern needs a capture group: lines are grouped by its value")
    for row in rows:
        match = regex.search(row.decode("utf-8", "surrogateescape"))
        if match is not None:
            w.write(match.group(1), row)


def _bytes(ctx: TaskContext, value: str | None) -> int | None:
    if value is None:
        return None
    match = _SIZE.fullmatch(value)
    if match is None or int(match.group(1)) < 1:
        raise failure(ctx, f"invalid size {value!r}; write e.g. 10MB, 512KB or a number of bytes")
    unit = match.group(2).upper() if match.group(2) else None
    return int(match.group(1)) * _UNITS[unit]


def _uri_list(ctx: TaskContext, value: Any) -> list[str]:
    if value is None:
        raise failure(ctx, "property 'files' is required")
    value = ctx.render(value)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise failure(ctx, "'files' must be a list of kestra:// URIs or a JSON array of them")
    return list(value)


def write_files(ctx: TaskContext, files: Any, root: Path, what: str = "inputFiles") -> None:
    """Write `files` (rendered: a mapping of name → text, or that mapping as JSON text) under
    `root`; a value that is a `kestra://` URI is a copy of that file of internal storage."""
    if files is None:
        return
    if isinstance(files, str):
        try:
            files = json.loads(files)
        except json.JSONDecodeError as error:
            raise failure(ctx, f"'{what}' is not a JSON object: {error.msg}") from None
    if not isinstance(files, dict):
        raise failure(ctx, f"'{what}' must be a mapping of file names to contents")
    for name, content in files.items():
        target = inside(ctx, root, as_text(name))
        target.parent.mkdir(parents=True, exist_ok=True)
        value = as_text(content)
        if value.startswith("kestra://"):
            shutil.copyfile(storage_path(ctx, value.strip(), f"input file '{name}'"), target)
        else:
            target.write_text(value, encoding="utf-8")


def inside(ctx: TaskContext, root: Path, name: str) -> Path:
    """`root / name`, refused (a task failure) when `name` leads outside `root`."""
    target = (root / name).resolve()
    if target == root or root not in target.parents:
        raise failure(ctx, f"file name {name!r} points outside the working directory")
    return target


def matching(root: Path, patterns: list[str]) -> list[str]:
    """Files under `root` whose relative path matches one of the globs, sorted."""
    if not patterns:
        return []
    regexes = [re.compile(_glob_regex(p[2:] if p.startswith("./") else p)) for p in patterns]
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            relative = path.relative_to(root).as_posix()
            if any(regex.fullmatch(relative) for regex in regexes):
                found.append(relative)
    return sorted(found)


def _glob_regex(pattern: str) -> str:
    """A Java glob as a regex: `**` crosses directories, `*` and `?` do not, `{a,b}` is either."""
    out, i, depth = [], 0, 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "{":
            out.append("(?:")
            depth += 1
        elif char == "}" and depth:
            out.append(")")
            depth -= 1
        elif char == "," and depth:
            out.append("|")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return "".join(out)
