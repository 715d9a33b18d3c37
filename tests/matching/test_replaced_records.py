"""A newer extract replaces a dataset's rows; the incremental match that follows re-projects the people
whose rows went, so nothing projected from a row that no longer exists stays on their record."""

from __future__ import annotations

from apps.indicators.models import PersonIndicator
from apps.people.models import AddressHistory, FamilyMembership, Person
from apps.sources.models import ImportBatch

from .conftest import person_of
from .test_decisions import ANNA, LEE, OFFENCE


def offences(person_id: int) -> int:
    return PersonIndicator.objects.filter(person_id=person_id, definition__code="person-committed-offence").count()


def _lee_with_an_offence(import_extract, run_match):
    """Anna and Lee in the council's and the police's extracts, linked; returns Lee's council row and person."""
    [_anna_tax, lee_tax] = import_extract("bcc-council-tax", [ANNA | {"source_key": "T1"}, LEE | {"source_key": "T2"}])
    import_extract("asc-offenders", [ANNA | OFFENCE | {"source_key": "P1"}, LEE | OFFENCE | {"source_key": "P2"}])
    run_match()
    lee = person_of(lee_tax)
    assert offences(lee) == 1
    return lee_tax, lee


def test_a_person_whose_row_a_newer_extract_dropped_loses_what_was_projected_from_it(import_extract, run_match):
    lee_tax, lee = _lee_with_an_offence(import_extract, run_match)

    # the police's next extract no longer has Lee's offence (withdrawn, or out of its retention)
    import_extract("asc-offenders", [ANNA | OFFENCE | {"source_key": "P1"}])
    run_match("asc-offenders")

    assert person_of(lee_tax) == lee
    assert offences(lee) == 0


def test_two_extracts_before_one_incremental_run_keep_the_first_extracts_dropped_persons(import_extract, run_match):
    _, lee = _lee_with_an_offence(import_extract, run_match)

    # two extracts land before the incremental link runs: the first drops Lee, the second replaces the first
    import_extract("asc-offenders", [ANNA | OFFENCE | {"source_key": "P1"}])
    import_extract("asc-offenders", [ANNA | OFFENCE | {"source_key": "P1", "reference": "CR-2"}])
    run_match("asc-offenders")

    assert offences(lee) == 0
    assert ImportBatch.objects.exclude(replaced_persons=[]).count() == 0  # projected: nothing left to do


def test_a_full_run_leaves_no_replaced_persons_waiting(import_extract, run_match):
    import_extract("asc-offenders", [ANNA | OFFENCE | {"source_key": "P1"}, LEE | OFFENCE | {"source_key": "P2"}])
    run_match()
    import_extract("asc-offenders", [ANNA | OFFENCE | {"source_key": "P1"}])
    assert ImportBatch.objects.exclude(replaced_persons=[]).count() == 1
    run_match()
    assert ImportBatch.objects.exclude(replaced_persons=[]).count() == 0


def test_a_person_whose_spells_a_newer_extract_dropped_leaves_the_family_at_that_address(import_extract, run_match):
    mia = dict(forename="MIA", surname="NOWAK", sex="F", date_of_birth="2016-05-02", postcode="BS4 2AB",
               address="3 ELM ROAD", date_from="2019-04-01", source_key="H1")
    [anna_tax, _] = import_extract("bcc-council-tax", [ANNA | {"source_key": "T1"}, LEE | {"source_key": "T2"}])
    import_extract("bcc-housing-benefit", [mia])
    import_extract("asc-offenders", [ANNA | OFFENCE | {"source_key": "P1"}])
    run_match()
    anna = person_of(anna_tax)
    assert FamilyMembership.objects.filter(person_id=anna).exists()

    # the council's next extract no longer has Anna; the police's records keep her as a person
    import_extract("bcc-council-tax", [LEE | {"source_key": "T2"}])
    run_match("bcc-council-tax")

    assert Person.objects.filter(pk=anna).exists()
    assert not AddressHistory.objects.filter(person_id=anna).exists()
    assert not FamilyMembership.objects.filter(person_id=anna).exists()
