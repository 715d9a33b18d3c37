from django.apps import AppConfig

from apps.common.reference import load_after_migrate


class PeopleConfig(AppConfig):
    name = "apps.people"
    label = "people"

    def ready(self):
        from .lookups import register

        register()
        load_after_migrate(self, "apps.people.reference.people_reference_load")  # postcode-district areas
