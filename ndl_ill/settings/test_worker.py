"""A real Celery worker in the integration tests: the test database (through
DATABASE_URL), a real Redis, and email written to files the test can count."""

from .test import *  # noqa: F403
from .test import BASE_DIR, env

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = env("NDL_TEST_REDIS_URL", default="redis://127.0.0.1:6379/0")
# Each test uses its own queue, so two test runs never take each other's messages.
CELERY_TASK_DEFAULT_QUEUE = env("NDL_TEST_CELERY_QUEUE", default="celery")
EMAIL_BACKEND = env(
    "NDL_TEST_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = env("NDL_TEST_EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "test-mail"))
EMAIL_HOST = env("NDL_TEST_EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("NDL_TEST_EMAIL_PORT", default=25)
