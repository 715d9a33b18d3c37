from django.apps import AppConfig

from apps.common.reference import load_after_migrate


class AccountsConfig(AppConfig):
    name = "apps.accounts"
    label = "accounts"

    def ready(self):
        load_after_migrate(self, "apps.accounts.reference.accounts_reference_load")  # sections, roles
