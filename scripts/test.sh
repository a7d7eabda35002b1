#!/usr/bin/env bash
# Set up (if needed) and run the test suite. Extra arguments go to pytest.
# VENV/PYTHON choose another interpreter, e.g. VENV=.venv-3.13 PYTHON=python3.13 (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec "${VENV:-.venv}/bin/python" -m pytest "$@"
