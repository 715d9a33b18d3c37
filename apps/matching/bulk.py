"""Moved to ``apps.common.bulk``, the one bulk writer; this name stays until ``projection.py`` imports from there."""

from apps.common.bulk import bulk_insert, bulk_update, insert_copies  # noqa: F401
