"""Settings for bench/iso18626_messages.py: the test settings on the benchmark's
PostgreSQL database, with persistent connections and request logging quiet.
Celery messages are kept in memory (the outbox is written, not delivered,
while incoming is measured); the outbox's worker gets its Redis and queue
from BENCH_CELERY_BROKER_URL and BENCH_CELERY_QUEUE."""

import os

from ndl_ill.settings.test import *  # noqa: F403
from ndl_ill.settings.test import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 60
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = os.environ.get("BENCH_CELERY_BROKER_URL", "memory://")
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_CELERY_QUEUE", "celery")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"handlers": [], "level": "WARNING"},
}
