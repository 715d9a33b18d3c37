"""Every URL in the URL configuration, requested as every role, no role and anonymous.

The patterns are walked from ``django.urls.get_resolver()``, so a new page is
in this test the moment it is routed. Each view declares what it needs with
``apps.accounts.access.require_capability`` (``required_capability``) or
``require_signed_in`` (``None``); a pattern with neither must be in ``PUBLIC``,
and a pattern whose URL arguments this test cannot fill fails (add it to
``URL_KWARGS``): nothing is skipped silently.

Allowed: any response but a 404, a redirect to sign in, or a server error
(a 405 to a GET on a POST-only page counts as allowed: the page is not posted
to as an allowed role, since that would act). Denied: 404 when signed in, a
redirect to sign in when anonymous, whether by GET or, for a POST-only page,
by POST. A page that is all one section (``SECTION_PAGES``) is also denied to
roles that do not see that section. Django's admin has its own staff check:
every non-staff user is sent to its login.

The second part checks that a section a role may not see leaves no trace in
any response body for that role.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apps.accounts.access import ALL_CAPABILITIES, access_for
from apps.accounts.models import AccessGrant, Role
from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.people.models import Family, FamilyMembership, Person
from tests import factories
from tests.casework.conftest import case_led_by_key_worker
from tests.conftest import ROLE_SLUGS

# Pages without required_capability: open to anyone (sign in and out, the load balancer's probe).
PUBLIC = {"accounts:login", "accounts:logout", "healthz"}
ADMIN_NAMESPACE = "admin"
# Pages that show nothing but one section: a 404 for roles that do not see it.
SECTION_PAGES = {"caseview:person_school": "school"}

HEALTH_NOTES = "Attends the Southmead memory clinic fortnightly"


def url_patterns(resolver=None, prefix="", namespace=""):
    """Yield ``(name, route, pattern)`` for every pattern, recursively."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_patterns(pattern, prefix + str(pattern.pattern), inner)
        else:
            assert isinstance(pattern, URLPattern)
            yield f"{namespace}{pattern.name}", prefix + str(pattern.pattern), pattern


def _alert(db_objects):
    from apps.audit.models import Alert

    now = timezone.now()
    return Alert.objects.create(kind=Alert.Kind.BREAK_GLASS, dedupe_key="matrix-test", raised_at=now,
                                occurred_at=now, summary="Matrix test alert")


def _batch(db_objects):
    from apps.sources.models import Dataset, ImportBatch

    return ImportBatch.objects.create(dataset=Dataset.objects.order_by("code").first(), filename="matrix.csv",
                                      checksum="0" * 64)


def _match_run(db_objects):
    from apps.matching.models import MatchRun

    return MatchRun.objects.create(match_threshold=0.9, review_threshold=0.5)


def _clerical_pair(db_objects):
    from apps.matching.models import ClericalPair
    from apps.sources.models import SourceRecord

    batch = _batch(db_objects)
    low, high = (SourceRecord.objects.create(dataset=batch.dataset, batch=batch, source_key=f"K{n}", row_number=n)
                 for n in (1, 2))
    return ClericalPair.objects.create(run=_match_run(db_objects), record_low=low, record_high=high,
                                       match_probability=0.7)


def _quarantined_row(db_objects):
    from apps.sources.models import QuarantinedRow

    batch = _batch(db_objects)
    return QuarantinedRow.objects.create(batch=batch, dataset=batch.dataset, row_number=1, raw_line=b"Q1,,Wraxall\r\n",
                                         columns=["source_key", "forename", "surname"],
                                         problems=[{"column": "sex", "reason": "unknown code"}])


def _address_resolution(db_objects):
    from apps.gazetteer.models import AddressResolution
    from apps.sources.models import Dataset, ImportBatch, SourceRecord

    batch = ImportBatch.objects.create(dataset=Dataset.objects.get(code="bcc-council-tax"), filename="address.csv",
                                       checksum="2" * 64)
    SourceRecord.objects.create(dataset=batch.dataset, batch=batch, source_key="A1", row_number=1,
                                address_key="15|||MURPHY AVENUE|BS5 6AB")
    return AddressResolution.objects.create(address_key="15|||MURPHY AVENUE|BS5 6AB", address_line="15 Murphy Avenue",
                                            postcode="BS5 6AB", uprn="110", score=0.6, method="fuzzy", status="review")


def _claim_case(db_objects):
    """A case of the family past its outcome check (the programme manager's), with one need not met."""
    if "claim_case" not in db_objects:
        from tests.casework.claim_world import checked_case

        db_objects["claim_case"] = checked_case(db_objects["family"], by=db_objects["users"]["programme-manager"],
                                                outcomes=("met", "not_met"))
    return db_objects["claim_case"]


def _engaged_case(db_objects):
    """The world's open case, allocated to the key worker (notifications and marker requests are about it)."""
    return db_objects["case"]


def _notification(db_objects):
    from apps.casework.models import Notification

    return Notification.objects.create(
        case=_engaged_case(db_objects), recipient=db_objects["users"]["key-worker"], kind=Notification.Kind.OTHER,
        person=db_objects["person"], record_type=Notification.RecordType.INDICATOR, record_id=1,
        definition=db_objects["health_indicator"], section_code="health", fact_key="matrix:2026-01-05",
        occurred_on=date(2026, 1, 5))


def _marker_request(db_objects):
    from apps.casework.models import MarkerRequest

    return MarkerRequest.objects.create(case=_engaged_case(db_objects), family=db_objects["family"],
                                        kind=MarkerRequest.Kind.ADD, basis=MarkerRequest.Basis.STATUTORY,
                                        reason="Case allocated", created_at=timezone.now())


# URL name -> kwargs, from the objects the ``objects`` fixture makes.
URL_KWARGS = {
    "people:break_glass": lambda o: {"kind": "person", "pk": o["restricted_person"].pk},
    "accounts:request_decide": lambda o: {"pk": o["waiting_request"].pk},
    "accounts:grant_revoke": lambda o: {"pk": o["active_grant"].pk},
    "accounts:role_otp": lambda o: {"slug": "key-worker"},
    "people:restriction": lambda o: {"kind": "person", "pk": o["person"].pk},
    "caseview:person": lambda o: {"pk": o["person"].pk},
    "caseview:person_school": lambda o: {"pk": o["person"].pk},
    "caseview:person_addresses": lambda o: {"pk": o["person"].pk},
    "caseview:family": lambda o: {"pk": o["family"].pk},
    "caseview:family_addresses": lambda o: {"pk": o["family"].pk},
    "caseview:family_chronology": lambda o: {"pk": o["family"].pk},
    "caseview_api:person": lambda o: {"pk": o["person"].pk},
    "caseview_api:family": lambda o: {"pk": o["family"].pk},
    "sources:batch": lambda o: {"pk": _batch(o).pk},
    "sources:batch_progress": lambda o: {"pk": _batch(o).pk},
    "sources:batch_make_current": lambda o: {"pk": _batch(o).pk},
    "sources:dataset": lambda o: {"code": "asc-offenders"},
    "sources:dataset_edit": lambda o: {"code": "asc-offenders"},
    "sources:dataset_descriptor": lambda o: {"code": "asc-offenders"},
    "sources:quarantined_row": lambda o: {"pk": _quarantined_row(o).pk},
    "matching:run": lambda o: {"pk": _match_run(o).pk},
    "matching:thresholds_set": lambda o: {"pk": _match_run(o).pk},
    "matching:review_pair": lambda o: {"pk": _clerical_pair(o).pk},
    "gazetteer:resolution": lambda o: {"pk": _address_resolution(o).pk},
    "audit:subject": lambda o: {"subject_type": "person", "subject_id": str(o["person"].pk)},
    "audit:user_activity": lambda o: {"user_id": o["users"]["key-worker"].pk},
    "audit:alert": lambda o: {"alert_id": _alert(o).pk},
    "casework:case_progress": lambda o: {"pk": o["case"].pk},
    "casework:case_pack": lambda o: {"pk": o["case"].pk},
    "casework:case_pack_pdf": lambda o: {"pk": o["case"].pk},
    # the assessment and outcome plan of the world's case
    **{name: lambda o: {"pk": o["case"].pk} for name in (
        "casework:case_plan", "casework:plan_need_confirm", "casework:plan_need_remove", "casework:plan_outcome_record",
        "casework:plan_assessment_complete", "casework:plan_agree")},
    "casework:claim_evidence": lambda o: {"pk": _claim_case(o).pk},
    "casework:claim_submit": lambda o: {"pk": _claim_case(o).pk},
    "casework:need_override": lambda o: {"pk": _claim_case(o).needs.get(outcome_status="not_met").pk},
    "casework:framework": lambda o: {"code": "2022-national"},
    "casework:framework_activate": lambda o: {"code": "2022-national"},
    "casework:notification_read": lambda o: {"pk": _notification(o).pk},
    "casework:marker_acknowledge": lambda o: {"pk": _marker_request(o).pk},
    "casework:case_open": lambda o: {"family_pk": o["family"].pk},
    "casework:case": lambda o: {"pk": o["case"].pk},
    "casework:case_triage": lambda o: {"pk": o["case"].pk},
    "casework:case_consent": lambda o: {"pk": o["case"].pk},
    "casework:case_allocate": lambda o: {"pk": o["case"].pk},
    "casework:case_close": lambda o: {"pk": o["case"].pk},
    "casework:case_team": lambda o: {"pk": o["case"].pk},
}
# Case pages (a case in the URL) are also per case: a role with the capability gets a 404 unless it has a part
# in the world's case (apps.casework.visibility). The world's case is open and led by the key-worker user in a
# team the early-help-manager user manages; so the social worker (casework.work, not its lead), the programme
# manager (casework.claims: closed cases only) and the other case.view roles are denied it.
CASE_PARTIES = {"key-worker", "early-help-manager"}
CASE_URL_PREFIXES = ("casework:case", "casework:plan_")  # a case page, or a write on one
CASE_LIST_URLS = {"casework:case_open"}  # a family, not a case, in the URL
ADMIN_URLS_CHECKED = ("admin:index",)  # every admin view sits behind the same admin_view staff check


@pytest.fixture
def objects(users):
    from apps.indicators.models import IndicatorDefinition, PersonIndicator

    person = Person.objects.create(forename="Wendeline", surname="Harptree", date_of_birth=date(2012, 5, 17))
    family = Family.objects.create(reference="F009001")
    FamilyMembership.objects.create(family=family, person=person, role=FamilyMembership.Role.CHILD)
    factories.source_record(person, "bcc-housing-tenancies")  # known to a dataset every case role sees
    health = IndicatorDefinition.objects.filter(category__section__code="health").order_by("code").first()
    PersonIndicator.objects.create(person=person, definition=health, indicator_date=date(2026, 1, 5), notes=HEALTH_NOTES)
    audit_record(action=AuditEvent.Action.LOGIN, user=users["key-worker"])  # someone for audit:user_activity
    restricted = Person.objects.create(forename="Ysolde", surname="Wraxall", is_restricted=True,
                                       restriction_reason="Member of staff")
    applicant = get_user_model().objects.create_user(username="applicant", password="Applicant-Pass-1234")
    waiting = AccessGrant.objects.create(user=applicant, role=Role.objects.get(slug="analyst"),
                                         justification="Matrix", line_manager="Matrix")
    return {
        "users": users, "person": person, "family": family, "health_indicator": health, "case": case_led_by_key_worker(users, family),
        "restricted_person": restricted, "waiting_request": waiting,
        "active_grant": AccessGrant.objects.active().get(user=users["analyst"]),
    }


def routed_urls(objects):
    """(name, url, required capability or None, public?) for every pattern; fails on one it cannot fill."""
    unfillable, undeclared, found = [], [], []
    for name, route, pattern in url_patterns():
        if name.startswith(f"{ADMIN_NAMESPACE}:"):
            continue
        callback = pattern.callback
        if name not in PUBLIC and not hasattr(callback, "required_capability"):
            undeclared.append(f"{name} ({route})")
            continue
        if pattern.pattern.converters:
            if name not in URL_KWARGS:
                unfillable.append(f"{name} ({route})")
                continue
            url = reverse(name, kwargs=URL_KWARGS[name](objects))
        else:
            url = reverse(name)
        found.append((name, url, getattr(callback, "required_capability", None), name in PUBLIC))
    assert not undeclared, f"Views without require_capability/require_signed_in and not PUBLIC: {undeclared}"
    assert not unfillable, f"Add URL kwargs to URL_KWARGS for: {unfillable}"
    return found


def allowed(users, role_slug, name, capability) -> bool:
    if capability is None:
        return True
    user_access = access_for(users[role_slug])
    if name.startswith(CASE_URL_PREFIXES) and name not in CASE_LIST_URLS and role_slug not in CASE_PARTIES:
        return False
    return user_access.can(capability) and (name not in SECTION_PAGES or user_access.sees(SECTION_PAGES[name]))


def request_denied_page(client, url):
    """GET, or POST when the page only takes POST (a denied request never reaches the view)."""
    response = client.get(url)
    return client.post(url) if response.status_code == 405 else response


def test_every_capability_named_by_a_view_is_known(objects):
    for name, _url, capability, _public in routed_urls(objects):
        assert capability is None or capability in ALL_CAPABILITIES, f"{name}: unknown capability {capability!r}"


@pytest.mark.parametrize("role_slug", [*ROLE_SLUGS, None])
def test_each_role_reaches_exactly_the_pages_its_capabilities_allow(objects, users, role_slug):
    client = Client()
    client.force_login(users[role_slug], backend="django.contrib.auth.backends.ModelBackend")
    login_url = reverse("accounts:login")
    wrong = []
    for name, url, capability, public in routed_urls(objects):
        if public:
            continue
        if allowed(users, role_slug, name, capability):
            response = client.get(url)
            status = response.status_code
            if status >= 500 or status == 404 or (status == 302 and response["Location"].startswith(login_url)):
                wrong.append(f"{name} {url}: needs {capability!r}, which {role_slug} has, but got {status}")
        elif (status := request_denied_page(client, url).status_code) != 404:
            wrong.append(f"{name} {url}: needs {capability!r}, which {role_slug} lacks, but got {status} (want 404)")
    admin = client.get(reverse("admin:index"))
    if admin.status_code != 302 or not admin["Location"].startswith(reverse("admin:login")):
        wrong.append(f"admin:index: a non-staff user got {admin.status_code}")
    assert not wrong, "\n".join(wrong)


def test_anonymous_users_are_sent_to_sign_in_everywhere_but_public_pages(objects):
    client = Client()
    login_url = reverse("accounts:login")
    wrong = []
    for name, url, _capability, public in routed_urls(objects):
        if public:
            response = client.get(url)
            if response.status_code >= 400 and response.status_code != 405:  # logout is POST-only
                wrong.append(f"{name}: public page gave {response.status_code}")
            continue
        response = request_denied_page(client, url)
        if response.status_code != 302 or not response["Location"].startswith(login_url):
            wrong.append(f"{name} {url}: anonymous got {response.status_code}, want a redirect to sign in")
    for name in ADMIN_URLS_CHECKED:
        assert client.get(reverse(name))["Location"].startswith(reverse("admin:login"))
    assert not wrong, "\n".join(wrong)


def test_no_role_sees_a_restricted_record_without_being_named_or_breaking_glass(objects, users):
    restricted = objects["restricted_person"]
    for role_slug in (*ROLE_SLUGS, None):
        client = Client()
        client.force_login(users[role_slug], backend="django.contrib.auth.backends.ModelBackend")
        for name in ("caseview:person", "caseview_api:person"):
            response = client.get(reverse(name, kwargs={"pk": restricted.pk}))
            assert response.status_code in (302, 404), (role_slug, name, response.status_code)
            assert b"Wraxall" not in response.content
            if response.status_code == 302:  # only roles that may break the glass are offered it
                assert response["Location"] == reverse("people:break_glass", kwargs={"kind": "person", "pk": restricted.pk})
                assert access_for(users[role_slug]).can("case.break_glass")


def test_a_hidden_section_leaves_no_trace_in_any_response(objects, users):
    """Police safeguarding does not see health; the key worker does."""
    indicator = objects["health_indicator"]
    assert not access_for(users["police-safeguarding"]).sees("health")
    assert access_for(users["key-worker"]).sees("health")

    person_page = reverse("caseview:person", kwargs={"pk": objects["person"].pk})
    key_worker = Client()
    key_worker.force_login(users["key-worker"], backend="django.contrib.auth.backends.ModelBackend")
    page = key_worker.get(person_page).content.decode()
    assert HEALTH_NOTES in page and indicator.name in page

    police = Client()
    police.force_login(users["police-safeguarding"], backend="django.contrib.auth.backends.ModelBackend")
    assert "Harptree" in police.get(person_page).content.decode()  # the person is visible, the section is not
    leaks = []
    for name, url, _capability, _public in routed_urls(objects):
        body = police.get(url).content.decode(errors="replace")
        for secret in (HEALTH_NOTES, indicator.name):
            if secret in body:
                leaks.append(f"{name} {url}: shows {secret!r}")
    search = police.get(reverse("caseview:search"), {"q": "Harptree", "purpose": "Safeguarding enquiry"})
    if indicator.name in search.content.decode() or HEALTH_NOTES in search.content.decode():
        leaks.append("caseview:search results show the health indicator")
    assert not leaks, "\n".join(leaks)


def test_an_expired_grant_denies_what_it_allowed(objects, users):
    client = Client()
    client.force_login(users["key-worker"], backend="django.contrib.auth.backends.ModelBackend")
    person_page = reverse("caseview:person", kwargs={"pk": objects["person"].pk})
    assert client.get(person_page).status_code == 200
    AccessGrant.objects.filter(user=users["key-worker"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(person_page).status_code == 404
    assert client.get(reverse("caseview:search")).status_code == 404
