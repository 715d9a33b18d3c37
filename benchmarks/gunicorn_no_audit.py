"""gunicorn config for benchmarks/search.py's "without audit" run: the audit write becomes a no-op
in each worker, so the difference to the normal run is the audit's cost. Never used in production."""


def post_worker_init(worker):
    import apps.caseview.views as views

    views.audit_record = lambda **kwargs: None
