from django.contrib.admin.apps import AdminConfig


class ThinkFamilyAdminConfig(AdminConfig):
    """``django.contrib.admin`` with ``thinkfamily.admin.ThinkFamilyAdminSite`` as ``admin.site``
    (second factor required, every page audited). Kept apart from that module, which
    imports models and so cannot be imported while ``INSTALLED_APPS`` is loading."""

    default_site = "thinkfamily.admin.ThinkFamilyAdminSite"
