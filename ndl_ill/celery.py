import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ndl_ill.settings.local")

app = Celery("ndl_ill")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
