"""Settings for every environment; values that differ between machines come from the environment.

The defaults give a working local portal with no services: SQLite, a filesystem Celery broker
and a file cache. `DATABASE_URL` switches to PostgreSQL, `REDIS_URL` / `CELERY_BROKER_URL` to
Redis. `channels_portal.settings.production` tightens everything for deployment.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent
LOCAL_DIR = BASE_DIR / ".local"  # runtime files of a local portal (gitignored)

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

# DEBUG is off unless asked for (`make run` asks). The built-in key is for a development
# machine only: with DEBUG off the portal refuses to start on it.
LOCAL_ONLY_SECRET_KEY = "django-insecure-local-development-only"  # nosec B105  # local development key, refused at start-up when DEBUG is off
SECRET_KEY = env("DJANGO_SECRET_KEY", default=LOCAL_ONLY_SECRET_KEY)
DEBUG = env.bool("DJANGO_DEBUG", default=False)
if not DEBUG and SECRET_KEY == LOCAL_ONLY_SECRET_KEY:
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is off, so the built-in development secret key may not be used. "
        "Set the DJANGO_SECRET_KEY environment variable to a long random string "
        "(or DJANGO_DEBUG=true on a development machine)."
    )
# A shared demo server (DEBUG off) that may load the demo data and its well-known log-ins.
DEMO_MODE = env.bool("DEMO_MODE", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The portal's own absolute address, for links sent to Xero (invoice Url) and e-mails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "channels_portal.apps.ChannelsPortalConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served locally, never from a CDN
    "axes",
    "csp",
    "organizations",
    "stores",
    "accounting",
    "accounting.sync",
    # The Billing API, above stores and accounting (it shows both).
    "api",
]

XERO_SANDBOX_ENABLED = env.bool("XERO_SANDBOX_ENABLED", default=True)
if XERO_SANDBOX_ENABLED:
    INSTALLED_APPS.append("xero_sandbox")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Billing API answers carry customers' personal data: Cache-Control: no-store on every one.
    "api.middleware.BillingApiNoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "organizations.middleware.CurrentOrganizationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "channels_portal.urls"
WSGI_APPLICATION = "channels_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organizations.context_processors.current_organization",
            ],
        },
    },
]

# Databases ---------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# No transaction per request: a view that talks to Xero must not hold one across the call
# (invariant 9), and a page that only reads takes no lock. Writes live in services, each in its
# own short `transaction.atomic` (the Django admin wraps its own forms in one).
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
if env("TEST_DATABASE_NAME", default="") and "sqlite" not in DATABASES["default"]["ENGINE"]:
    # Lets several test runs share one PostgreSQL server without clashing (SQLite tests run in memory).
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME")}
if "sqlite" in DATABASES["default"]["ENGINE"]:
    # The local portal's web server, worker, beat and Xero sandbox share one file: WAL lets
    # readers go on while one writes; IMMEDIATE transactions take the write lock when they begin,
    # so a writer waits for it (up to the timeout) instead of failing at once with "database is
    # locked" when a read-then-write transaction cannot upgrade its lock. No transaction is held
    # across a call to Xero (see channels_portal.locks), so the waits stay short.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Outgoing HTTP or e-mail while a transaction is open raises HttpInTransaction (invariant 9):
# on in the tests and on a development machine, off in production (channels_portal/http_guard.py).
HTTP_IN_TRANSACTION_GUARD = env.bool("HTTP_IN_TRANSACTION_GUARD", default=DEBUG)

# Redis, cache, Celery ----------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(LOCAL_DIR / "cache"),
        }
    }

# Without Redis the local portal still runs a real worker, through kombu's filesystem transport.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # Messages are files; web, worker and beat must share the folder (and kombu needs it to exist).
    _broker_dir = Path(env("CELERY_FILESYSTEM_BROKER_DIR", default=str(LOCAL_DIR / "broker")))
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
        # Exchange tables; kombu's default is ./control in the project.
        "control_folder": str(_broker_dir / "control"),
    }
    # Kombu's filesystem transport with its files written whole (channels_portal/broker.py), and
    # no broadcasts over it: nothing of the portal uses remote control, and its pidbox files are
    # what several processes would write at once.
    CELERY_BROKER_TRANSPORT = "channels_portal.broker:Transport"
    CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
# Two queues: "sync" holds the push turns (one batch to Xero each), "celery" the rest (the beat's
# sweeps and polls, webhook events, token refreshes). A worker started without -Q takes both; a
# machine that only sends runs `celery worker -Q sync` while at least one group takes "celery"
# (docs/scaling.md).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (Queue("celery", routing_key="celery"), Queue("sync", routing_key="sync"))
CELERY_TASK_ROUTES = {"accounting.tasks.push_channel": {"queue": "sync"}}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = env("CELERY_BEAT_SCHEDULE_FILENAME", default=str(LOCAL_DIR / "celerybeat-schedule"))
# Starts afresh, instead of exiting, from a schedule file a killed beat left half-written.
CELERY_BEAT_SCHEDULER = "channels_portal.beat:RecoveringPersistentScheduler"
# A channel without a webhook key is polled every XERO_POLL_SECONDS; the beat polls a share of
# them every tick (accounting.inbound.poll.poll_slot), so thousands are never polled at once.
XERO_POLL_SECONDS = env.float("XERO_POLL_SECONDS", default=900.0)
XERO_POLL_TICK_SECONDS = min(60.0, XERO_POLL_SECONDS)
CELERY_BEAT_SCHEDULE = {
    # Dispatch every due sync ledger row, so nothing waits on a lost broker message.
    "sync-sweep-due": {
        "task": "accounting.tasks.sweep_due",
        "schedule": env.float("SYNC_SWEEP_SECONDS", default=5.0),
    },
    # Keep 60-day refresh tokens alive by refreshing those idle for 30 days (spread over a day).
    "refresh-idle-tokens": {
        "task": "accounting.tasks.refresh_idle_tokens",
        "schedule": timedelta(hours=1),
    },
    # Paid and void status from Xero: the poll of channels without a webhook key (each poll is
    # at least one call: every 15 minutes costs 96 of a Starter app's 1,000 calls a day), and
    # the webhook events a lost broker message left pending.
    "xero-poll-due": {
        "task": "accounting.tasks.xero_poll_due",
        "schedule": XERO_POLL_TICK_SECONDS,
    },
    "xero-events-sweep": {
        "task": "accounting.tasks.xero_events_sweep",
        "schedule": env.float("XERO_EVENTS_SWEEP_SECONDS", default=60.0),
    },
}

# Auth --------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "stores:list"
LOGOUT_REDIRECT_URL = "login"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Failures are counted per username (from any address) and per address (for any username): a
# guesser who changes address, or username, is still stopped. A locked username also refuses
# its owner's right password until the cool-off ends (the lock-out page says so).
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Reverse proxies in front of the portal that append to X-Forwarded-For (0: use REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "organizations.throttling.client_ip"

# Internationalisation ----------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Billing API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["organizations.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": None,
}
# Requests per API key and per organization ("N/s|min|hour|day"; 429 with Retry-After beyond),
# the largest request body in bytes (413 beyond) and the most lines an invoice may have (400).
BILLING_API_KEY_RATE = env("BILLING_API_KEY_RATE", default="600/min")
BILLING_API_ORGANIZATION_RATE = env("BILLING_API_ORGANIZATION_RATE", default="1200/min")
BILLING_API_MAX_BODY_BYTES = env.int("BILLING_API_MAX_BODY_BYTES", default=256 * 1024)
BILLING_API_MAX_INVOICE_LINES = env.int("BILLING_API_MAX_INVOICE_LINES", default=200)
# How deep a JSON body's arrays and objects may nest (400 beyond; an invoice needs 3). Checked
# before parsing: Python's JSON decoder recurses, and ~1,000 levels (6 KB) would crash it.
BILLING_API_MAX_JSON_DEPTH = env.int("BILLING_API_MAX_JSON_DEPTH", default=32)
# Failed API-key authentications (401: wrong, revoked, malformed or missing key) per client
# address; beyond, every request from that address answers 429 with Retry-After until the
# window has passed (api.limits.FailedAuthenticationThrottle). Empty: no limit.
BILLING_API_FAILED_AUTH_RATE = env("BILLING_API_FAILED_AUTH_RATE", default="20/min")
SPECTACULAR_SETTINGS = {
    "TITLE": "Channels Portal Billing API",
    "DESCRIPTION": "Stores, products, invoices and accounting channels of one organization.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # The docs page loads Swagger UI from our own static files (drf-spectacular-sidecar).
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Input decimals are documented as a string or a number, as DRF reads both (drill 5, schemathesis).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.fields.decimals_accept_numbers",
    ],
}

# Secrets at rest ---------------------------------------------------------------------------
# Fernet keys (first encrypts, all decrypt). Not SECRET_KEY. A local portal without the
# variable gets a key generated once into .local/ (see channels_portal.encryption).
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
FIELD_ENCRYPTION_KEY_FILE = LOCAL_DIR / "field-encryption.key"

# Xero --------------------------------------------------------------------------------------
# The portal talks to these three hosts only; with the sandbox on they point at it.
if XERO_SANDBOX_ENABLED:
    _sandbox = f"{SITE_URL}/xero-sandbox"
    XERO_LOGIN_URL = env("XERO_LOGIN_URL", default=f"{_sandbox}/login")
    XERO_IDENTITY_URL = env("XERO_IDENTITY_URL", default=f"{_sandbox}/identity")
    XERO_API_URL = env("XERO_API_URL", default=f"{_sandbox}/api")
else:
    XERO_LOGIN_URL = env("XERO_LOGIN_URL", default="https://login.xero.com")
    XERO_IDENTITY_URL = env("XERO_IDENTITY_URL", default="https://identity.xero.com")
    XERO_API_URL = env("XERO_API_URL", default="https://api.xero.com")
XERO_SCOPES = [
    "offline_access",
    "accounting.invoices",
    "accounting.payments",
    "accounting.contacts",
    "accounting.settings",
]
XERO_REQUEST_TIMEOUT = env.float("XERO_REQUEST_TIMEOUT", default=30.0)
# Invoices or items per Xero write (Xero: about 50); smaller only to exercise the limiter.
SYNC_BATCH_SIZE = env.int("SYNC_BATCH_SIZE", default=50)
# How long claimed rows stay claimed without news before the sweep hands them back for a look-up
# (0: three request timeouts and a minute, at least 120 s). Shorter only to drill worker crashes:
# a claim that outlives its lease is still refused its write-back, so the cost is extra look-ups.
SYNC_ROW_LEASE_SECONDS = env.float("SYNC_ROW_LEASE_SECONDS", default=0.0)
# How long a lane stays held without its task running (a lost task frees it after this).
SYNC_LANE_TTL = env.int("SYNC_LANE_TTL", default=30)
# Sandbox knobs: time scale shrinks the rate-limit windows (10 → a minute lasts 6 s).
XERO_SANDBOX_TIME_SCALE = env.float("XERO_SANDBOX_TIME_SCALE", default=1.0)
XERO_SANDBOX_RATE_LIMITS = env.bool("XERO_SANDBOX_RATE_LIMITS", default=True)
# Real Xero answers 404 to a URL longer than about 2,050 characters (measured as the client sent it).
XERO_SANDBOX_MAX_URL_LENGTH = env.int("XERO_SANDBOX_MAX_URL_LENGTH", default=2048)
# An organisation with more contacts (or invoices) than this is "high volume" by itself: un-optimised
# filters on that resource answer 400, as Xero does above its threshold of 100,000.
XERO_SANDBOX_HIGH_VOLUME_RECORDS = env.int("XERO_SANDBOX_HIGH_VOLUME_RECORDS", default=100_000)
# The portal's limiter must use the same time scale as the Xero it talks to.
XERO_RATE_TIME_SCALE = env.float("XERO_RATE_TIME_SCALE", default=XERO_SANDBOX_TIME_SCALE)

# Content-Security-Policy (django-csp) -------------------------------------------------------
# Every page, here and in production: scripts, styles, fonts and frames from the portal itself
# only, no inline script, style or event handler (templates/ and static/ have none), no plugins,
# never framed. Images may be data: URLs (the blank favicon, Swagger UI's icons).
# Forms post to the portal, which answers the Connect button with a redirect to Xero's log-in;
# Chromium checks form-action on every redirect a form submission follows, so Xero's log-in
# host is allowed too and, with real Xero, its consent host, where login.xero.com sends a user
# who is already logged in to Xero. With the sandbox on, that is the portal's own address.
_xero_login = urlsplit(XERO_LOGIN_URL)
XERO_CONSENT_ORIGINS = [f"{_xero_login.scheme}://{_xero_login.netloc}"]
if not XERO_SANDBOX_ENABLED:
    XERO_CONSENT_ORIGINS.append("https://authorize.xero.com")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF, *XERO_CONSENT_ORIGINS],
    },
}

# E-mail ------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Channels Portal <portal@localhost>")

# Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        # Django's own runserver format (this config replaces its django.server logger).
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    # Request lines are logged without their query string (an OAuth code travels in one).
    "filters": {"without_query": {"()": "channels_portal.log_filters.RequestLineWithoutQuery"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "django.server": {"class": "logging.StreamHandler", "formatter": "django.server"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {
            "handlers": ["django.server"],
            "filters": ["without_query"],
            "level": "INFO",
            "propagate": False,
        },
    },
}
