"""Every page that shows personal data records exactly one audit event, with the right fields.

Generated from the URL configuration: each URL pattern whose view requires
``case.view`` or ``case.search`` is requested once by a key worker, and must
leave exactly one new AuditEvent with the expected action, user, role and
subject. A new data page is picked up automatically; one whose URL this test
cannot fill, or whose action it cannot infer, FAILS with instructions rather
than being skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from apps.accounts.access import CASE_SEARCH, CASE_VIEW
from apps.accounts.purpose import PURPOSES
from apps.audit.models import AuditEvent
from apps.people.models import Family, FamilyMembership, Person

DATA_CAPABILITIES = {CASE_VIEW, CASE_SEARCH}

# Query strings for pages that only read data when asked (searches).
QUERY_FOR = {
    "caseview:search": lambda objs: {"q": objs["person"].surname, "purpose": PURPOSES[0]},
    "caseview_api:search": lambda objs: {"q": objs["person"].surname, "purpose": PURPOSES[0]},
}
# Actions that cannot be inferred from the URL (see ``expected_action``).
ACTION_FOR: dict[str, str] = {}


@dataclass(frozen=True)
class DataPage:
    name: str  # namespaced URL name, e.g. caseview:person
    route: str  # full route, e.g. people/person/<int:pk>/
    kwargs: tuple[str, ...]

    def __str__(self) -> str:
        return self.name or self.route


def data_pages(urlconf=None) -> list[DataPage]:
    """Every URL pattern (recursively) whose view needs a data capability."""
    found = []

    def walk(patterns, prefix: str, namespace: str):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                walk(entry.url_patterns, prefix + str(entry.pattern), ns)
            elif isinstance(entry, URLPattern):
                if getattr(entry.callback, "required_capability", None) in DATA_CAPABILITIES:
                    route = prefix + str(entry.pattern)
                    found.append(DataPage(
                        name=f"{namespace}{entry.name}" if entry.name else "", route=route,
                        kwargs=tuple(entry.pattern.converters) if hasattr(entry.pattern, "converters") else (),
                    ))

    walk(get_resolver(urlconf).url_patterns, "", "")
    return found


def subject_kind(page: DataPage) -> str:
    """Which record the page is about, from its route: person, family, or none (a search)."""
    route = page.route.lower()
    if "family" in route or "families" in route:
        return "family"
    if "person" in route or "people/<" in route:
        return "person"
    return ""


def fill_kwargs(page: DataPage, objects: dict) -> dict:
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
            f"{page} ({page.route}) shows personal data but this test cannot fill its URL argument(s) {missing}. "
            "Teach fill_kwargs in tests/audit/test_every_data_view_audited.py how to (never skip it)."
        )
    return {k: values[k] for k in page.kwargs}


def expected_action(page: DataPage) -> str:
    if page.name in ACTION_FOR:
        return ACTION_FOR[page.name]
    route, kind = page.route.lower(), subject_kind(page)
    if "export" in route:
        return AuditEvent.Action.EXPORT
    if "address" in route:
        return AuditEvent.Action.VIEW_ADDRESSES
    if "school" in route or "attendance" in route:
        return AuditEvent.Action.VIEW_ATTENDANCE
    if kind == "family":
        return AuditEvent.Action.VIEW_FAMILY
    if kind == "person":
        return AuditEvent.Action.VIEW_PERSON
    if page.name in QUERY_FOR or "search" in (page.name + route):
        return AuditEvent.Action.SEARCH
    pytest.fail(f"Cannot tell which audit action {page} ({page.route}) should record: add it to ACTION_FOR.")


def check_page_records_one_event(client, user, page: DataPage, objects: dict) -> AuditEvent:
    """Request ``page`` once as ``user``; assert one new audit event with the right fields."""
    from django.urls import reverse

    url = reverse(page.name, kwargs=fill_kwargs(page, objects))
    action = expected_action(page)
    kind = subject_kind(page)
    if not kind and page.name not in QUERY_FOR:
        pytest.fail(f"{page} ({page.route}) is a data page with no record in its URL: add its query to QUERY_FOR.")
    params = QUERY_FOR[page.name](objects) if page.name in QUERY_FOR else None
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

    response = client.get(url, params)

    assert response.status_code == 200, f"{page}: {url} answered {response.status_code}"
    new = list(AuditEvent.objects.filter(id__gt=before))
    assert len(new) == 1, f"{page}: {url} made {len(new)} audit events ({[e.action for e in new]}), not exactly one"
    event = new[0]
    assert event.action == action, f"{page}: recorded {event.action!r}, expected {action!r}"
    assert (event.user_id_snapshot, event.username, event.role) == (user.pk, user.username, "key-worker")
    if kind:
        assert (event.subject_type, event.subject_id) == (kind, str(objects[kind].pk)), f"{page}: wrong subject"
    else:
        assert event.result_count is not None, f"{page}: a search must record its result count (zero included)"
    return event


@pytest.fixture
def objects(db):
    person = Person.objects.create(forename="Maisie", surname="Thistlewood", search_forename="MAISIE",
                                   search_surname="THISTLEWOOD", sex=Person.Sex.FEMALE)
    family = Family.objects.create(reference="F900001")
    FamilyMembership.objects.create(family=family, person=person, role=FamilyMembership.Role.CHILD)
    return {"person": person, "family": family}


PAGES = data_pages()


def test_the_data_pages_are_found():
    """The pages and API endpoints that show personal data: if the walk finds none, it is broken."""
    names = {str(page) for page in PAGES}
    assert len(PAGES) >= 9, names
    assert any("caseview:person" in name for name in names) and any("caseview_api:search" in name for name in names), names


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES, ids=str)
def test_every_data_page_records_exactly_one_audit_event(client_as, users, objects, page):
    check_page_records_one_event(client_as("key-worker"), users["key-worker"], page, objects)


# --- the generator itself can fail ------------------------------------------------------------

TEST_URLS = "tests.audit.urls_testonly"


def _test_only(name: str) -> DataPage:
    return next(p for p in data_pages(TEST_URLS) if p.name == name)


@pytest.mark.django_db
@pytest.mark.urls(TEST_URLS)
def test_the_walker_finds_and_checks_an_audited_data_view(client_as, users, objects):
    event = check_page_records_one_event(client_as("key-worker"), users["key-worker"], _test_only("testonly_person"), objects)
    assert event.subject_id == str(objects["person"].pk)


@pytest.mark.django_db
@pytest.mark.urls(TEST_URLS)
def test_the_walker_catches_an_unaudited_data_view(client_as, users, objects):
    with pytest.raises(AssertionError, match="made 0 audit events"):
        check_page_records_one_event(client_as("key-worker"), users["key-worker"], _test_only("testonly_unaudited"), objects)


@pytest.mark.django_db
@pytest.mark.urls(TEST_URLS)
def test_the_walker_fails_loudly_on_a_url_it_cannot_fill(client_as, users, objects):
    with pytest.raises(pytest.fail.Exception, match="cannot fill its URL argument"):
        check_page_records_one_event(client_as("key-worker"), users["key-worker"], _test_only("testonly_nhs"), objects)


def test_the_walker_sees_the_project_data_pages_it_should():
    names = {p.name for p in PAGES}
    assert not names or "caseview:person" in names, names
