"""``refresh_rebuilt``: sent by the refresh inside its transaction, after indicators, risk scores and family
criteria are rebuilt, so what follows from them (casework's outcome check, incident notifications) is
computed from the same data and commits or rolls back with the refresh.

Receivers take ``run``, ``period``, ``scope``, ``progress`` and ``before`` (the (person id, indicator
definition id) pairs of computed indicators in scope before this refresh rebuilt them: what is new) and return a dict of counts (merged into the
run's counts) or None."""

from django.dispatch import Signal

refresh_rebuilt = Signal()
