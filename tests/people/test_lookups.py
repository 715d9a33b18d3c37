import pytest

from apps.people.models import Person, PersonAlias
from tests import factories

pytestmark = pytest.mark.django_db


def test_anyof_matches_like_in_for_pks_and_foreign_keys():
    people = [factories.person(forename=f"P{i}") for i in range(5)]
    wanted = {people[1].pk, people[3].pk}
    assert set(Person.objects.filter(pk__anyof=wanted).values_list("pk", flat=True)) == wanted
    assert not Person.objects.filter(pk__anyof=[]).exists()
    from apps.sources.models import Dataset

    PersonAlias.objects.create(person=people[3], forename="A", surname="B", dataset=Dataset.objects.first())
    assert list(PersonAlias.objects.filter(person_id__anyof=wanted).values_list("person_id", flat=True)) == [people[3].pk]
