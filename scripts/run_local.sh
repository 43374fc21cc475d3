#!/usr/bin/env bash
# Start the local portal with its Celery worker and beat, after migrating and loading the demo
# data. Needs no PostgreSQL or Redis: SQLite and kombu's filesystem broker by default (set
# DATABASE_URL / REDIS_URL to use the services). Ctrl-C stops all three; a worker or beat that
# stops is started again, and the web server stopping stops everything, saying why.
#   PORT=8000 (default)  HOST=127.0.0.1 (default)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8000}"
HOST="${HOST:-127.0.0.1}"
export SITE_URL="${SITE_URL:-http://${HOST}:${PORT}}"
# A development machine: DEBUG on (the settings default to off, and then want a real secret key).
export DJANGO_DEBUG="${DJANGO_DEBUG:-true}"
PY=.venv/bin/python
mkdir -p .local

$PY manage.py migrate --noinput
$PY manage.py load_demo_data

# The Xero sandbox's demo app and organisation, when the sandbox is on and offers the command.
if $PY manage.py shell -c "
import sys
from django.conf import settings
from django.core.management import get_commands
sys.exit(0 if settings.XERO_SANDBOX_ENABLED and 'xero_sandbox' in get_commands() else 1)
" >/dev/null 2>&1; then
  $PY manage.py xero_sandbox demo --redirect-uri "${SITE_URL}/xero/callback/" \
    || echo "warning: 'manage.py xero_sandbox demo' failed; the portal starts anyway." >&2
fi

cat <<MSG

  Channels Portal: ${SITE_URL}/
  Log in as  demo / demo-password-2026   (Ctrl-C stops the portal, worker and beat)

MSG
# Web server, worker and beat, looked after: a worker or beat that stops is started again; the
# web server stopping, or Ctrl-C, stops all three (scripts/supervise_local.py).
exec $PY scripts/supervise_local.py "$PY" .venv/bin/celery "${HOST}:${PORT}"
