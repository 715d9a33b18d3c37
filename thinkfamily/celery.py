"""Celery application. Tasks are thin wrappers over services (see apps/*/tasks.py)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")

app = Celery("thinkfamily")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
