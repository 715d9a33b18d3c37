"""``field__anyof=[...]``: membership in a long list of ids as ONE parameter.

``__in`` resolves every element of the list as a separate query parameter, which costs
tens of milliseconds for the thousands of candidate ids a name search gathers. On
PostgreSQL this sends the list as one array (``= ANY(%s)``); elsewhere it falls back to
``IN (...)``.
"""

from __future__ import annotations

from django.db.models import ForeignKey, IntegerField, Lookup


class AnyOf(Lookup):
    lookup_name = "anyof"
    prepare_rhs = False

    def get_prep_lookup(self):
        return [int(value) for value in self.rhs]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self.rhs
        if not values:
            return "1 = 0", list(lhs_params)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


def register() -> None:
    IntegerField.register_lookup(AnyOf)
    ForeignKey.register_lookup(AnyOf)
