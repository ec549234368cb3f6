#!/usr/bin/env bash
# Development entry point: `scripts/dev.sh install|demo|test|lint [args]`.
# Creates .venv with Python 3.11+ and installs the core, every in-repo plugin
# and the sample test plugin in editable mode.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${VENV:-.venv}

install() {
  if [[ ! -x "$VENV/bin/python" ]]; then
    "$PY" -m venv "$VENV"
  fi
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  local args=(-e ".[test]" -e tests/sample_plugin)
  for plugin in plugins/*/; do
    [[ -f "$plugin/pyproject.toml" ]] && args+=(-e "$plugin")
  done
  "$VENV/bin/python" -m pip install --quiet "${args[@]}"
}

cmd=${1:-help}
shift || true
case "$cmd" in
  install) install ;;
  demo) install; exec "$VENV/bin/marketplace-kit" demo "$@" ;;
  test) install; exec "$VENV/bin/python" -m pytest "$@" ;;
  lint) install; "$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check . ;;
  *) echo "usage: scripts/dev.sh install|demo|test|lint [args]"; exit 2 ;;
esac
