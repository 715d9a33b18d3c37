"""Numbers and dates as people read them (issue 11, item 10)."""

import datetime as dt
from decimal import Decimal

import pytest

from apps.people.templatetags import tf_format


@pytest.mark.parametrize("name, value, shown", [
    ("day", dt.date(2026, 3, 3), "3 March 2026"),
    ("day", None, ""),
    ("month", dt.date(2026, 3, 3), "March 2026"),
    ("when", dt.datetime(2026, 7, 3, 13, 5, tzinfo=dt.UTC), "3 July 2026 at 2:05pm"),  # British Summer Time
    ("when", dt.datetime(2026, 1, 3, 12, 0, tzinfo=dt.UTC), "3 January 2026 at 12pm"),
    ("percent", 100.0 * 25 / 88, "28.4%"),
    ("percent", 50, "50.0%"),
    ("percent", None, "–"),
    ("probability", 0.98714, "98.7%"),
    ("score", 80.219999999999998863131622783839702606201171875, "80"),
    ("score", Decimal("80.5"), "81"),
    ("number", 32, "32"),
    ("number", Decimal("7.25"), "7.3"),
    ("count", 12345, "12,345"),
    ("money", Decimal("1234.50"), "£1,235"),
])
def test_filters(name, value, shown):
    assert getattr(tf_format, name)(value) == shown


@pytest.mark.django_db
def test_the_familys_highest_risk_score_is_a_whole_number():
    """A score read back from the database as a float is not spelt out to 48 digits in the family's reasons."""
    from apps.indicators.criteria import Catalogue, criteria_compute
    from apps.indicators.models import IndicatorDefinition

    neet = IndicatorDefinition.objects.get(code="risk-of-neet")
    criteria = criteria_compute(as_of=dt.date(2025, 3, 1), members=[(1, dt.date(2011, 3, 12))],
                                held=[(1, neet.pk, 80.219999999999998863131622783839702606201171875)],
                                catalogue=Catalogue.load())
    assert "Highest risk score 80 out of 100 (Risk of NEET)." in criteria.reasons_text
    assert "80.2" not in criteria.reasons_text and criteria.max_risk == Decimal("80.22")
