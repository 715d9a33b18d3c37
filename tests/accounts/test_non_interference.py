"""Non-interference, generated from the URL configuration.

A reader who may not see a record R (a restricted person or family they are not named on) or a
section S (outside their role) must get exactly the response they would get if R, or S's facts,
did not exist. For each scenario this test:

1. builds one small world (``world``) with a restricted child in an unrestricted family, a
   restricted family, aliases, addresses, identifiers and facts in every section;
2. requests every GET page and API endpoint routed in ``thinkfamily.urls`` (walked from the
   resolver, so a new page is covered the moment it is routed), with every record id of the world
   and a set of searches, as every reader concerned, and keeps status, redirect and body;
3. deletes R (or S's facts) and re-runs the refresh, so the derived data is what the pipeline
   would have produced without them;
4. requests the same again and compares, after normalising only CSRF tokens and CSP nonces.

Each world's requests run in a savepoint that is rolled back, so the audit events they write do
not show up in the other world's audit pages. A control reader who may see R (or S) must get a
different response somewhere: the scenario really removes something they see.
"""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.accounts.access import access_for
from apps.accounts.models import AccessGrant, Section
from apps.audit.models import Alert
from apps.casework.models import Case, Consent, MarkerRequest, Notification
from apps.casework.services import case_identify, consent_record
from apps.gazetteer.models import AddressResolution
from apps.indicators.models import Framework, PersonIndicator
from apps.indicators.services import indicators_refresh
from apps.matching.models import ClericalPair, MatchRun
from apps.people.models import AddressHistory, Family, FamilyMembership, Person, PersonAlias, Relationship
from apps.people.restriction import record_name_user
from apps.schools.models import AttendanceMonth, Enrolment, Exclusion, SENStatus
from apps.sources.models import Dataset, ImportBatch, QuarantinedRow, SourceRecord
from tests import factories
from tests.accounts.test_permission_matrix import ADMIN_NAMESPACE, PUBLIC, url_patterns
from tests.casework import outcomes_world
from tests.casework.conftest import case_led_by_key_worker
from tests.conftest import ROLE_SLUGS
from tests.normalise import normalise

AS_OF = factories.FAMILY_AS_OF
BACKEND = "django.contrib.auth.backends.ModelBackend"
SEARCH_URLS = ("caseview:search", "caseview_api:search")
SEARCH_TERMS = (
    "Quentin Smith", "Farthingale", "Oddsworth", "Jack Smith", "Smith", "Kerry Smith 1988", "BS7 9QQ", "9 Quarry Lane",
    "ASC-R0001", "R123456789012", "F009099", "Nora Pimblett", "Harptree", "14/02/2013", "Gloverwick",
    "943 476 5919",
)


def _alias(person, forename, surname, dataset_code, dob=None):
    return PersonAlias.objects.create(person=person, forename=forename, surname=surname, date_of_birth=dob,
                                      dataset=Dataset.objects.get(code=dataset_code))


@pytest.fixture
def world(users):
    """Every kind of record a page can show, hidden and not, and who may see what."""
    made = factories.family(reference="F009001")
    family, mum, child = made["family"], made["mum"], made["child"]
    home = made["home"]
    # a restricted child in the unrestricted family, with facts in several sections, an alias, an address,
    # identifiers and a source key of their own
    quarry = factories.address(number="9", street="Quarry Lane", postcode="BS7 9QQ", area="north")
    hidden = factories.person(forename="Quentin", surname="Smith", dob=date(2013, 2, 14), addr=home,
                              upn="R123456789012", is_restricted=True, restriction_reason="Relative of staff")
    FamilyMembership.objects.create(family=family, person=hidden, role="child", relationship="son", date_from=date(2019, 1, 1))
    Relationship.objects.create(person=mum, related_person=hidden, kind="mother")
    Relationship.objects.create(person=hidden, related_person=mum, kind="son")
    AddressHistory.objects.create(person=hidden, address=quarry, date_from=date(2023, 1, 1),
                                  dataset=Dataset.objects.get(code="bcc-council-tax"))
    _alias(hidden, "Quentin", "Farthingale", "bcc-mental-health", dob=date(2013, 2, 14))
    factories.source_record(hidden, "asc-offenders", key="ASC-R0001")
    Enrolment.objects.create(person=hidden, school=made["school"], upn="R123456789012", date_from=date(2019, 9, 1),
                             dataset=Dataset.objects.get(code="dfe-school-census"))
    factories.indicator(hidden, "drugs-and-alcohol-incident", notes="Found with cannabis", dataset_code="asc-drugs-alcohol")
    factories.indicator(hidden, "person-committed-offence", notes="Theft from a shop", dataset_code="asc-offenders")
    factories.indicator(hidden, "accessed-homeless-prevention-support", dataset_code="bcc-homeless-prevention")
    factories.indicator(hidden, "mental-health-concern", notes="CAMHS referral", dataset_code="bcc-mental-health")
    # the visible child has a missing-person risk score that the hidden child's homelessness support raises
    for day in (date(2024, 11, 2), date(2025, 1, 9)):
        factories.indicator(child, "person-reported-missing", on=day, dataset_code="asc-missing-persons")
    # a restricted family whose (unrestricted) member is also in an unrestricted family
    nora = factories.person(forename="Nora", surname="Pimblett", dob=date(1990, 4, 4), sex="F", addr=quarry)
    kid = factories.person(forename="Olly", surname="Pimblett", dob=date(2016, 7, 7), addr=quarry)
    secret = Family.objects.create(reference="F009099", is_restricted=True, restriction_reason="High-profile case")
    public = Family.objects.create(reference="F009100")
    for fam in (secret, public):
        FamilyMembership.objects.create(family=fam, person=nora, role="parent", date_from=date(2020, 1, 1))
        FamilyMembership.objects.create(family=fam, person=kid, role="child", date_from=date(2020, 1, 1))
    factories.indicator(nora, "person-committed-offence", dataset_code="asc-offenders")
    factories.indicator(kid, "person-reported-missing", dataset_code="asc-missing-persons")
    # someone known under another name only to a health dataset
    harptree = factories.person(forename="Wendeline", surname="Harptree", dob=date(2012, 5, 17), sex="F",
                                nhs_number="9434765919")  # carried only by her health record
    health_row = factories.source_record(harptree, "bcc-mental-health")
    health_row.nhs_number = "9434765919"
    health_row.save()
    factories.source_record(harptree, "bcc-housing-tenancies")  # known to a dataset every case role sees
    # someone known only to a health dataset: no case role without health may find or open them
    only_health = factories.person(forename="Perpetua", surname="Gloverwick", dob=date(1970, 1, 9), sex="F")
    factories.source_record(only_health, "bcc-mental-health")
    _alias(harptree, "Wendeline", "Oddsworth", "bcc-mental-health")
    factories.indicator(harptree, "mental-health-concern", notes="Attends the memory clinic", dataset_code="bcc-mental-health")
    # the back office: a match run with a clerical pair about the hidden child and one about others, an alert
    run = MatchRun.objects.create(match_threshold=0.9, review_threshold=0.5)
    for low, high in ((factories.source_record(hidden, "bcc-mental-health"), factories.source_record(mum, "bcc-mental-health")),
                      (factories.source_record(nora, "asc-offenders"), factories.source_record(harptree, "asc-offenders"))):
        ClericalPair.objects.create(run=run, record_low=low, record_high=high, match_probability=0.7)
    # the data quality officer's address queue: one address sent by the hidden child, one by no one hidden
    for sender, key, address_key in ((hidden, "CT-R0001", "9|||QUARRY LANE|BS7 9QQ"),
                                     (mum, "CT-M0001", "15|||MURPHY AVENUE|BS5 6AB")):
        sent = factories.source_record(sender, "bcc-council-tax", key=key)
        sent.address_key = address_key
        sent.save()
    for key, line in (("9|||QUARRY LANE|BS7 9QQ", "9 Quarry Lane"), ("15|||MURPHY AVENUE|BS5 6AB", "15 Murphy Avenue")):
        AddressResolution.objects.create(address_key=key, address_line=line, postcode=key[-7:], uprn="110", score=0.6,
                                         method="fuzzy", status="review")
    Alert.objects.create(kind=Alert.Kind.BREAK_GLASS, dedupe_key="non-interference", raised_at=timezone.now(),
                         occurred_at=timezone.now(), summary="A test alert")
    # and a bad row of a health extract, quarantined for the data quality officer (the import's bookkeeping)
    batch = ImportBatch.objects.get(dataset__code="bcc-mental-health", is_current=True)
    QuarantinedRow.objects.create(batch=batch, dataset=batch.dataset, row_number=2, raw_line=b"MH9,Perpetua,Gloverwick,9/1/70\r\n",
                                  columns=["source_key", "forename", "surname", "date_of_birth"],
                                  problems=[{"column": "date_of_birth", "reason": "not a date"}])
    _casework_claims(users, family=family, secret=secret, hidden=hidden, mum=mum)
    indicators_refresh(as_of=AS_OF)
    # casework: the family's case led by the key worker, with consent recorded for the hidden child too, and a
    # case of the restricted family
    case = case_led_by_key_worker(users, family)
    for member, note in ((mum, "Agreed at the first visit"), (hidden, "Quentin agreed through his mother")):
        consent_record(case=case, person=member, status="given", recorded_on=AS_OF, by=users["early-help-manager"],
                       note=note)
    case_identify(family=secret, by=users["early-help-manager"])
    # a need confirmed on that case from the data, evidenced by the hidden child's offence
    offence = PersonIndicator.objects.get(person=hidden, definition__code="person-committed-offence")
    outcomes_world.plan_on_case(case, [hidden, child], users["key-worker"], evidence_person=hidden, record=offence)
    return {"outcomes_case": case, "hidden_person": hidden, "hidden_family": secret, "persons": list(Person.objects.order_by("pk")),
            "families": list(Family.objects.order_by("pk")), "users": users}


def _casework_claims(users, *, family, secret, hidden, mum):
    """Results claims: the restricted family's case claimed this quarter; the other family's case checked, a need not
    met, concerning the hidden child too, with an outcome record about them (both in a manager's team)."""
    from apps.accounts.models import Team, TeamMembership
    from apps.casework.claim_selectors import current_quarter, evidence_pack
    from apps.casework.models import Claim
    from tests.casework.claim_world import checked_case

    team = Team.objects.create(code="ni-team", name="Non-interference team")
    TeamMembership.objects.create(team=team, user=users["early-help-manager"], is_manager=True)
    pm = users["programme-manager"]
    claimed = checked_case(secret, by=pm, team=team, state="claimed", persons=[m.person for m in secret.memberships.all()])
    Claim.objects.create(case=claimed, quarter=current_quarter(), submitted_by=pm, submitted_at=timezone.now(),
                         evidence=evidence_pack(claimed))
    checked_case(family, by=pm, team=team, outcomes=("met", "not_met"), persons=[hidden, mum], outcome_records=[
        {"person": hidden.pk, "dataset": "asc-offenders", "date": "2025-10-01", "ids": ["ASC-R0001"]},
        {"person": mum.pk, "dataset": "asc-domestic-abuse", "date": "2025-10-02", "ids": ["DA-NI-1"]},
        {"person": mum.pk, "dataset": "bcc-mental-health", "date": "2025-10-03", "ids": ["MH-NI-1"]}])


def _delete_family(family) -> None:
    """The family with its cases (and their claims; transitions, consent, needs, notifications and marker requests
    go with the cases): as if it had never been worked with."""
    from apps.casework.models import Case, Claim

    Claim.objects.filter(case__family=family).delete()
    Case.objects.filter(family=family).delete()
    family.delete()


# --- the URL walk ---------------------------------------------------------------------------


def _pks(model) -> list[dict]:
    return [{"pk": pk} for pk in model.objects.order_by("pk").values_list("pk", flat=True)]


# URL name -> every way to fill its arguments from the world. A routed pattern with arguments that is
# not here fails the test: a new page is covered, or the test says what it needs.
FILLS = {
    "caseview:person": lambda w: [{"pk": p.pk} for p in w["persons"]],
    "caseview:person_school": lambda w: [{"pk": p.pk} for p in w["persons"]],
    "caseview:person_addresses": lambda w: [{"pk": p.pk} for p in w["persons"]],
    "caseview_api:person": lambda w: [{"pk": p.pk} for p in w["persons"]],
    "caseview:family": lambda w: [{"pk": f.pk} for f in w["families"]],
    "caseview:family_addresses": lambda w: [{"pk": f.pk} for f in w["families"]],
    "caseview:family_chronology": lambda w: [{"pk": f.pk} for f in w["families"]],
    "caseview_api:family": lambda w: [{"pk": f.pk} for f in w["families"]],
    "people:break_glass": lambda w: [{"kind": "person", "pk": p.pk} for p in w["persons"]]
    + [{"kind": "family", "pk": f.pk} for f in w["families"]],
    "people:restriction": lambda w: [{"kind": "person", "pk": w["hidden_person"].pk},
                                       {"kind": "family", "pk": w["hidden_family"].pk}],
    "accounts:request_decide": lambda w: _pks(AccessGrant),
    "accounts:grant_revoke": lambda w: _pks(AccessGrant),
    "accounts:role_otp": lambda w: [{"slug": "key-worker"}],
    "audit:subject": lambda w: [{"subject_type": "person", "subject_id": str(p.pk)} for p in w["persons"]]
    + [{"subject_type": "family", "subject_id": str(f.pk)} for f in w["families"]],
    "audit:user_activity": lambda w: [{"user_id": w["users"]["key-worker"].pk}],
    "audit:alert": lambda w: [{"alert_id": pk} for pk in Alert.objects.order_by("pk").values_list("pk", flat=True)],
    "sources:batch": lambda w: _pks(ImportBatch),
    "sources:batch_progress": lambda w: _pks(ImportBatch),
    "sources:batch_make_current": lambda w: _pks(ImportBatch),
    "sources:dataset": lambda w: [{"code": "asc-offenders"}],
    "sources:dataset_edit": lambda w: [{"code": "asc-offenders"}],
    "sources:dataset_descriptor": lambda w: [{"code": "asc-offenders"}],
    "sources:quarantined_row": lambda w: _pks(QuarantinedRow),
    "matching:run": lambda w: _pks(MatchRun),
    "matching:thresholds_set": lambda w: _pks(MatchRun),
    "matching:review_pair": lambda w: _pks(ClericalPair),
    "gazetteer:resolution": lambda w: _pks(AddressResolution),
    # the pre-visit pack PDF is compared byte for byte: it carries no time of its own (apps/casework/pack_views.py)
    "casework:case_progress": lambda w: _pks(Case),
    "casework:case_pack": lambda w: _pks(Case),
    "casework:case_pack_pdf": lambda w: _pks(Case),
    **{name: lambda w: [{"pk": w["outcomes_case"].pk}] for name in (
        "casework:case_plan", "casework:plan_need_confirm", "casework:plan_need_remove", "casework:plan_outcome_record",
        "casework:plan_assessment_complete", "casework:plan_agree")},
    "casework:claim_evidence": lambda w: _case_pks(),
    "casework:claim_submit": lambda w: _case_pks(),
    "casework:need_override": lambda w: _case_need_pks(),
    "casework:framework": lambda w: [{"code": code} for code in Framework.objects.values_list("code", flat=True)],
    "casework:framework_activate": lambda w: [{"code": code} for code in Framework.objects.values_list("code", flat=True)],
    "casework:notification_read": lambda w: _pks(Notification),
    "casework:marker_acknowledge": lambda w: _pks(MarkerRequest),
    "casework:case_open": lambda w: [{"family_pk": f.pk} for f in w["families"]],
    **{name: (lambda w: _pks(Case)) for name in (
        "casework:case", "casework:case_triage", "casework:case_consent", "casework:case_allocate",
        "casework:case_close", "casework:case_team")},
}


def _case_pks() -> list[dict]:
    from apps.casework.models import Case

    return _pks(Case)


def _case_need_pks() -> list[dict]:
    from apps.casework.models import CaseNeed

    return _pks(CaseNeed)


def data_urls(world) -> list[tuple[str, str]]:
    """``(name, url)`` of every GET page routed, with every id of the world; fails on a pattern it cannot fill."""
    urls, unfillable = [], []
    for name, route, pattern in url_patterns():
        if name in PUBLIC or name.startswith(f"{ADMIN_NAMESPACE}:"):
            continue
        if not pattern.pattern.converters:
            fills = [{}]
        elif name in FILLS:
            fills = FILLS[name](world)
        else:
            unfillable.append(f"{name} ({route})")
            continue
        for kwargs in fills:
            url = reverse(name, kwargs=kwargs)
            if name in SEARCH_URLS:
                urls += [(name, f"{url}?{_search_params(term)}") for term in SEARCH_TERMS]
            urls.append((name, url))
    assert not unfillable, f"Add to FILLS how to fill: {unfillable}"
    assert len(urls) > 50, "the URL walk found too few pages to prove anything"
    return urls


def _search_params(term: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"q": term, "purpose": "Safeguarding enquiry", "reference": "CR-2026-00123"})


def responses(clients: dict, urls, *, at) -> dict:
    """Status, redirect and normalised body of every URL for every client.

    Each reader's requests run at the same frozen instant ``at``, in a savepoint rolled back after
    them, with the id sequences put back: what one reader's requests write (audit events) is not
    seen by the next reader, and a reader's own audit trail is the same in both worlds.
    """
    seen = {}
    for who, client in clients.items():
        sid = transaction.savepoint()
        try:
            with time_machine.travel(at, tick=False):
                for _name, url in urls:
                    response = client.get(url)
                    body = b"".join(response.streaming_content) if response.streaming else response.content
                    seen[(who, url)] = (response.status_code, response.get("Location", ""), normalise(body))
        finally:
            transaction.savepoint_rollback(sid)
            _reset_sequences()
    return seen


def _reset_sequences() -> None:
    """Put every id sequence back to the table's highest id (PostgreSQL keeps sequence steps a rollback undid)."""
    statements = connection.ops.sequence_reset_sql(no_style(), django_apps.get_models())
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def _clients(users_by_name: dict) -> dict:
    clients = {}
    for who, user in users_by_name.items():
        client = Client()
        client.force_login(user, backend=BACKEND)
        clients[who] = client
    return clients


def differences(before: dict, after: dict, readers) -> list[str]:
    found = []
    for key, (status, location, body) in before.items():
        if key[0] not in readers:
            continue
        other = after[key]
        if (status, location) != other[:2]:
            found.append(f"{key[0]} GET {key[1]}: {status} {location!r} became {other[0]} {other[1]!r}")
        elif body != other[2]:
            found.append(f"{key[0]} GET {key[1]}: body differs{_first_difference(body, other[2])}")
    return found


def _first_difference(a: str, b: str) -> str:
    i = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f" at {i}: {a[max(0, i - 80):i + 80]!r} vs {b[max(0, i - 80):i + 80]!r}"


# --- the scenarios --------------------------------------------------------------------------


def delete_section_facts(section_codes, *, records: bool) -> None:
    """Every fact a section holds; with ``records``, its datasets' source rows too (for case roles: the
    import bookkeeping and the clerical queue's identity fields are the back office's, whatever its sections)."""
    datasets = Dataset.objects.filter(section__code__in=section_codes)
    if records:
        known = set(SourceRecord.objects.filter(person__isnull=False).values_list("person_id", flat=True))
        SourceRecord.objects.filter(dataset__in=datasets).delete()
        _reproject_identity(known)
    PersonIndicator.objects.filter(definition__category__section__code__in=section_codes).delete()
    for model in (AttendanceMonth, Enrolment, Exclusion, SENStatus, AddressHistory, PersonAlias):
        model.objects.filter(dataset__in=datasets).delete()


def _reproject_identity(known: set[int]) -> None:
    """What projection would make of the golden records once rows are gone: a person no row knows any more is
    no one; an identifier no remaining row carries, and a current address no remaining spell is at, are unknown."""
    remaining = set(SourceRecord.objects.filter(person__isnull=False).values_list("person_id", flat=True))
    Person.objects.filter(pk__in=known - remaining).delete()
    for person in Person.objects.filter(pk__in=remaining):
        for field in ("nhs_number", "upn", "ni_number"):
            value = getattr(person, field)
            if value and not SourceRecord.objects.filter(person=person, **{field: value}).exists():
                setattr(person, field, "")
        if person.current_address_id and not AddressHistory.objects.filter(
                person=person, address_id=person.current_address_id).exists():
            person.current_address = None
        person.save()


def _run(world, *, readers: dict, control: dict, remove) -> None:
    clients = _clients(readers | control)
    urls = data_urls(world)
    at = timezone.now()
    before = responses(clients, urls, at=at)
    remove()
    indicators_refresh(as_of=AS_OF)
    after = responses(clients, urls, at=at)
    leaks = differences(before, after, readers)
    assert not leaks, f"{len(leaks)} responses changed when hidden data was removed:\n" + "\n".join(leaks[:40])
    assert differences(before, after, control), "the control reader saw no change: the scenario removes nothing"


def _everyone_but_the_custodian(users) -> dict:
    """Every role but the data custodian, who restricts records and so knows which are (by name, not case data)."""
    return {slug or "no role": users[slug] for slug in (*ROLE_SLUGS, None) if slug != "data-custodian"}


def _delete_person(person) -> None:
    """The person, the source records linked to them (their clerical pairs go with them) and their consent."""
    SourceRecord.objects.filter(person=person).delete()
    Consent.objects.filter(person=person).delete()
    person.delete()


def test_a_restricted_person_leaves_no_trace(world, make_user):
    hidden = world["hidden_person"]
    named = make_user("social-worker", username="named_social_worker")
    record_name_user(record=hidden, user=named, custodian=world["users"]["data-custodian"])
    _run(world, readers=_everyone_but_the_custodian(world["users"]), control={"named": named},
         remove=lambda: _delete_person(hidden))


def test_a_restricted_family_leaves_no_trace(world, make_user):
    hidden = world["hidden_family"]
    named = make_user("key-worker", username="named_key_worker")
    record_name_user(record=hidden, user=named, custodian=world["users"]["data-custodian"])
    _run(world, readers=_everyone_but_the_custodian(world["users"]), control={"named": named},
         remove=lambda: _delete_family(hidden))


def _section_groups() -> list[tuple[str, ...]]:
    """Roles that do not see every section, grouped by the sections they do see (from the reference data)."""
    import json
    from collections import defaultdict

    from django.conf import settings

    reference = json.loads((settings.BASE_DIR / "fixtures" / "reference.json").read_text(encoding="utf-8"))
    every = {s["code"] for s in reference["sections"]}
    groups = defaultdict(list)
    for role in reference["roles"]:
        if set(role["sections"]) != every:
            groups[tuple(sorted(role["sections"]))].append(role["slug"])
    return [tuple(slugs) for slugs in groups.values()]


@pytest.mark.parametrize("role_slugs", _section_groups(), ids="+".join)
def test_sections_a_role_may_not_see_leave_no_trace(world, role_slugs):
    """For the roles that see the same sections, not all: delete the facts of the sections they do not see."""
    users = world["users"]
    unseen = set(Section.objects.values_list("code", flat=True)) - access_for(users[role_slugs[0]]).sections
    assert unseen, f"{role_slugs} see every section: nothing to test"
    case_roles = all(access_for(users[slug]).can("case.view") for slug in role_slugs)
    _run(world, readers={slug: users[slug] for slug in role_slugs}, control={"key-worker": users["key-worker"]},
         remove=lambda: delete_section_facts(unseen, records=case_roles))
