"""Settings for bench/iso18626_messages.py: the test settings on the benchmark's
PostgreSQL database, with persistent connections, Celery messages kept in
memory (the outbox is written, not delivered, while incoming is measured)
and request logging quiet."""

from ndl_ill.settings.test import *  # noqa: F403
from ndl_ill.settings.test import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 60
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = "memory://"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"handlers": [], "level": "WARNING"},
}
