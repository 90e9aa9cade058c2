"""GB 11643 ID numbers: properties over numbers generated from region, birth date and sequence."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from apps.identity import idnumbers
from tests.deterministic import deterministic

TODAY = dt.date(2026, 6, 1)
CHECK = "0123456789X"

regions = st.builds(lambda province, rest: f"{province}{rest:04d}", st.sampled_from(sorted(idnumbers.PROVINCES)),
                    st.integers(min_value=1, max_value=9999))
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


def weighted_check(first17: str) -> str:
    """ISO 7064 MOD 11-2, computed independently: the check makes sum(d_i * 2^(17-i)) + check ≡ 1 (mod 11)."""
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def build(region: str, birth: dt.date, sequence: int) -> str:
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + weighted_check(first17)


def code_of(raw: str) -> str:
    with pytest.raises(ValidationError) as caught:
        idnumbers.parse(raw, today=TODAY)
    return caught.value.code


@deterministic
@given(regions, births, sequences)
def test_a_generated_valid_number_parses_to_its_parts(region, birth, sequence):
    number = build(region, birth, sequence)
    resident = idnumbers.parse(number, today=TODAY)
    assert (resident.number, resident.region, resident.birth_date) == (number, region, birth)
    # The sex is the parity of the three-digit sequence: odd for men, even for women
    assert resident.sex == ("M" if sequence % 2 == 1 else "F")
    # The mask keeps only the province and the check character: no county, birth date or sequence
    assert resident.masked == number[:2] + "*" * 15 + number[17]
    assert idnumbers.check_character(number[:17]) == number[17]


@deterministic
@given(regions, births, sequences, st.sampled_from(CHECK))
def test_every_other_check_character_is_refused(region, birth, sequence, check):
    number = build(region, birth, sequence)
    if check == number[17]:
        return
    assert code_of(number[:17] + check) == "id_checksum"


@deterministic
@given(regions, births, sequences, st.integers(min_value=14, max_value=16), st.integers(min_value=1, max_value=9))
def test_a_single_wrong_sequence_digit_is_caught(region, birth, sequence, position, delta):
    number = build(region, birth, sequence)
    wrong = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    assert code_of(wrong) == "id_checksum"


@deterministic
@given(regions, births, sequences)
def test_lower_case_x_and_surrounding_spaces_are_normalized(region, birth, sequence):
    number = build(region, birth, sequence)
    assert idnumbers.parse(f"  {number.lower()} ", today=TODAY).number == number


@deterministic
@given(st.dates(min_value=TODAY + dt.timedelta(days=1), max_value=dt.date(2999, 12, 31)) | st.dates(
    min_value=dt.date(1000, 1, 1), max_value=dt.date(1899, 12, 31)), sequences)
def test_a_birth_date_outside_1900_to_today_is_refused(birth, sequence):
    assert code_of(build("330106", birth, sequence)) == "id_birth_date"


@pytest.mark.parametrize(("sequence", "sex"), [("001", "M"), ("123", "M"), ("999", "M"), ("000", "F"), ("124", "F"),
                                               ("998", "F")])
def test_odd_sequences_are_men_and_even_ones_women(sequence, sex):
    first17 = "33010619900307" + sequence
    assert idnumbers.parse(first17 + weighted_check(first17), today=TODAY).sex == sex


def test_the_earliest_and_latest_dates_and_a_zero_region_tail():
    assert idnumbers.parse(build("110101", dt.date(1900, 1, 1), 1), today=TODAY).birth_date == dt.date(1900, 1, 1)
    assert idnumbers.parse(build("110101", TODAY, 1), today=TODAY).birth_date == TODAY
    assert code_of(build("330000", dt.date(1990, 3, 7), 1)) == "id_region"
    assert code_of(build("990106", dt.date(1990, 3, 7), 1)) == "id_region"
    assert idnumbers.parse(build("330100", dt.date(1990, 3, 7), 1), today=TODAY).region == "330100"
