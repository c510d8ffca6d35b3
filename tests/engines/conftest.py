"""Fixtures for the engine tests: real orchestrators, each in its own virtual environment.

`airflow_env` (session): the Airflow of `airflow_env.AIRFLOW_SPEC` in `<repo>/.engines/`, created on
first use, with a throwaway AIRFLOW_HOME migrated once per session. When the environment cannot be
built (no network, say) the tests using it FAIL with the reason; set `KFLOW_SKIP_ENGINES=1` to skip
them instead.

`prefect_env` (session): the same for Prefect (`prefect_env.PREFECT_SPECS`), with a throwaway
PREFECT_HOME; `PrefectEnv.run_flows` starts Prefect's temporary API server once per call, so tests
should make one call per module (a module-scoped fixture) or per session.
"""

from __future__ import annotations

import os

import pytest

from .airflow_env import SKIP_ENV_VAR, AirflowEnv, EngineSetupError
from .prefect_env import PrefectEnv


@pytest.fixture(scope="session")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> AirflowEnv:
    if os.environ.get(SKIP_ENV_VAR) == "1":
        pytest.skip(f"{SKIP_ENV_VAR}=1: engine tests skipped")
    try:
        return AirflowEnv.create(home=tmp_path_factory.mktemp("airflow-home"))
    except EngineSetupError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def prefect_env(tmp_path_factory: pytest.TempPathFactory) -> PrefectEnv:
    if os.environ.get(SKIP_ENV_VAR) == "1":
        pytest.skip(f"{SKIP_ENV_VAR}=1: engine tests skipped")
    try:
        return PrefectEnv.create(home=tmp_path_factory.mktemp("prefect-home"))
    except EngineSetupError as exc:
        pytest.fail(str(exc), pytrace=False)
