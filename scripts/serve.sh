#!/usr/bin/env bash
# Upgrade the database, start one job worker, and serve the API and the built browser app on one
# port. Settings: PORT (5000), HOST (127.0.0.1), DATA_DIR (./instance), WORKERS (2),
# WORKER_CONCURRENCY (2), and every variable in .env.example. The worker uses CELERY_BROKER_URL,
# by default a SQLite file in DATA_DIR: no server to install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
export PYTHONPATH="$PWD/backend${PYTHONPATH:+:$PYTHONPATH}"
export FLASK_APP=deepcell_label.app:create_app
"$PYTHON" -m flask db upgrade

# Both run in the background so that a signal reaches this script at once: it stops both, and
# when either one ends, the other is stopped too. The worker takes SIGTERM as a cold shutdown:
# its running jobs get WORKER_STOP_SECONDS to finish, then stop and are queued again.
REMAP_SIGTERM=SIGQUIT "$PYTHON" -m celery -A deepcell_label.worker:celery worker \
  --loglevel "${LOG_LEVEL:-INFO}" --without-gossip --without-mingle &
worker=$!
"$PYTHON" -m gunicorn deepcell_label.wsgi:app --preload \
  --bind "${HOST:-127.0.0.1}:${PORT:-5000}" \
  --workers "${WORKERS:-2}" --threads "${THREADS:-4}" \
  --timeout "${TIMEOUT:-600}" --graceful-timeout 30 \
  --access-logfile - --error-logfile - &
web=$!
trap 'kill -TERM "$web" "$worker" 2>/dev/null' INT TERM
trap 'kill -TERM "$web" "$worker" 2>/dev/null; wait' EXIT
wait -n "$web" "$worker"
