"""GB 11643 resident ID numbers: the rules, with real valid and invalid numbers."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from apps.identity import idnumbers

# The worked example printed in GB 11643-1999 itself.
STANDARD_EXAMPLE = "11010519491231002X"
# Numbers whose 18th character was computed with ISO 7064 MOD 11-2 (by hand, see test below).
VALID = [
    STANDARD_EXAMPLE,
    "440305198506154565",
    "330106199003071236",
    "510108197001010015",
    "650102200002295515",  # 29 February of a leap year
    "110101190001010014",  # 1 January 1900, the earliest accepted birth date
]
TODAY = dt.date(2026, 6, 1)


def _with_check(first17: str) -> str:
    return first17 + idnumbers.check_character(first17)


def _code_of(raw: str) -> str:
    with pytest.raises(ValidationError) as caught:
        idnumbers.parse(raw, today=TODAY)
    return caught.value.code


@pytest.mark.parametrize("number", VALID)
def test_valid_numbers_parse(number):
    # When a valid number is parsed, Then it comes back normalized with its parts
    resident = idnumbers.parse(number, today=TODAY)
    assert resident.number == number
    assert resident.region == number[:6]
    assert resident.birth_date == dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def test_the_standards_example_decodes_to_its_published_parts():
    resident = idnumbers.parse(STANDARD_EXAMPLE, today=TODAY)
    assert resident.region == "110105"  # Beijing, Chaoyang
    assert resident.birth_date == dt.date(1949, 12, 31)
    assert resident.sex == "F"  # sequence 002 is even
    assert resident.masked == "11***************X"


def test_check_character_follows_iso_7064_mod_11_2_by_hand():
    # Given the weights 2^(17-i) mod 11 and the check table of the standard
    first17 = "11010519491231002"
    weights = [pow(2, 17 - i, 11) for i in range(17)]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    # Then the check character is the one that makes the weighted sum ≡ 1 (mod 11), where X stands for 10
    check = (12 - total % 11) % 11
    assert idnumbers.check_character(first17) == ("X" if check == 10 else str(check)) == "X"


def test_lower_case_x_is_accepted_and_normalized():
    resident = idnumbers.parse(STANDARD_EXAMPLE.lower(), today=TODAY)
    assert resident.number == STANDARD_EXAMPLE
    assert idnumbers.keyed_hash(STANDARD_EXAMPLE.lower()) == idnumbers.keyed_hash(STANDARD_EXAMPLE)


def test_surrounding_spaces_are_ignored():
    assert idnumbers.parse(f"  {STANDARD_EXAMPLE} ", today=TODAY).number == STANDARD_EXAMPLE


@pytest.mark.parametrize("raw", ["", "1101051949123100", "11010519491231002", "11010519491231002X0", "110105194912310"])
def test_wrong_length_is_refused(raw):
    assert _code_of(raw) == "id_length"


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002Y",  # check character neither a digit nor X
        "1101051949123100X2",  # X only allowed last
        "11010519491231-02X",
        "１１０１０５１９４９１２３１００２Ｘ",  # full-width digits
        "11010519491231 02X",
        "1101051949123100²X",  # str.isdigit() is true for "²", int() is not
        "11010519491231002²",
        "١١٠١٠٥١٩٤٩١٢٣١٠٠٢X",  # Arabic-Indic digits
    ],
)
def test_wrong_format_is_refused(raw):
    assert _code_of(raw) == "id_format"


@pytest.mark.parametrize(
    "first17",
    [
        "00010519491231002",  # province 00 does not exist
        "99010519491231002",  # nor 99
        "39010519491231002",  # 39 is not a province code
        "11000019491231002",  # a province code alone (0000) is not a region
    ],
)
def test_unknown_region_is_refused(first17):
    assert _code_of(_with_check(first17)) == "id_region"


@pytest.mark.parametrize(
    "birth",
    [
        "19490230",  # 30 February
        "19491301",  # month 13
        "19490000",  # month 0
        "19490431",  # 31 April
        "19000229",  # 1900 was not a leap year
        "20230229",
        "18991231",  # before 1900
        "20260602",  # tomorrow (TODAY is 2026-06-01)
        "20991231",  # the future
    ],
)
def test_impossible_or_out_of_range_birth_date_is_refused(birth):
    assert _code_of(_with_check(f"110105{birth}002")) == "id_birth_date"


def test_birth_date_today_is_accepted():
    assert idnumbers.parse(_with_check("11010520260601002"), today=TODAY).birth_date == TODAY


@pytest.mark.parametrize("number", VALID)
def test_every_wrong_check_character_is_refused(number):
    # Given each of the ten wrong check characters for a valid number
    for wrong in "0123456789X":
        if wrong == number[17]:
            continue
        # Then each one is refused as a checksum error
        assert _code_of(number[:17] + wrong) == "id_checksum"


def test_a_transposition_of_two_digits_is_caught():
    swapped = STANDARD_EXAMPLE[:15] + STANDARD_EXAMPLE[16] + STANDARD_EXAMPLE[15] + STANDARD_EXAMPLE[17:]
    assert swapped != STANDARD_EXAMPLE
    assert _code_of(swapped) == "id_checksum"


def test_mask_keeps_province_and_check_character_only():
    assert idnumbers.mask("330106199003071236") == "33***************6"


def test_keyed_hash_depends_on_the_key(settings):
    first = idnumbers.keyed_hash(STANDARD_EXAMPLE)
    settings.CITYCODE_ID_HASH_KEY = "another-key"
    assert idnumbers.keyed_hash(STANDARD_EXAMPLE) != first
    assert len(first) == 64 and STANDARD_EXAMPLE not in first
