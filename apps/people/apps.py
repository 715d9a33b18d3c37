from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "apps.people"
    label = "people"

    def ready(self):
        from apps.audit.alerts import subject_model_register

        from .lookups import register
        from .models import Family, Person

        register()
        # the audit app raises restricted-record and same-surname alerts about these, without importing people
        subject_model_register("person", Person)
        subject_model_register("family", Family)
