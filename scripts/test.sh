#!/usr/bin/env bash
# Install everything (idempotent) and run the whole test suite: fast tests, then slow
# (real-model) tests. Data comes from ../shared/data unless MATHDISTILL_DATA is set.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MATHDISTILL_DATA="${MATHDISTILL_DATA:-$(cd .. && pwd)/shared/data}"
python3 -m mathdistill models prepare smollm2
# The layer contract (pyproject.toml [tool.importlinter]): no stage imports a later one, no cycles.
lint-imports
python3 -m pytest -q -p no:cacheprovider tests
python3 -m pytest -q -p no:cacheprovider -m slow tests
