"""National identifier checks: NHS number and UPN through python-stdnum, NI number and UPRN our own."""

from __future__ import annotations

import pytest
from stdnum.exceptions import InvalidComponent
from stdnum.gb import upn as stdnum_upn

from apps.common.identifiers import (
    UPN_LETTERS,
    identifier_compact,
    nhs_number_normalise,
    ni_number_normalise,
    upn_normalise,
    uprn_normalise,
)


def test_compact_strips_spaces_and_hyphens_of_any_kind():
    assert identifier_compact(" 943 476\t5919 ") == "9434765919"
    assert identifier_compact("943-476–5919") == "9434765919"  # an en dash too
    assert identifier_compact("ab\u00a012 34 56 c") == "AB123456C"  # a no-break space
    assert identifier_compact("９４３") == "943"  # full-width digits as ASCII


# Before stdnum an en dash was refused (only ASCII hyphens were removed) and full-width digits
# were stored as sent; now both are read as the hyphen and the digits they stand for.
@pytest.mark.parametrize("raw", ["9434765919", "943 476 5919", "943-476-5919", " 943 476 5919 ", "943\u00a0476\u00a05919",
                                 "943–476–5919", "９４３４７６５９１９"])
def test_nhs_number_accepted_and_stored_as_ten_ascii_digits(raw):
    assert nhs_number_normalise(raw) == "9434765919"  # the NHS Data Dictionary's worked example


def test_nhs_number_wrong_check_digit():
    with pytest.raises(ValueError, match="check digit is wrong"):
        nhs_number_normalise("9434765918")
    # weighted sum 6 * 2 = 12 leaves remainder 1, so the check digit would be 10: never a valid number
    for last in "0123456789":
        with pytest.raises(ValueError, match="check digit is wrong"):
            nhs_number_normalise(f"000000006{last}")


def test_nhs_check_digit_11_becomes_0():
    assert nhs_number_normalise("0000000000") == "0000000000"


@pytest.mark.parametrize("raw", ["943476591", "94347659190", "943476591X", "943/476/5919", "٩٤٣٤٧٦٥٩١٩", "943476591²"])
def test_nhs_number_not_ten_digits(raw):
    with pytest.raises(ValueError, match="NHS number must be 10 digits") as refused:
        nhs_number_normalise(raw)
    assert raw not in str(refused.value)  # a reason never repeats the value


def test_upn_check_letter_dfe_algorithm():
    # weights 2..13 over "801200001001": 8*2 + 1*4 + 2*5 + 1*10 + 1*13 = 53; 53 % 23 = 7 -> H
    assert upn_normalise("H801200001001") == "H801200001001"
    assert upn_normalise("h801 2000 01001") == "H801200001001"
    with pytest.raises(ValueError, match="check letter is wrong"):
        upn_normalise("A801200001001")


@pytest.mark.parametrize("raw", ["I801200001001", "O801200001001", "S801200001001", "H80120000100", "H8012000010011",
                                 "H80120000A001", "1801200001001", "H80120000100I"])
def test_upn_format(raw):
    with pytest.raises(ValueError, match="UPN must be"):
        upn_normalise(raw)


def test_temporary_upn_ends_in_a_letter():
    body = "80120000100A"
    upn = stdnum_upn.calc_check_digit(body) + body
    assert upn_normalise(upn) == upn


def test_upn_agrees_with_stdnum_on_every_check_letter():
    for body in ("801200001001", "801200119007", "935412345678"):
        for letter in UPN_LETTERS:
            number = letter + body
            accepted = True
            try:
                upn_normalise(number)
            except ValueError:
                accepted = False
            assert accepted == stdnum_upn.is_valid(number), number


def test_upn_from_an_authority_newer_than_stdnums_list_is_accepted():
    # 941 (West Northamptonshire, 2021) is missing from stdnum's LA list, so its validate()
    # would refuse a pupil who moved here from there; the check letter is what we check.
    body = "941200119007"
    upn = stdnum_upn.calc_check_digit(body) + body
    assert upn_normalise(upn) == upn
    with pytest.raises(InvalidComponent):
        stdnum_upn.validate(upn)


@pytest.mark.parametrize(("raw", "stored"), [("AB123456C", "AB123456C"), ("ab 12 34 56 c", "AB123456C"),
                                              ("JG103759A", "JG103759A"), ("JG-10-37-59-A", "JG103759A")])
def test_ni_number_accepts(raw, stored):
    assert ni_number_normalise(raw) == stored


@pytest.mark.parametrize("raw", ["DA123456C", "AO123456C", "QQ123456C", "GB123456A", "ZZ123456A", "AB123456E", "AB12345C",
                                 "123456789", "AB١٢٣٤٥٦C"])
def test_ni_number_rejects(raw):
    with pytest.raises(ValueError, match="not a National Insurance number"):
        ni_number_normalise(raw)


def test_uprn():
    assert uprn_normalise("000123456789") == "123456789"
    assert uprn_normalise("10 0012 3456") == "1000123456"
    for raw in ("12345678901234", "0", "12A", "¹²³"):
        with pytest.raises(ValueError, match="UPRN must be 1 to 12 digits"):
            uprn_normalise(raw)
