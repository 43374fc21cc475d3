#!/usr/bin/env bash
# Start the local portal at http://127.0.0.1:8000 with a Celery worker and beat in the
# background. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .local/broker .local/broker-processed
trap 'trap - EXIT INT TERM; kill 0 2>/dev/null; wait' EXIT INT TERM
.venv/bin/celery -A channels_portal worker --loglevel=info --concurrency=2 --hostname="worker@%h" &
.venv/bin/celery -A channels_portal beat --loglevel=info &
.venv/bin/python manage.py runserver 127.0.0.1:8000
