from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "apps.casework"
    label = "casework"
    verbose_name = "Casework"

    def ready(self):
        from apps.indicators.signals import refresh_rebuilt

        from .outcomes import on_refresh_rebuilt

        refresh_rebuilt.connect(on_refresh_rebuilt, dispatch_uid="casework.outcomes_check")
