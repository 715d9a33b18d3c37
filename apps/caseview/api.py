"""JSON API over the same selectors as the pages: same visibility rule, same section filter, same audit."""

from __future__ import annotations

from datetime import date

from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from apps.accounts import access as acl
from apps.accounts.purpose import purpose_from, purpose_in_session, purpose_remember
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record

from . import selectors
from .query import parse_query
from .search import person_search


class AddressSerializer(serializers.Serializer):
    one_line = serializers.CharField()
    postcode = serializers.CharField()
    area = serializers.CharField()


class PersonSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    forename = serializers.CharField()
    surname = serializers.CharField()
    date_of_birth = serializers.DateField()
    sex = serializers.CharField()
    current_address = AddressSerializer(allow_null=True)


class IndicatorSerializer(serializers.Serializer):
    code = serializers.CharField(source="definition.code")
    name = serializers.CharField(source="definition.name")
    category = serializers.CharField(source="definition.category.code")
    indicator_date = serializers.DateField()
    value = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
    notes = serializers.CharField()


def _search_hit(hit) -> dict:
    return {
        **PersonSummarySerializer(hit.person).data,
        "score": hit.score,
        "badges": hit.badges,
        "family": hit.family.reference if hit.family else None,
    }


@acl.require_capability(acl.CASE_SEARCH)
@api_view(["GET"])
def search(request):
    purpose, error = purpose_from(request.query_params, request.viewer.access)
    if error:
        return Response({"error": error}, status=400)
    query = parse_query(request.query_params.get("q", ""))
    if query.is_empty:
        return Response({"error": "Give q: a name, date of birth, postcode, address or reference."}, status=400)
    try:
        page = int(request.query_params.get("page", "1"))
    except ValueError:
        page = 1
    result = person_search(viewer=request.viewer, query=query, page=page)
    audit_record(action=AuditEvent.Action.SEARCH, request=request, subject_type="search", record_ids=result.person_ids,
                 purpose=purpose, result_count=result.total,
                 details={"terms": query.raw, "understood": query.describe(), "api": True, "page": result.page})
    purpose_remember(request, purpose)
    return Response({"count": result.total, "page": result.page, "pages": result.pages,
                     "results": [_search_hit(hit) for hit in result.hits]})


@acl.require_capability(acl.CASE_VIEW)
@api_view(["GET"])
def person(request, pk: int):
    detail = selectors.person_detail(viewer=request.viewer, pk=pk)
    audit_record(action=AuditEvent.Action.VIEW_PERSON, request=request, subject_type="person", subject_id=pk,
                 purpose=purpose_in_session(request), details={"api": True})
    indicators = [ind for _, rows in detail.indicators_by_category for ind in rows] + detail.risk_scores
    return Response({
        **PersonSummarySerializer(detail.person).data,
        "age": detail.person.age_on(date.today()),
        "badges": detail.badges,
        "indicators": IndicatorSerializer(indicators, many=True).data,
        "families": [{"id": m.family_id, "reference": m.family.reference, "role": m.role} for m in detail.memberships],
    })


@acl.require_capability(acl.CASE_VIEW)
@api_view(["GET"])
def family(request, pk: int):
    detail = selectors.family_detail(viewer=request.viewer, pk=pk)
    audit_record(action=AuditEvent.Action.VIEW_FAMILY, request=request, subject_type="family", subject_id=pk,
                 record_ids=[m.membership.person_id for m in detail.members], purpose=purpose_in_session(request),
                 details={"api": True})
    return Response({
        "id": detail.family.pk,
        "reference": detail.family.reference,
        "lead_professional": detail.lead_professional or None,
        "badges": detail.badges,
        "headline_problems_met": [p.code for p in detail.met_problems],
        "members": [
            {**PersonSummarySerializer(m.membership.person).data, "role": m.membership.role, "badges": m.badges}
            for m in detail.members
        ],
    })
