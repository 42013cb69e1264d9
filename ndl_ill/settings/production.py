"""Production: refuses to start without its secrets."""

from .base import *  # noqa: F403
from .base import CACHES, DATABASES, env, resilient_cache, with_connect_timeout

DEBUG = False
# Each of these raises ImproperlyConfigured when the variable is missing.
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES["default"] = with_connect_timeout(env.db("DATABASE_URL"))
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
# Required here: base.py falls back to no cache at all.
# Stamps are renewed inside the services' transactions (core/pagecache.py):
# a Redis that stops answering must fail fast, not hold row locks.
CACHES["default"] = {
    **resilient_cache(env.cache("CACHE_URL")),
    "KEY_PREFIX": CACHES["default"]["KEY_PREFIX"],
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Whitenoise's compressed manifest storage, each URL worked out once per process.
STORAGES["staticfiles"] = {"BACKEND": "core.staticstorage.ManifestStaticStorage"}  # noqa: F405
