#!/usr/bin/env bash
# Security gates (issue 11, drill 8), run by CI after `make test` and by `make gates`:
#  1. Django's deployment checks on the production settings, with the environment .env.example
#     describes plus the values production requires (a real-looking secret key, Fernet keys, an
#     https SITE_URL, PostgreSQL and Redis URLs): zero warnings (SILENCED_SYSTEM_CHECKS is empty).
#  2. bandit over the project's code (config in pyproject.toml; each suppression says why).
#  3. pip-audit over the requirements (scripts/dependency_audit.py: a known vulnerability fails;
#     a dependency that could not be looked up is reported loudly, never passed over silently).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

echo "== manage.py check --deploy (channels_portal.settings.production)"
(
  set -a
  # shellcheck disable=SC1091
  . ./.env.example
  set +a
  export DJANGO_SETTINGS_MODULE=channels_portal.settings.production
  DJANGO_SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')"
  FIELD_ENCRYPTION_KEYS="$($PY -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
  export DJANGO_SECRET_KEY FIELD_ENCRYPTION_KEYS
  export SITE_URL=https://portal.example.com DJANGO_ALLOWED_HOSTS=portal.example.com
  export DATABASE_URL=postgres://portal@127.0.0.1:5432/portal REDIS_URL=redis://127.0.0.1:6379/0
  export LOG_LEVEL=WARNING
  $PY manage.py check --deploy --fail-level WARNING
)

echo "== bandit (pyproject.toml [tool.bandit])"
# bandit warns about each line of a multi-line statement that carries a `# nosec`; not findings.
set +e
.venv/bin/bandit -c pyproject.toml -r . -q 2> >(grep -v "nosec encountered" >&2)
status=$?
set -e
[ "$status" -eq 0 ] || { echo "bandit found issues (exit $status)"; exit "$status"; }
echo "bandit: no issues"

echo "== pip-audit (requirements.txt, requirements-dev.txt)"
$PY scripts/dependency_audit.py
