"""The Celery app. Its tasks publish from web requests through
``core.resilience.task_publish``: bounded, and never raising (see there)."""

from __future__ import annotations

import os
from typing import Any

import celery
from celery.result import AsyncResult
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ndl_ill.settings.local")

# True in a Celery worker (and its pool's children, forked after).
_in_worker = False


@worker_init.connect
def _mark_worker(**kwargs: Any) -> None:
    global _in_worker
    _in_worker = True


class Task(celery.Task):  # type: ignore[misc]
    """Outside a worker, ``delay``/``apply_async`` never block nor raise on the broker.

    A request publishes after its transaction has committed: a broker that
    is down must not hold the worker nor turn the committed change into a
    500. Workers publish as usual (the sweeper re-runs what they lose).
    """

    def apply_async(  # type: ignore[override]
        self, args: Any = None, kwargs: Any = None, **options: Any
    ) -> AsyncResult | None:
        if (
            _in_worker
            or self.app.conf.task_always_eager
            or "connection" in options
            or "producer" in options
        ):
            return super().apply_async(args, kwargs, **options)
        from core.resilience import task_publish

        return task_publish(self, args=args, kwargs=kwargs, **options)


app = celery.Celery("ndl_ill", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
