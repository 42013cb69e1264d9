"""The test suite: SQLite in memory unless DATABASE_URL points at PostgreSQL."""

from .base import *  # noqa: F403
from .base import BASE_DIR, DATABASES, env, resilient_cache, with_connect_timeout

DEBUG = False
SECRET_KEY = "test-only-not-a-secret"  # noqa: S105 - tests only  # nosec B105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DATABASES["default"] = with_connect_timeout(env.db("DATABASE_URL", default="sqlite://:memory:"))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# A cache, so that the suite runs the portal's page cache as production does
# (memory here; Redis when .ci/run sets CACHE_URL). conftest.py empties it
# before each test.
CACHES = {"default": resilient_cache(env.cache("CACHE_URL", default="locmemcache://"))}
CACHES["default"]["KEY_PREFIX"] = "ndl-ill-test"
CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
PRIVATE_MEDIA_ROOT = BASE_DIR / "var" / "test-private"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.InMemoryStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Tests sign in with force_login(); the throttling and second-factor tests
# switch these back on for themselves.
AXES_ENABLED = False
NDL_ADMIN_REQUIRE_OTP = False
# Tests and a local peer run their ISO 18626 receiver on the loopback.
NDL_ISO18626_ALLOW_LOOPBACK_HTTP = True
