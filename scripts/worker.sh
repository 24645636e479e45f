#!/usr/bin/env bash
# A job worker alone (for machines that only run jobs): `bash scripts/worker.sh`.
# It needs the same settings as the web processes, with CELERY_BROKER_URL shared by all.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
[ -x .venv/bin/python ] && PYTHON=${PYTHON_WORKER:-.venv/bin/python}
export PYTHONPATH="$PWD/backend${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" -m celery -A deepcell_label.worker:celery worker \
  --loglevel "${LOG_LEVEL:-INFO}" --without-gossip --without-mingle
