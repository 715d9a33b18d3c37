"""Moved to ``apps.common.dates``; this module only keeps the indicators' imports working until they are switched.

To be deleted once ``refresh.py``, ``criteria.py`` and ``risk.py`` import from ``apps.common.dates``.
"""

from apps.common.dates import academic_age, academic_year_start, add_years, age_on, as_date, child_born_after

__all__ = ["academic_age", "academic_year_start", "add_years", "age_on", "as_date", "child_born_after"]
