"""Production settings: everything secret or host-specific must come from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_DEBUG", "false")
# The sandbox is off unless asked for, and asking for it is refused below.
os.environ.setdefault("XERO_SANDBOX_ENABLED", "false")

from .base import *  # noqa: F403
from .base import XERO_SANDBOX_ENABLED, env

# Production talks to Xero and nothing else: no sandbox app or pages, no other Xero hosts and no
# time-scaled rate limits (which would let the limiter spend Xero's budget faster than Xero allows).
if XERO_SANDBOX_ENABLED:
    raise ImproperlyConfigured(
        "XERO_SANDBOX_ENABLED is true, but production settings never serve the Xero sandbox: "
        "remove XERO_SANDBOX_ENABLED from the environment and .env (or set it to false)."
    )
XERO_LOGIN_URL = "https://login.xero.com"
XERO_IDENTITY_URL = "https://identity.xero.com"
XERO_API_URL = "https://api.xero.com"
for _name, _real in (
    ("XERO_LOGIN_URL", XERO_LOGIN_URL),
    ("XERO_IDENTITY_URL", XERO_IDENTITY_URL),
    ("XERO_API_URL", XERO_API_URL),
):
    if env(_name, default=_real).rstrip("/") != _real:
        raise ImproperlyConfigured(f"{_name} must be {_real} in production (or unset): the portal talks only to Xero.")
for _name in ("XERO_SANDBOX_TIME_SCALE", "XERO_RATE_TIME_SCALE"):
    if env.float(_name, default=1.0) != 1.0:
        raise ImproperlyConfigured(f"{_name} must be 1 in production (or unset): Xero's minutes last 60 s.")
XERO_SANDBOX_TIME_SCALE = 1.0
XERO_RATE_TIME_SCALE = 1.0

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
# The public https address: links in Xero invoices and the OAuth callback are built from it.
SITE_URL = env("SITE_URL").rstrip("/")
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS")
# Workers, beat and the shared rate limiter need Redis: no filesystem broker or file cache here.
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production runs behind one HTTPS proxy (see README); log-in throttling must see the client.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
