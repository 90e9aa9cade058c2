"""ID numbers: what the citizen is told, the keyed hash, and the checksum's input (issue 15's survivors)."""

import hashlib
import hmac

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from apps.identity import idnumbers
from tests.identity.test_idnumbers_properties import TODAY, weighted_check

VALID = "33010619900307" + "123" + weighted_check("33010619900307123")

REFUSALS = [
    # raw, code, English, Simplified Chinese
    ("3301061990", "id_length", "An ID number has 18 characters.", "身份证号应为 18 位。"),
    ("33010619900307123Y", "id_format", "An ID number is 17 digits followed by a digit or X.",
     "身份证号应为 17 位数字加 1 位数字或 X。"),
    ("990106199003071230", "id_region", "The region code of this ID number does not exist.",
     "身份证号中的地区码不存在。"),
    ("330106199002301230", "id_birth_date", "The birth date in this ID number is not a date.",
     "身份证号中的出生日期无效。"),
    ("330106189912311230", "id_birth_date", "The birth date in this ID number is out of range.",
     "身份证号中的出生日期超出有效范围。"),
    (VALID[:17] + ("0" if VALID[17] != "0" else "1"), "id_checksum",
     "The check character of this ID number is wrong.", "身份证号校验位错误。"),
]


@pytest.mark.parametrize(("raw", "code", "english", "chinese"), REFUSALS, ids=[r[1] + ":" + r[0] for r in REFUSALS])
def test_each_refusal_tells_the_citizen_why_in_their_language(raw, code, english, chinese):
    # When a wrong number is parsed
    with pytest.raises(ValidationError) as caught:
        idnumbers.parse(raw, today=TODAY)
    # Then the code is machine-readable and the message is the precise one, in English and in Chinese
    assert caught.value.code == code
    with translation.override("en"):
        assert caught.value.messages == [english]
    with translation.override("zh-hans"):
        assert caught.value.messages == [chinese]


def test_an_empty_or_missing_number_is_refused_for_its_length():
    for raw in ("", None, "   "):
        with pytest.raises(ValidationError) as caught:
            idnumbers.parse(raw, today=TODAY)
        assert caught.value.code == "id_length"


def test_the_check_character_needs_exactly_17_digits():
    assert idnumbers.check_character(VALID[:17]) == VALID[17]
    for wrong in (VALID[:16], VALID[:17] + "1"):
        with pytest.raises(ValueError):
            idnumbers.check_character(wrong)


def test_the_keyed_hash_is_hmac_sha256_of_the_normalized_number(settings):
    settings.CITYCODE_ID_HASH_KEY = "a-test-key"
    number = "11010519491231002X"
    expected = hmac.new(b"a-test-key", number.encode(), hashlib.sha256).hexdigest()
    # The same for the number as typed with a lower-case x and spaces
    assert idnumbers.keyed_hash(number) == idnumbers.keyed_hash(" 11010519491231002x ") == expected
