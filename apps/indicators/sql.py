"""Small helpers for the refresh's raw SQL, which must run on PostgreSQL and SQLite alike."""

from __future__ import annotations

from django.db import connection
from django.db.models import Model


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def add_years(column: str, years: int) -> str:
    """SQL for the date ``years`` after the date ``column``."""
    years = int(years)
    if connection.vendor == "postgresql":
        return f"({column} + interval '{years} years')::date"
    return f"date({column}, '+{years} years')"


def in_clause(column: str, values) -> tuple[str, list]:
    """``column IN (%s, ...)`` and its parameters; a false condition when ``values`` is empty."""
    values = list(values)
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def scope_clause(column: str, person_ids) -> tuple[str, list]:
    """No condition for a full refresh (``person_ids`` None), else ``AND column IN (...)``."""
    if person_ids is None:
        return "", []
    sql, params = in_clause(column, person_ids)
    return f" AND {sql}", params


def fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
