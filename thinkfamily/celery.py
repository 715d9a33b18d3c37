"""Celery application. Tasks are thin wrappers over services: each app's in ``apps/*/tasks.py``, and the ones
that chain the stages (import -> incremental match -> refresh) in ``thinkfamily/orchestration.py``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "thinkfamily.settings")

app = Celery("thinkfamily")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.autodiscover_tasks(["thinkfamily"], related_name="orchestration")
