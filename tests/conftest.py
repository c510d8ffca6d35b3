"""Shared test options and fixtures.

- `pytest --update-golden` rewrites expected files instead of comparing them (fixture
  `update_golden`).
- `postgres` and `mysql` (session): the database servers of the tests, PostgreSQL at
  `KFLOW_TEST_POSTGRES_URL` (default jdbc:postgresql://127.0.0.1:5432/test, user
  `KFLOW_TEST_POSTGRES_USERNAME`, default postgres) and MariaDB/MySQL at `KFLOW_TEST_MYSQL_URL`
  (default jdbc:mysql://127.0.0.1:3306/test, user `KFLOW_TEST_MYSQL_USERNAME`, default root); a
  test needing a server that does not answer is skipped with the reason.
- `SHARED` is the shared corpus (seed flows, the Kestra conformance flows): `<repo>/../shared`, or
  the directory named by the `KFLOW_SHARED` environment variable. Tests that need it take the
  `shared` fixture, which skips them with the reason when the directory is absent (a fresh clone
  outside the workspace, say).
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("KFLOW_SHARED") or REPO.parent / "shared").resolve()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden expected files (and generated docs) instead of comparing them",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when pytest runs with `--update-golden`."""
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared corpus directory; skips the test when it is not there."""
    if not SHARED.is_dir():
        pytest.skip(
            f"shared corpus not found at {SHARED} "
            "(set KFLOW_SHARED to the directory holding examples/ and conformance/)"
        )
    return SHARED


@dataclass(frozen=True)
class Server:
    """Connection properties of a test database server."""

    url: str
    username: str
    password: str | None

    def jdbc_url(self) -> str:
        """The URL with the user (and password) in it, as one flow input can carry them."""
        extra = {"user": self.username, **({"password": self.password} if self.password else {})}
        joiner = "&" if "?" in self.url else "?"
        return self.url + joiner + "&".join(f"{k}={v}" for k, v in extra.items())

    def props(self) -> dict[str, Any]:
        found: dict[str, Any] = {"url": self.url, "username": self.username}
        if self.password:
            found["password"] = self.password
        return found


def _server(prefix: str, default_url: str, default_user: str) -> Server:
    url = os.environ.get(f"KFLOW_TEST_{prefix}_URL") or default_url
    match = re.match(r"jdbc:\w+://(?:[^@/]*@)?([^:/?]+)(?::(\d+))?", url)
    assert match, f"cannot read host and port from {url}"
    host, port = match.group(1), int(match.group(2) or (5432 if prefix == "POSTGRES" else 3306))
    try:
        socket.create_connection((host, port), timeout=2).close()
    except OSError as error:
        pytest.skip(f"no {prefix.lower()} server at {host}:{port} ({error})")
    return Server(
        url,
        os.environ.get(f"KFLOW_TEST_{prefix}_USERNAME") or default_user,
        os.environ.get(f"KFLOW_TEST_{prefix}_PASSWORD") or None,
    )


@pytest.fixture(scope="session")
def postgres() -> Server:
    """The PostgreSQL server of the tests (skips when none answers)."""
    return _server("POSTGRES", "jdbc:postgresql://127.0.0.1:5432/test", "postgres")


@pytest.fixture(scope="session")
def mysql() -> Server:
    """The MariaDB/MySQL server of the tests (skips when none answers)."""
    return _server("MYSQL", "jdbc:mysql://127.0.0.1:3306/test", "root")


@pytest.fixture
def serve_directory() -> Iterator[Callable[[Path], str]]:
    """Serve a directory over HTTP on a free loopback port: `serve_directory(path)` gives the
    base URL (no trailing slash). The servers stop when the test ends."""
    servers: list[ThreadingHTTPServer] = []

    def serve(root: Path) -> str:
        handler = partial(_QuietHandler, directory=str(root))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass
