from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "apps.schools"
    label = "schools"
