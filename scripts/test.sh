#!/usr/bin/env bash
# The whole test suite, as CI runs it: lint (ruff), types (mypy), tests (pytest, every tier).
#
#   bash scripts/test.sh [PYTEST ARGS...]
#
# Creates .venv on first use (with uv if it is installed, else python3 -m venv + pip) and installs
# kflow with its dev extras; reinstalls when pyproject.toml changes. Every step runs even when an
# earlier one fails; the exit status is non-zero if any failed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

venv=.venv
py=$venv/bin/python
stamp=$venv/.kflow-dev-installed

if command -v uv >/dev/null 2>&1; then
  uv=(uv)
elif python3 -m uv --version >/dev/null 2>&1; then
  uv=(python3 -m uv)
else
  uv=()
fi

if [ ! -x "$py" ]; then
  echo "==> creating $venv"
  if [ ${#uv[@]} -gt 0 ]; then
    "${uv[@]}" venv --quiet "$venv"
  else
    python3 -m venv "$venv"
  fi
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> installing kflow and its dev tools into $venv"
  if [ ${#uv[@]} -gt 0 ]; then
    "${uv[@]}" pip install --quiet --python "$py" -e '.[dev]'
  else
    "$py" -m pip install --quiet --upgrade pip
    "$py" -m pip install --quiet -e '.[dev]'
  fi
  touch "$stamp"
fi

failed=()
step() {
  local name=$1
  shift
  echo "==> $name"
  local status=0
  "$@" || status=$?
  if [ "$name" = pytest ] && [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure here" >&2
  fi
  if [ "$status" -ne 0 ]; then
    failed+=("$name (exit $status)")
  fi
}

step "ruff check" "$venv/bin/ruff" check .
step "ruff format --check" "$venv/bin/ruff" format --check .
step mypy "$venv/bin/mypy"
step pytest "$py" -m pytest "$@"

if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "==> all checks passed"
