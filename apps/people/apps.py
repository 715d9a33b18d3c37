from django.apps import AppConfig

from apps.common.reference import load_after_migrate


class PeopleConfig(AppConfig):
    name = "apps.people"
    label = "people"

    def ready(self):
        from apps.audit.alerts import subject_model_register

        from .lookups import register
        from .models import Family, Person

        register()
        load_after_migrate(self, "apps.people.reference.people_reference_load")  # postcode-district areas
        # the audit app raises restricted-record and same-surname alerts about these, without importing people
        subject_model_register("person", Person)
        subject_model_register("family", Family)
