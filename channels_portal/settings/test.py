"""Test settings: PostgreSQL and Redis when reachable, otherwise SQLite with those tests skipped.

`REQUIRE_SERVICES=1` turns a missing service into an error (CI). Values that a spawned
process (a Celery worker, a second web server) must share are put into the environment here,
so subprocesses started by tests inherit them.
"""

import os
import socket
from urllib.parse import urlparse

from cryptography.fernet import Fernet


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


SERVICES_MISSING: list[str] = []
_pg_url = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/test"
if _pg_url.startswith("sqlite"):
    SERVICES_MISSING.append("PostgreSQL (DATABASE_URL is SQLite)")
elif _reachable(_pg_url, 5432):
    os.environ["DATABASE_URL"] = _pg_url
else:
    SERVICES_MISSING.append(f"PostgreSQL at {urlparse(_pg_url).netloc}")
    os.environ.pop("DATABASE_URL", None)
_redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
if _reachable(_redis_url, 6379):
    os.environ["REDIS_URL"] = _redis_url
else:
    SERVICES_MISSING.append(f"Redis at {urlparse(_redis_url).netloc}")
    os.environ.pop("REDIS_URL", None)
if os.environ.get("REQUIRE_SERVICES") == "1" and SERVICES_MISSING:
    raise RuntimeError(f"REQUIRE_SERVICES=1 but not reachable: {', '.join(SERVICES_MISSING)}")

os.environ.setdefault("FIELD_ENCRYPTION_KEYS", Fernet.generate_key().decode())
os.environ.setdefault("XERO_SANDBOX_ENABLED", "true")
os.environ.setdefault("DJANGO_DEBUG", "false")
# DEBUG is off as in production, so the settings need a key of their own (a test-only one).
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-" + "not-a-secret-" * 4)

from .base import *  # noqa: E402,F403
from .base import LOCAL_DIR  # noqa: E402

# Every test, and every worker or server a test starts, fails on HTTP inside a transaction.
os.environ.setdefault("HTTP_IN_TRANSACTION_GUARD", "true")
HTTP_IN_TRANSACTION_GUARD = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
if not os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(LOCAL_DIR / f"test-cache-{os.getpid()}"),
        }
    }
# WhiteNoise warns about a missing STATIC_ROOT; tests never collect static files.
STATIC_ROOT = LOCAL_DIR / "test-staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]  # noqa: F405
# Playwright's sync API runs an event loop in the test thread; Django's ORM must still work there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
