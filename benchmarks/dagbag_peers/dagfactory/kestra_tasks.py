"""Task callables for the dag-factory peers of the DagBag parse-time benchmark.

The YAML configs name them as `kestra_tasks.<function>`; the folder of this file must be importable
(a DAG folder is on sys.path in the DAG processor). This module holds no DAG, so the DAG discovery
heuristic (a file must mention both the orchestrator's name and "dag") skips it.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def log_message(message: str, level: int = logging.INFO) -> None:
    """io.kestra.plugin.core.log.Log: log the message."""
    log.log(level, message)


def download(uri: str) -> str:
    """io.kestra.plugin.core.http.Download: fetch `uri` into a file, return its path."""
    import tempfile
    import urllib.request

    fd, path = tempfile.mkstemp(suffix=".csv")
    log.info("downloading %s", uri)
    with urllib.request.urlopen(uri) as response, open(fd, "wb") as out:
        out.write(response.read())
    return path


def load_table(path: str, url: str, username: str, table: str) -> None:
    """io.kestra.plugin.jdbc.postgresql.Load (stand-in: no database driver is imported)."""
    with open(path, encoding="utf-8") as fh:
        rows = sum(1 for _ in fh) - 1
    log.info("loading %d rows from %s into %s at %s as %s", rows, path, table, url, username)
