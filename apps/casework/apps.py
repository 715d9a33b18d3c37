from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "apps.casework"
    label = "casework"
    verbose_name = "Casework"

    def ready(self) -> None:
        from apps.indicators.signals import refresh_rebuilt

        from . import marker_services, notification_services, progress, signals
        from .outcomes import on_refresh_rebuilt

        signals.case_allocated.connect(progress.on_case_allocated, dispatch_uid="casework.progress.start")
        signals.case_closed.connect(progress.on_case_closed, dispatch_uid="casework.progress.close")
        signals.case_allocated.connect(marker_services.markers_on_allocation, dispatch_uid="casework.markers_on_allocation")
        signals.case_closed.connect(marker_services.markers_on_closure, dispatch_uid="casework.markers_on_closure")
        signals.consent_changed.connect(marker_services.markers_on_consent_change,
                                        dispatch_uid="casework.markers_on_consent_change")
        refresh_rebuilt.connect(on_refresh_rebuilt, dispatch_uid="casework.outcomes_check")
        refresh_rebuilt.connect(notification_services.notifications_after_refresh,
                                dispatch_uid="casework.notifications_after_refresh")
