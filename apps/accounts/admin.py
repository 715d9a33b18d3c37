"""The admin for accounts: roles and sections (reference data), and authenticator apps, never their secret.

django-otp's own ``TOTPDeviceAdmin`` shows the key when a device is added and has
pages for its QR code. Here a device's key is neither shown nor editable, and no
device is added in the admin: users set up their own on the second-factor page, so
the key is seen once, by its owner. An administrator may look at a device, clear
its failure throttle or delete it (a lost phone: the user sets up a new one at the
next sign-in).
"""

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Role, Section

# The fields the admin may show: everything on the model except ``key`` (the secret).
DEVICE_FIELDS = (
    "user", "name", "confirmed", "created_at", "last_used_at", "step", "t0", "digits", "tolerance", "drift",
    "last_t", "throttling_failure_timestamp", "throttling_failure_count",
)

admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username",)
    fields = DEVICE_FIELDS
    readonly_fields = tuple(f for f in DEVICE_FIELDS if f not in {"throttling_failure_timestamp", "throttling_failure_count"})

    def has_add_permission(self, request):
        return False


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    """The sections (indicator categories and datasets) roles are given; from fixtures/reference.json, editable."""

    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    """Roles: their capabilities and sections. Edits here are kept by later migrations (docs/access.md); who
    holds a role is decided only by the custodian's grants, never here."""

    list_display = ("name", "slug", "is_case_role", "requires_otp", "purpose_requires_reference")
    filter_horizontal = ("sections",)
    search_fields = ("slug", "name")
