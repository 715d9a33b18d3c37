from django.apps import AppConfig

from apps.common.reference import load_after_migrate


class SourcesConfig(AppConfig):
    name = "apps.sources"
    label = "sources"
    verbose_name = "Sources and imports"

    def ready(self):
        load_after_migrate(self, "apps.sources.reference.sources_reference_load")  # organisations, gateways, datasets
