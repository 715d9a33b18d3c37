"""Primary navigation: only the pages the role in use has, and everyone's own access page."""

from django import template
from django.urls import NoReverseMatch, reverse

from apps.accounts import access

register = template.Library()

NAV = (
    (access.CASE_SEARCH, "caseview:search", "Search"),
    (access.CASEWORK, "casework:my_families", "My families"),
    (access.CASE_TRIAGE, "casework:eligible", "Eligible families"),
    (access.CASE_TRIAGE, "casework:team_cases", "Team cases"),
    (access.ACCESS_MANAGE, "accounts:custodian", "Access"),
    (access.IMPORTS_MANAGE, "sources:batches", "Imports"),
    (access.MATCHING_REVIEW, "matching:review_queue", "Clerical review"),
    (access.MATCHING_REVIEW, "gazetteer:queue", "Addresses"),
    (access.AUDIT_REVIEW, "audit:events", "Audit"),
    (access.INSIGHTS_VIEW, "indicators:insights", "Insights"),
    (access.CASE_CLAIMS, "casework:claims", "Results claims"),
    (access.CASE_CLAIMS, "casework:quarterly_return", "Quarterly return"),
    (access.CASE_TRIAGE, "casework:overrides", "Outcome overrides"),
    (access.CASE_CLAIMS, "casework:frameworks", "Frameworks"),
    (access.CASE_MARKERS, "casework:markers", "Marker requests"),
)


@register.simple_tag
def nav_items(request):
    user_access = access.access_for(request.user, request)
    items = []
    for capability, url_name, label in NAV:
        if not user_access.can(capability):
            continue
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"url": url, "label": label, "current": request.path.startswith(url)})
    own = reverse("accounts:my_access")  # every signed-in user: ask for a role, see one's grants
    items.append({"url": own, "label": "Your access", "current": request.path == own})
    return items
