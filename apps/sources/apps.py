from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_reference_data(sender, **kwargs):
    from .reference import reference_data_load

    reference_data_load()


class SourcesConfig(AppConfig):
    name = "apps.sources"
    label = "sources"
    verbose_name = "Sources and imports"

    def ready(self):
        # After the last app's migrations, so every reference table exists.
        post_migrate.connect(_load_reference_data, sender=self, dispatch_uid="thinkfamily_reference_data")
