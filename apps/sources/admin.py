"""Admin for the reference data (organisations, gateways), and read-only views of datasets and batches.

Source records are not in the admin: personal data is read only through the
audited pages.
"""

from django.contrib import admin

from .models import Dataset, ImportBatch, LegalGateway, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(LegalGateway)
class LegalGatewayAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "named_in_source")


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    """Datasets are defined and changed on the datasets page (Imports > Datasets), where each change is a version
    with its author and an audit event, and the descriptor and the row stay one: the admin may look, not change."""

    list_display = ("code", "name", "provider", "category", "validated", "cadence", "trust_rank", "retention_days")
    list_filter = ("provider", "validated", "cadence")
    search_fields = ("code", "name")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    """Batches are written only by the import service: the admin may look, not change."""

    list_display = ("pk", "dataset", "filename", "status", "is_current", "rows_loaded", "rows_rejected", "created_at")
    list_filter = ("status", "is_current", "dataset")
    exclude = ("errors",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
