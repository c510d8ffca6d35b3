"""Shared test options and fixtures.

- `pytest --update-golden` rewrites expected files instead of comparing them (fixture
  `update_golden`).
- `SHARED` is the shared corpus (seed flows, the Kestra conformance flows): `<repo>/../shared`, or
  the directory named by the `KFLOW_SHARED` environment variable. Tests that need it take the
  `shared` fixture, which skips them with the reason when the directory is absent (a fresh clone
  outside the workspace, say).
"""

from __future__ import annotations

import os
from pathlib import Path

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
