"""A newer extract replaces a dataset's rows; the incremental match that follows re-projects the people
whose rows went, so nothing projected from a row that no longer exists stays on their record."""

from __future__ import annotations

from apps.indicators.models import PersonIndicator

from .conftest import person_of
from .test_decisions import ANNA, LEE, OFFENCE


def offences(person_id: int) -> int:
    return PersonIndicator.objects.filter(person_id=person_id, definition__code="person-committed-offence").count()


def test_a_person_whose_row_a_newer_extract_dropped_loses_what_was_projected_from_it(import_extract, run_match):
    [_anna_tax, lee_tax] = import_extract("bcc-council-tax", [ANNA | {"source_key": "T1"}, LEE | {"source_key": "T2"}])
    import_extract("asc-offenders", [ANNA | OFFENCE | {"source_key": "P1"}, LEE | OFFENCE | {"source_key": "P2"}])
    run_match()
    lee = person_of(lee_tax)
    assert offences(lee) == 1

    # the police's next extract no longer has Lee's offence (withdrawn, or out of its retention)
    import_extract("asc-offenders", [ANNA | OFFENCE | {"source_key": "P1"}])
    run_match("asc-offenders")

    assert person_of(lee_tax) == lee
    assert offences(lee) == 0
