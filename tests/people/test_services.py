import pytest

from apps.people.models import PostcodeArea
from apps.people.services import address_areas_assign
from tests import factories

pytestmark = pytest.mark.django_db


def test_addresses_get_the_area_of_their_postcode_district():
    assert PostcodeArea.objects.get(district="BS5").area == "east_central"
    bs5 = factories.address(number="3", street="Stapleton Road", postcode="BS5 0QA", area="")
    bs13 = factories.address(number="9", street="Hareclive Road", postcode="BS13 0HT", area="")
    unknown = factories.address(number="1", street="Elsewhere", postcode="GL1 1AA", area="")
    set_by_hand = factories.address(number="2", street="Stapleton Road", postcode="BS5 0QB", area="north")
    assert address_areas_assign() == 2
    for address, area in ((bs5, "east_central"), (bs13, "south"), (unknown, ""), (set_by_hand, "north")):
        address.refresh_from_db()
        assert address.area == area
    assert address_areas_assign(only_missing=False) == 1  # the map wins when asked
    set_by_hand.refresh_from_db()
    assert set_by_hand.area == "east_central"
