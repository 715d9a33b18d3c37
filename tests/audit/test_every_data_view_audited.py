"""Every page that shows personal or staff data records exactly one audit event, with the right fields.

Generated from the URL configuration. Every routed URL (outside Django's admin, whose every page
``tests/accounts/test_admin.py`` checks from the admin's own registry) is one of two things:

* a data page: requested once (GET) as a role that may see it, it must leave exactly one new
  ``AuditEvent`` with the expected action, that user and role, and the record it shows (or, for a
  list, search or query, its result count, zero included). No page records more than one today;
* in ``SHOWS_NO_PERSONAL_DATA``, with the reason it shows neither personal nor staff data (a form,
  figures, the user's own account, or a POST-only action that redirects).

So a newly routed page is a data page until someone exempts it with a reason: unaudited, it fails.
Pages that need ``case.view`` or ``case.search`` cannot be exempted. Case pages (a person or family
in the URL, or a search) are understood from their route; any other data page names what it
records in ``EXPECTED``. A page this test cannot fill or understand FAILS with instructions; nothing
is skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apps.accounts.access import CASE_SEARCH, CASE_VIEW, access_for
from apps.accounts.models import AccessGrant, Role
from apps.accounts.purpose import PURPOSES
from apps.audit.models import Alert, AuditEvent
from apps.audit.services import audit_record
from apps.people.models import Family, FamilyMembership, Person
from tests.casework.conftest import case_led_by_key_worker
from tests.conftest import ROLE_SLUGS

ADMIN_NAMESPACE = "admin"
ALWAYS_DATA = {CASE_VIEW, CASE_SEARCH}  # capabilities whose every page shows people or families

# URL name -> why the page shows no personal or staff data. Only a page that shows none goes here.
SHOWS_NO_PERSONAL_DATA = {
    "casework:plan_need_confirm": "POST only: the lead confirms a need (recorded as case_change) and is redirected",
    "casework:plan_need_remove": "POST only: the lead removes a need (recorded as case_change) and is redirected",
    "casework:plan_outcome_record": "POST only: the lead records a practitioner outcome (recorded as case_change) "
                                    "and is redirected",
    "casework:plan_assessment_complete": "POST only: completes the assessment (recorded as case_change) and redirects",
    "casework:plan_agree": "POST only: agrees the plan (recorded as case_change) and redirects",
    "healthz": "the load balancer's probe: 'ok'",
    "home": "sends the user to their role's first page, or lists their own roles",
    "accounts:login": "the sign-in form; signing in, failing and lockout are recorded by apps/audit/signals.py",
    "accounts:logout": "POST only: signs out (recorded as logout by apps/audit/signals.py) and redirects",
    "accounts:switch_role": "POST only: changes the user's own role in use and redirects",
    "accounts:my_access": "the user's own requests and grants, nothing about anyone else; a request is recorded "
                          "as access_request",
    "accounts:otp_setup": "the user's own authenticator key, for them to scan",
    "accounts:otp_verify": "a form for the user's own code",
    "accounts:role_matrix": "roles, what each may do and which sections it sees: no person and no member of staff",
    "accounts:role_otp": "POST only: sets whether a role needs a second factor (recorded as restriction_change) "
                         "and redirects",
    "people:break_glass": "a reason form, the same for any id, so it confirms no record exists; the reason given "
                            "is recorded as break_glass",
    "sources:batches": "import batches: dataset, file name, counts and status; a member of staff only as the "
                       "batch's uploader",
    "sources:upload": "the upload form; the load is recorded as import",
    "sources:batch": "one file's counts, missing-identifier rates and problems by row, column and reason "
                     "(validation never quotes a value); a member of staff only as its uploader",
    "sources:batch_progress": "the rows validated and loaded so far (polled while a load runs)",
    "sources:batch_make_current": "POST only: loads a kept file again (recorded as import) and redirects",
    "sources:quality": "per dataset: age, row counts and missing-identifier rates; quarantined rows by dataset, "
                       "batch, row number and problems (column and reason, never a value: the row's own page, "
                       "which shows it, is a data page)",
    "sources:datasets": "the datasets' definitions: codes, names, providers, versions",
    "sources:dataset": "one dataset's definition and its versions; a member of staff only as a version's author",
    "sources:dataset_new": "the form to define a dataset; a definition saved is recorded as dataset_change",
    "sources:dataset_edit": "the form to change a definition; a change saved is recorded as dataset_change",
    "sources:dataset_upload": "the descriptor upload form; a definition saved is recorded as dataset_change",
    "matching:runs": "match runs: kind, status, times and counts",
    "matching:run_start": "POST only: queues a full match run and redirects",
    "matching:run": "one run's counts, thresholds, timings, model parameters and its precision and recall against "
                    "reviewers' labels (counts only); the threshold history names the staff who set them",
    "matching:thresholds_set": "POST only: records the next runs' thresholds (recorded as match_thresholds) and "
                               "redirects",
    "matching:review_queue": "pair numbers, the two records' datasets and the score: no value of either record "
                             "(the pair page, which shows them, is a data page)",
    "audit:alerts_compute": "POST only: runs the alert scan (recorded as audit_query) and redirects",
    "gazetteer:gazetteer": "gazetteer versions: file name, counts and dates (properties, not people); a member of "
                           "staff only as the importer; an import is recorded as import",
    "casework:claim_submit": "POST only: submits a results claim (recorded as claim and case_change) and redirects",
    "casework:need_override": "POST only: a manager's override of a need with its reason (recorded as claim) and "
                              "redirects",
    "casework:case_open": "POST only: opens a case for a family (recorded as case_change) and redirects",
    "indicators:insights": "counts of families by area and badge, cells under the small-cell limit suppressed: "
                           "never an individual",
    "casework:frameworks": "the programme frameworks (reference data): names, eligibility rules, counts of headlines "
                           "and needs; no person, family or member of staff",
    "casework:framework": "one framework's headlines, needs, indicator names and outcome measures (reference data): "
                          "no person, family or member of staff",
    "casework:framework_activate": "POST only: makes a framework the active one (recorded as framework_change), "
                                   "queues a refresh and redirects",
    "casework:notification_read": "POST only: marks one of the user's own notifications read (recorded as "
                                  "case_change) and redirects",
    "casework:markers_export": "POST only: the police partner's CSV of pending marker requests, recorded as export "
                               "(tests/casework/test_markers.py checks it)",
    "casework:marker_acknowledge": "POST only: records the police reference of a marker request (recorded as "
                                   "marker_change) and redirects",
}


@dataclass(frozen=True)
class Expect:
    """What one request to a data page must record."""

    action: str
    subject_type: str
    subject_id: str = ""  # "" for a list, search or query: then its result count must be recorded


# Query strings for pages that only read data when asked (searches).
QUERY_FOR: dict[str, Callable[[dict], dict]] = {
    "caseview:search": lambda o: {"q": o["person"].surname, "purpose": PURPOSES[0]},
    "caseview_api:search": lambda o: {"q": o["person"].surname, "purpose": PURPOSES[0]},
}
# URL arguments of data pages whose route has no person or family in it.
URL_KWARGS: dict[str, Callable[[dict], dict]] = {
    "accounts:request_decide": lambda o: {"pk": o["waiting_request"].pk},
    "accounts:grant_revoke": lambda o: {"pk": o["active_grant"].pk},
    "people:restriction": lambda o: {"kind": "person", "pk": o["person"].pk},
    "audit:subject": lambda o: {"subject_type": "person", "subject_id": str(o["person"].pk)},
    "audit:user_activity": lambda o: {"user_id": o["users"]["key-worker"].pk},
    "audit:alert": lambda o: {"alert_id": o["alert"].pk},
    "matching:review_pair": lambda o: {"pk": o["clerical_pair"].pk},
    "sources:dataset_descriptor": lambda o: {"code": "asc-offenders"},
    "sources:quarantined_row": lambda o: {"pk": o["quarantined_row"].pk},
    "gazetteer:resolution": lambda o: {"pk": o["address_resolution"].pk},
    "casework:case_progress": lambda o: {"pk": o["case"].pk},
    "casework:case_pack": lambda o: {"pk": o["case"].pk},
    "casework:case_pack_pdf": lambda o: {"pk": o["case"].pk},
    "casework:case_plan": lambda o: {"pk": o["case"].pk},
    "casework:claim_evidence": lambda o: {"pk": o["claim_case"].pk},
    "casework:case": lambda o: {"pk": o["case"].pk},
    "casework:case_triage": lambda o: {"pk": o["case"].pk},
    "casework:case_consent": lambda o: {"pk": o["case"].pk},
    "casework:case_allocate": lambda o: {"pk": o["case"].pk},
    "casework:case_close": lambda o: {"pk": o["case"].pk},
    "casework:case_team": lambda o: {"pk": o["case"].pk},
    "casework:case_open": lambda o: {"family_pk": o["family"].pk},
}
# What data pages other than case pages record.
EXPECTED: dict[str, Callable[[dict], Expect]] = {
    "accounts:custodian": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "grant"),
    "accounts:request_decide": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "user", str(o["applicant"].pk)),
    "accounts:grant_revoke": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "user",
                                              str(o["active_grant"].user_id)),
    "people:restrictions": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "restriction"),
    "people:restriction": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "person", str(o["person"].pk)),
    "audit:events": lambda o: Expect(AuditEvent.Action.AUDIT_QUERY, "audit"),
    "audit:export_csv": lambda o: Expect(AuditEvent.Action.AUDIT_EXPORT, "audit"),
    "sources:dataset_descriptor": lambda o: Expect(AuditEvent.Action.EXPORT, "dataset", "asc-offenders"),
    "audit:subject": lambda o: Expect(AuditEvent.Action.AUDIT_QUERY, "audit"),
    "audit:user_activity": lambda o: Expect(AuditEvent.Action.AUDIT_QUERY, "user",
                                            str(o["users"]["key-worker"].pk)),
    "audit:alerts": lambda o: Expect(AuditEvent.Action.AUDIT_QUERY, "audit"),
    "audit:alert": lambda o: Expect(AuditEvent.Action.AUDIT_QUERY, "alert", str(o["alert"].pk)),
    "gazetteer:queue": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "address_queue"),
    "gazetteer:resolution": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "address", str(o["address_resolution"].pk)),
    "matching:review_pair": lambda o: Expect(
        AuditEvent.Action.VIEW_RECORD, "source_record_pair",
        f"{o['clerical_pair'].record_low_id}-{o['clerical_pair'].record_high_id}"),
    "sources:quarantined_row": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "quarantined_row",
                                                str(o["quarantined_row"].pk)),
    "casework:case_progress": lambda o: Expect(AuditEvent.Action.VIEW_CASE, "case", str(o["case"].pk)),
    "casework:case_pack": lambda o: Expect(AuditEvent.Action.EXPORT, "case", str(o["case"].pk)),
    "casework:case_pack_pdf": lambda o: Expect(AuditEvent.Action.EXPORT, "case", str(o["case"].pk)),
    "casework:case_plan": lambda o: Expect(AuditEvent.Action.VIEW_CASE, "case", str(o["case"].pk)),
    # results claims: the list and the return record their result count; the pack is a view of the case
    "casework:claims": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "claims"),
    "casework:claims_csv": lambda o: Expect(AuditEvent.Action.EXPORT, "claims"),
    "casework:claim_evidence": lambda o: Expect(AuditEvent.Action.VIEW_CASE, "case", str(o["claim_case"].pk)),
    "casework:quarterly_return": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "quarterly_return"),
    "casework:quarterly_return_csv": lambda o: Expect(AuditEvent.Action.EXPORT, "quarterly_return"),
    "casework:overrides": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "overrides"),
    "casework:notifications": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "notifications"),
    "casework:markers": lambda o: Expect(AuditEvent.Action.VIEW_RECORD, "marker_requests"),
    "casework:eligible": lambda o: Expect(AuditEvent.Action.SEARCH, "eligible_families"),
    "casework:my_families": lambda o: Expect(AuditEvent.Action.VIEW_CASE, "caseload"),
    "casework:team_cases": lambda o: Expect(AuditEvent.Action.VIEW_CASE, "team_cases"),
    **{name: (lambda o: Expect(AuditEvent.Action.VIEW_CASE, "case", str(o["case"].pk))) for name in (
        "casework:case", "casework:case_triage", "casework:case_consent", "casework:case_allocate",
        "casework:case_close", "casework:case_team")},
}


@dataclass(frozen=True)
class Page:
    name: str  # namespaced URL name, e.g. caseview:person
    route: str  # full route, e.g. people/person/<int:pk>/
    kwargs: tuple[str, ...]
    capability: str | None  # what the view requires; None: signed in (or public)

    def __str__(self) -> str:
        return self.name or self.route


def routed_pages(urlconf=None) -> list[Page]:
    """Every URL pattern (recursively) outside the admin."""
    found = []

    def walk(patterns, prefix: str, namespace: str):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == ADMIN_NAMESPACE:
                    continue
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                found.append(Page(
                    name=f"{namespace}{entry.name}" if entry.name else "", route=prefix + str(entry.pattern),
                    kwargs=tuple(entry.pattern.converters),
                    capability=getattr(entry.callback, "required_capability", None),
                ))

    walk(get_resolver(urlconf).url_patterns, "", "")
    return found


def data_pages(urlconf=None, *, exempt=None) -> list[Page]:
    """The routed pages that show personal or staff data: all but the exempted."""
    exempt = SHOWS_NO_PERSONAL_DATA if exempt is None else exempt
    return [page for page in routed_pages(urlconf) if page.name not in exempt]


def wrongly_exempted(urlconf=None, *, exempt=None) -> list[str]:
    """Exemptions of a page that needs a case capability (always data), or of a name no longer routed."""
    exempt = SHOWS_NO_PERSONAL_DATA if exempt is None else exempt
    pages = {page.name: page for page in routed_pages(urlconf)}
    wrong = [f"{name} is exempted but needs {pages[name].capability}: a case page always shows personal data"
             for name in exempt if name in pages and pages[name].capability in ALWAYS_DATA]
    wrong += [f"{name} is exempted but no longer routed: remove it from SHOWS_NO_PERSONAL_DATA"
              for name in exempt if name not in pages]
    return wrong


def subject_kind(page: Page) -> str:
    """Which case record the page is about, from its route: person, family, or none."""
    route = page.route.lower()
    if "family" in route or "families" in route:
        return "family"
    if "person" in route or "people/<" in route:
        return "person"
    return ""


def case_expectation(page: Page, objects: dict) -> Expect | None:
    """What a case page records, from its route (None: not a case page this test understands)."""
    route, kind = page.route.lower(), subject_kind(page)
    if kind:
        subject = str(objects[kind].pk)
        if "export" in route:
            return Expect(AuditEvent.Action.EXPORT, kind, subject)
        if "address" in route:
            return Expect(AuditEvent.Action.VIEW_ADDRESSES, kind, subject)
        if "school" in route or "attendance" in route:
            return Expect(AuditEvent.Action.VIEW_ATTENDANCE, kind, subject)
        return Expect(AuditEvent.Action.VIEW_FAMILY if kind == "family" else AuditEvent.Action.VIEW_PERSON, kind, subject)
    if page.name in QUERY_FOR:
        return Expect(AuditEvent.Action.SEARCH, "search")
    return None


def expectation(page: Page, objects: dict) -> Expect:
    found = EXPECTED[page.name](objects) if page.name in EXPECTED else case_expectation(page, objects)
    if found is None:
        pytest.fail(
            f"{page} ({page.route}) is routed and not in SHOWS_NO_PERSONAL_DATA, so it must record one audit event, "
            "and this test does not know which. If it shows personal or staff data, record it through "
            "apps.audit.services.audit_record and add it to EXPECTED in tests/audit/test_every_data_view_audited.py "
            "(searches: QUERY_FOR); if it shows none, add it to SHOWS_NO_PERSONAL_DATA with the reason."
        )
    return found


def fill_kwargs(page: Page, objects: dict) -> dict:
    if page.name in URL_KWARGS:
        return URL_KWARGS[page.name](objects)
    kind = subject_kind(page)
    values = {
        "person_id": objects["person"].pk, "person_pk": objects["person"].pk,
        "family_id": objects["family"].pk, "family_pk": objects["family"].pk,
    }
    if kind:
        values["pk"] = objects[kind].pk
    missing = [k for k in page.kwargs if k not in values]
    if missing:
        pytest.fail(
            f"{page} ({page.route}) shows personal or staff data but this test cannot fill its URL argument(s) "
            f"{missing}. Add it to URL_KWARGS in tests/audit/test_every_data_view_audited.py (never skip it)."
        )
    return {k: values[k] for k in page.kwargs}


def role_for(page: Page, users: dict) -> str | None:
    """The first role that may see the page (any signed-in user where it needs no capability)."""
    for slug in ROLE_SLUGS:
        if page.capability is None or access_for(users[slug]).can(page.capability):
            return slug
    pytest.fail(f"{page} needs {page.capability!r}, which no role has: no one can see it")


def check_page_records_one_event(client, users, page: Page, objects: dict) -> AuditEvent:
    """Request ``page`` once as a role that may see it; assert one new audit event with the right fields."""
    url = reverse(page.name, kwargs=fill_kwargs(page, objects))
    expect = expectation(page, objects)
    slug = role_for(page, users)
    user = users[slug]
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    params = QUERY_FOR[page.name](objects) if page.name in QUERY_FOR else None
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    response = client.get(url, params)

    assert response.status_code == 200, f"{page}: {url} answered {response.status_code} to {slug}"
    new = list(AuditEvent.objects.filter(id__gt=before))
    assert len(new) == 1, f"{page}: {url} made {len(new)} audit events ({[e.action for e in new]}), not exactly one"
    event = new[0]
    assert event.action == expect.action, f"{page}: recorded {event.action!r}, expected {expect.action!r}"
    assert (event.user_id_snapshot, event.username, event.role) == (user.pk, user.username, slug), f"{page}: wrong user"
    assert (event.subject_type, event.subject_id) == (expect.subject_type, expect.subject_id), f"{page}: wrong subject"
    if not expect.subject_id:
        assert event.result_count is not None, f"{page}: a list, search or query must record its result count"
    return event


@pytest.fixture
def objects(users):
    person = Person.objects.create(forename="Maisie", surname="Thistlewood", search_forename="MAISIE",
                                   search_surname="THISTLEWOOD", sex=Person.Sex.FEMALE)
    family = Family.objects.create(reference="F900001")
    FamilyMembership.objects.create(family=family, person=person, role=FamilyMembership.Role.CHILD)
    Person.objects.create(forename="Ysolde", surname="Wraxall", is_restricted=True, restriction_reason="Member of staff")
    applicant = get_user_model().objects.create_user(username="applicant", password="Applicant-Pass-1234")
    waiting = AccessGrant.objects.create(user=applicant, role=Role.objects.get(slug="analyst"),
                                         justification="Reporting", line_manager="A. Manager")
    audit_record(action=AuditEvent.Action.LOGIN, user=users["key-worker"])  # someone for audit:user_activity
    now = timezone.now()
    alert = Alert.objects.create(kind=Alert.Kind.BREAK_GLASS, dedupe_key="audited-pages", raised_at=now,
                                 occurred_at=now, summary="An alert to open")
    return {
        "users": users, "person": person, "family": family, "applicant": applicant, "waiting_request": waiting,
        "case": case_led_by_key_worker(users, family),
        "active_grant": AccessGrant.objects.active().get(user=users["analyst"]), "alert": alert,
        "clerical_pair": _clerical_pair(), "quarantined_row": _quarantined_row(),
        "address_resolution": _address_resolution(),
        "claim_case": _claim_case(family, users),
    }


def _claim_case(family, users):
    from tests.casework.claim_world import checked_case

    return checked_case(family, by=users["programme-manager"], outcomes=("met", "not_met"))


def _address_resolution():
    from apps.gazetteer.models import AddressResolution
    from apps.sources.models import Dataset, ImportBatch, SourceRecord

    batch = ImportBatch.objects.create(dataset=Dataset.objects.get(code="bcc-council-tax"), filename="address.csv",
                                       checksum="2" * 64)
    SourceRecord.objects.create(dataset=batch.dataset, batch=batch, source_key="A1", row_number=1,
                                address_key="15|||MURPHY AVENUE|BS5 6AB")
    return AddressResolution.objects.create(address_key="15|||MURPHY AVENUE|BS5 6AB", address_line="15 Murphy Avenue",
                                            postcode="BS5 6AB", uprn="110", score=0.6, method="fuzzy", status="review")


def _clerical_pair():
    from apps.matching.models import ClericalPair, MatchRun
    from apps.sources.models import Dataset, ImportBatch, SourceRecord

    batch = ImportBatch.objects.create(dataset=Dataset.objects.order_by("code").first(), filename="pair.csv",
                                       checksum="1" * 64)
    low, high = (SourceRecord.objects.create(dataset=batch.dataset, batch=batch, source_key=f"P{n}", row_number=n)
                 for n in (1, 2))
    run = MatchRun.objects.create(match_threshold=0.9, review_threshold=0.5)
    return ClericalPair.objects.create(run=run, record_low=low, record_high=high, match_probability=0.7)


def _quarantined_row():
    from apps.sources.models import Dataset, ImportBatch, QuarantinedRow

    batch = ImportBatch.objects.create(dataset=Dataset.objects.order_by("code").first(), filename="bad-rows.csv",
                                       checksum="2" * 64, status=ImportBatch.Status.LOADED, is_current=True)
    return QuarantinedRow.objects.create(batch=batch, dataset=batch.dataset, row_number=3,
                                         raw_line=b"Q3,Maisie,Thistlewood,1/1/1\r\n",
                                         columns=["source_key", "forename", "surname", "date_of_birth"],
                                         problems=[{"column": "date_of_birth", "reason": "not a date"}])


PAGES = data_pages()


def test_the_data_pages_are_found():
    """Case pages and API, the custodian's, the reviewer's and the clerical review's: if the walk misses them, it is broken."""
    names = {page.name for page in PAGES}
    for name in ("caseview:person", "caseview_api:search", "accounts:custodian", "people:restrictions",
                 "audit:events", "matching:review_pair", "sources:quarantined_row"):
        assert name in names, f"{name} is not found as a data page: {sorted(names)}"


def test_every_exemption_is_a_routed_page_that_needs_no_case_capability():
    assert not wrongly_exempted(), "\n".join(wrongly_exempted())


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES, ids=str)
def test_every_data_page_records_exactly_one_audit_event(client, users, objects, page):
    check_page_records_one_event(client, users, page, objects)


# --- the generator itself can fail ------------------------------------------------------------

TEST_URLS = "tests.audit.urls_testonly"


def _test_only(name: str) -> Page:
    return next(p for p in data_pages(TEST_URLS) if p.name == name)


@pytest.mark.django_db
@pytest.mark.urls(TEST_URLS)
def test_the_walker_finds_and_checks_an_audited_data_view(client, users, objects):
    event = check_page_records_one_event(client, users, _test_only("testonly_person"), objects)
    assert event.subject_id == str(objects["person"].pk)


@pytest.mark.django_db
@pytest.mark.urls(TEST_URLS)
def test_the_walker_catches_an_unaudited_data_view(client, users, objects):
    with pytest.raises(AssertionError, match="made 0 audit events"):
        check_page_records_one_event(client, users, _test_only("testonly_unaudited"), objects)


@pytest.mark.django_db
@pytest.mark.urls(TEST_URLS)
def test_a_new_page_that_is_neither_audited_nor_exempted_fails(client, users, objects):
    """A page outside the case capabilities is a data page too until it is exempted with a reason."""
    page = _test_only("testonly_staff_list")
    assert page.capability not in ALWAYS_DATA
    with pytest.raises(pytest.fail.Exception, match="must record one audit event"):
        check_page_records_one_event(client, users, page, objects)
    assert "testonly_staff_list" not in {p.name for p in data_pages(TEST_URLS, exempt={
        **SHOWS_NO_PERSONAL_DATA, "testonly_staff_list": "a reason"})}


@pytest.mark.django_db
@pytest.mark.urls(TEST_URLS)
def test_the_walker_fails_loudly_on_a_url_it_cannot_fill(client, users, objects):
    with pytest.raises(pytest.fail.Exception, match="cannot fill its URL argument"):
        check_page_records_one_event(client, users, _test_only("testonly_nhs"), objects)


@pytest.mark.urls(TEST_URLS)
def test_a_case_page_cannot_be_exempted_nor_a_page_that_is_gone():
    wrong = wrongly_exempted(TEST_URLS, exempt={**SHOWS_NO_PERSONAL_DATA, "testonly_person": "a reason",
                                                "accounts:gone": "a reason"})
    assert any(line.startswith("testonly_person is exempted but needs case.view") for line in wrong), wrong
    assert any(line.startswith("accounts:gone is exempted but no longer routed") for line in wrong), wrong
