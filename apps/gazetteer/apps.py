from django.apps import AppConfig


class GazetteerConfig(AppConfig):
    name = "apps.gazetteer"
    label = "gazetteer"
    verbose_name = "Gazetteer (LLPG) and address resolution"
