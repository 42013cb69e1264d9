"""Settings shared by every environment.

Every value is declared here; ``local``, ``test`` and ``production`` only change
what differs by environment.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS: list[str] = env.list("DJANGO_ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "ndl_ill.apps.NdlAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_countries",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core",
    "registration",
    "catalogue",
    "loans",
    "returns",
    "conversations",
    "iso18626",
    "copies",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.NoStoreMiddleware",  # after WhiteNoise: static files stay cacheable
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.OTPMiddleware",  # django-otp's, the device loaded more cheaply
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes requires: it turns a lockout into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ndl_ill.urls"
WSGI_APPLICATION = "ndl_ill.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# PostgreSQL in production; SQLite is the embedded default for `make run`.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE takes the write lock at BEGIN, so two concurrent requests
    # serialise instead of failing with "database is locked" on upgrade.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services own their transactions
# A PostgreSQL server that does not answer fails the connection after this
# many seconds, instead of holding a worker until the operating system gives up.
NDL_DB_CONNECT_TIMEOUT = env.int("NDL_DB_CONNECT_TIMEOUT", default=5)


def with_connect_timeout(database: dict[str, Any]) -> dict[str, Any]:
    """``database`` (a DATABASES entry) with ``connect_timeout`` set, for PostgreSQL only."""
    if database["ENGINE"] == "django.db.backends.postgresql":
        database["OPTIONS"] = {
            "connect_timeout": NDL_DB_CONNECT_TIMEOUT,
            **database.get("OPTIONS", {}),
        }
    return database


with_connect_timeout(DATABASES["default"])
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and sessions ---------------------------------------------------
# The cache holds the sessions and the portal's busiest page bodies
# (core/pagecache.py). It must be shared by every process that changes data,
# so production requires CACHE_URL (Redis). Without one nothing is cached:
# `make run` serves and `manage.py` commands change data in separate processes.
# Redis and the broker are shortcuts: a request that meets them stopped or
# hung waits at most NDL_REDIS_TIMEOUT per call, then carries on without them,
# and skips them for NDL_SERVICE_RETRY_AFTER seconds (core/resilience.py).
NDL_REDIS_TIMEOUT = env.float("NDL_REDIS_TIMEOUT", default=0.5)
NDL_SERVICE_RETRY_AFTER = env.float("NDL_SERVICE_RETRY_AFTER", default=10.0)


def resilient_cache(config: dict[str, Any]) -> dict[str, Any]:
    """A Redis cache from ``env.cache()`` made bounded and failure-tolerant."""
    if config["BACKEND"] != "django.core.cache.backends.redis.RedisCache":
        return config
    options = {
        "socket_connect_timeout": NDL_REDIS_TIMEOUT,
        "socket_timeout": NDL_REDIS_TIMEOUT,
        **config.get("OPTIONS", {}),
    }
    return {**config, "BACKEND": "core.resilience.ResilientRedisCache", "OPTIONS": options}


CACHES = {"default": resilient_cache(env.cache("CACHE_URL", default="dummycache://"))}
CACHES["default"]["KEY_PREFIX"] = env("CACHE_KEY_PREFIX", default="ndl-ill")
# Sessions are read from the cache and written through to the database; with
# the cache away they are read from the database alone.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Auth -----------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:dashboard"
LOGOUT_REDIRECT_URL = "portal:login"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out User ID from that address is refused before its
    # password is even checked.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, loading a signed-in user's library and site with the user.
    "core.backends.UserBackend",
]
# Login throttling (portal and admin): five failures lock that User ID from
# that address for fifteen minutes; the same User ID from another address,
# or another User ID from this address, still works.
AXES_ENABLED = env.bool("NDL_LOGIN_THROTTLING", default=True)
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The address is the client's, not the reverse proxy's: how many proxies of
# ours stand in front of Django (0: none, X-Forwarded-For is ignored).
NDL_TRUSTED_PROXY_COUNT = env.int("NDL_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "portal/locked_out.html"
AXES_VERBOSE = False
# Failed sign-ins are stored with their form data: mask the one-time code too
# (a backup code typed with a wrong password would still be valid).
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token"]
# Staff reach the admin only after a second factor (TOTP, or a one-time
# backup code). Only the test settings turn it off, per test.
NDL_ADMIN_REQUIRE_OTP = True
# TOTP keys are shown once, on the page that adds the device; the key and
# QR-code pages of an existing device refuse.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The single-use link a newly approved library receives to set its password:
# it works for 72 hours after the email is sent (the token is made then).
PASSWORD_RESET_TIMEOUT = int(timedelta(hours=72).total_seconds())

# --- I18N -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files -------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Scans of application documents are private: they live outside any URL and
# are only streamed through permission-checked views.
PRIVATE_MEDIA_ROOT = Path(env("NDL_PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private")))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = PRIVATE_MEDIA_ROOT
UPLOAD_MAX_BYTES = env.int("NDL_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email ----------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
# Only Celery workers talk to the mail server (a request queues an outbox
# row); a mail server that hangs fails the attempt, which is retried later.
EMAIL_TIMEOUT = env.float("DJANGO_EMAIL_TIMEOUT", default=10.0)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="NDL ILL Section <ill-sec@ndl.go.jp>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where the portal's absolute links (password set-up, notices) point.
# Where a library's message to the NDL is emailed (the ILL Section, Kansai-kan).
NDL_ILL_SECTION_EMAIL = env("NDL_ILL_SECTION_EMAIL", default="ill-sec@ndl.go.jp")
NDL_PORTAL_BASE_URL = env("NDL_PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# --- Celery ---------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE  # the beat schedule below is in Japan time
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# A task is acknowledged only once it has finished, so a worker killed mid-task
# leaves the message for another worker; the tasks are idempotent, so a rerun
# is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One message at a time per process: the nightly jobs are long and must not
# sit reserved behind another one in a worker that may die.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The nightly run is budgeted at five minutes; give it headroom, then stop it.
CELERY_TASK_SOFT_TIME_LIMIT = 15 * 60
CELERY_TASK_TIME_LIMIT = 20 * 60
# With acks_late, Redis re-delivers an unacknowledged message after this
# timeout; it must exceed the longest task (20 min) or a slow task would run twice.
# A broker that hangs must not hold a worker forever either (requests publish
# through core.resilience.task_publish, bounded by NDL_REDIS_TIMEOUT).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 60 * 60,
    "socket_timeout": 10,
    "socket_connect_timeout": 5,
}
CELERY_BEAT_SCHEDULE = {
    "nightly-run": {
        "task": "loans.tasks.nightly_run_task",
        "schedule": crontab(hour=2, minute=0),
        "options": {"expires": 6 * 60 * 60},
    },
    "outbox-sweep": {
        "task": "core.tasks.outbox_sweep_task",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 10 * 60},
    },
    "iso18626-outbox-sweep": {
        "task": "iso18626.tasks.iso_outbox_sweep_task",
        "schedule": crontab(minute="*"),
        "options": {"expires": 60},
    },
    "iso18626-nightly": {
        "task": "iso18626.tasks.iso18626_nightly_task",
        "schedule": crontab(hour=3, minute=0),
        "options": {"expires": 6 * 60 * 60},
    },
    "copies-nightly": {
        "task": "copies.tasks.copies_nightly_task",
        "schedule": crontab(hour=2, minute=15),
        "options": {"expires": 6 * 60 * 60},
    },
}

# --- Domain settings ------------------------------------------------------
# Registration: the NDL page says "about four to six weeks" for approval.
NDL_APPROVAL_TARGET_DAYS = (28, 42)
# Nightly jobs: days after the due date on which a notice is sent. The first
# is the day after the due date; after the last one the case goes to staff.
NDL_OVERDUE_NOTICE_DAYS = env.list("NDL_OVERDUE_NOTICE_DAYS", cast=int, default=[1, 8, 22, 43])
# Used to estimate delivery when tracking gives no delivery date.
NDL_ESTIMATED_TRANSIT_DAYS = env.int("NDL_ESTIMATED_TRANSIT_DAYS", default=10)
# Days after a parcel's (tracked or estimated) delivery on which a library
# that sent no receipt letter is told so; receipt is assumed at the first.
NDL_RECEIPT_NOTICE_DAYS = env.list("NDL_RECEIPT_NOTICE_DAYS", cast=int, default=[4, 11, 25])
# Outbox: retry a failed email with exponential back-off, at most this often.
NDL_OUTBOX_MAX_ATTEMPTS = env.int("NDL_OUTBOX_MAX_ATTEMPTS", default=8)
# Photocopies (copies/): an invoice issued on day D may be paid through day
# D + NDL_COPY_PAYMENT_DAYS; from the day after, the library is reminded and
# its new copy requests are refused until staff clear it. The parcel's weight
# for postage is estimated from grams per sheet (by paper size) and packing.
NDL_COPY_PAYMENT_DAYS = env.int("NDL_COPY_PAYMENT_DAYS", default=60)
NDL_COPY_SHEET_GRAMS = {"a4": 4, "b4": 6, "a3": 8}
NDL_COPY_PACKING_GRAMS = env.int("NDL_COPY_PACKING_GRAMS", default=50)
# Printed on every copy invoice, in both languages.
NDL_COPY_PAYMENT_INSTRUCTIONS_EN = env(
    "NDL_COPY_PAYMENT_INSTRUCTIONS_EN",
    default=(
        "Pay by bank transfer in Japanese yen, quoting the invoice number, to the\n"
        "account of the National Diet Library given by the ILL Section, Kansai-kan,\n"
        "or with IFLA vouchers sent to the ILL Section. Bank charges are the payer's."
    ),
)
NDL_COPY_PAYMENT_INSTRUCTIONS_JA = env(
    "NDL_COPY_PAYMENT_INSTRUCTIONS_JA",
    default=(
        "請求書番号を明記の上、関西館図書館協力課ILL担当が指定する国立国会図書館の口座へ\n"
        "日本円でお振り込みいただくか、IFLAバウチャーをILL担当までお送りください。\n"
        "振込手数料はご負担ください。"
    ),
)
# ISO 18626 (iso18626/): the NDL's agency id as "type:value"; peers' endpoints
# must be https unless loopback http is allowed (local and test settings);
# outgoing messages are retried with back-off for about two days.
NDL_ISO18626_AGENCY_ID = env("NDL_ISO18626_AGENCY_ID", default="ISIL:JP-1000001")
NDL_ISO18626_ALLOW_LOOPBACK_HTTP = env.bool("NDL_ISO18626_ALLOW_LOOPBACK_HTTP", default=False)
NDL_ISO18626_TIMEOUT = env.float("NDL_ISO18626_TIMEOUT", default=10.0)
NDL_ISO18626_MAX_ATTEMPTS = env.int("NDL_ISO18626_MAX_ATTEMPTS", default=60)
# The schemas, to log what an incoming message gets wrong; not needed to run.
NDL_ISO18626_XSD_DIR = env(
    "NDL_ISO18626_XSD_DIR", default=str(BASE_DIR.parent / "shared" / "iso18626" / "xsd")
)

# --- Security -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline or third-party scripts anywhere: every script is a static file.
# Inline style attributes remain allowed because the Django admin uses them.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    # django-axes logs every failed login at INFO; the database keeps them anyway.
    "loggers": {"axes": {"level": "WARNING"}},
}
