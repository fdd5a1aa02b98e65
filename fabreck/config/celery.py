"""Celery application. Eager (in-process) unless REDIS_URL names a broker."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fabreck.config.settings")

app = Celery("fabreck")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
