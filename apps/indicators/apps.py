from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_risk_models(sender, **kwargs):
    from .risk import risk_models_load

    risk_models_load()


class IndicatorsConfig(AppConfig):
    name = "apps.indicators"
    label = "indicators"

    def ready(self):
        # Connected after the sources app's reference-data loader (INSTALLED_APPS order) and to the same
        # sender, so the indicator catalogue exists when the risk models that name it are loaded.
        post_migrate.connect(
            _load_risk_models, sender=self.apps.get_app_config("sources"), dispatch_uid="thinkfamily_risk_models"
        )
