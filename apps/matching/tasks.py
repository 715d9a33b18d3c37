"""Matching has no task of its own: its runs are started by ``thinkfamily.orchestration``, which decides what follows.

``match_run_task`` is named here until ``views.py`` imports it from ``thinkfamily.orchestration``.
"""

from thinkfamily.orchestration import match_run_task  # noqa: F401
