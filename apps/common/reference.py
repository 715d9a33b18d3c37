"""The reference data file, ``fixtures/reference.json``: one file, one top-level key per kind of row.

Each app loads its own kinds after every ``migrate`` (its ``apps.py`` connects
``post_migrate`` for itself; apps run in ``INSTALLED_APPS`` order, so what a
kind refers to by code is there first):

| app | keys | loader |
| --- | --- | --- |
| accounts | ``sections``, ``roles`` | ``apps/accounts/reference.py`` |
| sources | ``organisations``, ``legal_gateways`` (and, once each, the dataset descriptors of ``fixtures/datasets/``) | ``apps/sources/reference.py`` |
| people | ``postcode_areas`` | ``apps/people/reference.py`` |
| indicators | ``headline_problems``, ``badges``, ``indicator_categories``, ``indicators`` (and, once each, the programme frameworks of ``fixtures/frameworks/``) | ``apps/indicators/reference.py``, ``apps/indicators/frameworks.py`` |

One file rather than one per app: its kinds refer to each other by code
(a dataset's section, an indicator's providers and legal gateways), and one
file is one place to read and review the whole catalogue.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.db.models.signals import post_migrate
from django.utils.module_loading import import_string

REFERENCE_FILE = Path(settings.BASE_DIR) / "fixtures" / "reference.json"


def reference_rows(key: str, *, path: Path = REFERENCE_FILE) -> list[dict]:
    """The rows of one kind (a top-level key of the file); none if the file has no such key."""
    return json.loads(path.read_text(encoding="utf-8")).get(key, [])


def rows_upsert(model, rows: list[dict], *, key: str, fields: tuple[str, ...]) -> dict:
    """Update or create one ``model`` row per item of ``rows``, by ``key``, with ``fields`` as the file has them.

    Returns {key value: row}.
    """
    return {
        row[key]: model.objects.update_or_create(**{key: row[key]}, defaults={f: row[f] for f in fields})[0]
        for row in rows
    }


def load_after_migrate(config, *loaders: str) -> None:
    """Run ``loaders`` (dotted paths of functions, in order) after every ``migrate``, at ``config``'s ``post_migrate``.

    Call from the app's ``AppConfig.ready``.
    """

    def load(sender, **kwargs):
        for loader in loaders:
            import_string(loader)()

    post_migrate.connect(load, sender=config, weak=False, dispatch_uid=f"thinkfamily_reference_data_{config.label}")
