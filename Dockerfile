# One image for the web server (gunicorn), the Celery worker and Celery beat.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=channels_portal.settings.production

RUN groupadd --system portal && useradd --system --gid portal --home-dir /app portal

WORKDIR /app
# The runtime lock file (`make lock`): exact pins with their hashes, installed in pip's
# hash-checking mode, without asking the index for dependencies again (the lock holds them all;
# `pip check` proves it); it pins pip too.
COPY requirements.txt .
RUN python -m pip install --require-hashes --no-deps -r requirements.txt && python -m pip check

COPY . .

# collectstatic only reads the code: throw-away values satisfy production settings at build time.
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_ALLOWED_HOSTS=localhost SITE_URL=https://localhost \
    FIELD_ENCRYPTION_KEYS="$(python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')" \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/.local && chown -R portal:portal /app/.local

USER portal
EXPOSE 8000

# web by default; docker-compose runs the worker, beat and migrate step with other commands.
CMD ["gunicorn", "channels_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
