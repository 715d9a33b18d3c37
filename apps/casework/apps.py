from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "apps.casework"
    label = "casework"
    verbose_name = "Casework"

    def ready(self) -> None:
        from apps.indicators.signals import refresh_rebuilt

        from . import progress, signals
        from .outcomes import on_refresh_rebuilt

        signals.case_allocated.connect(progress.on_case_allocated, dispatch_uid="casework.progress.start")
        signals.case_closed.connect(progress.on_case_closed, dispatch_uid="casework.progress.close")
        refresh_rebuilt.connect(on_refresh_rebuilt, dispatch_uid="casework.outcomes_check")
