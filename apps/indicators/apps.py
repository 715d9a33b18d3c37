from django.apps import AppConfig

from apps.common.reference import load_after_migrate


class IndicatorsConfig(AppConfig):
    name = "apps.indicators"
    label = "indicators"

    def ready(self):
        # the catalogue first: the risk models and the frameworks' needs name its indicators
        load_after_migrate(self, "apps.indicators.reference.indicators_reference_load",
                           "apps.indicators.risk.risk_models_load", "apps.indicators.frameworks.frameworks_load")
