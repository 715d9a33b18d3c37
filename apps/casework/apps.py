from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "apps.casework"
    label = "casework"
    verbose_name = "Casework"

    def ready(self) -> None:
        from . import progress, signals

        signals.case_allocated.connect(progress.on_case_allocated, dispatch_uid="casework.progress.start")
        signals.case_closed.connect(progress.on_case_closed, dispatch_uid="casework.progress.close")
