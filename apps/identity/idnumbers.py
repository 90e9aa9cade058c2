"""Resident identity numbers (GB 11643-1999): validation, keyed hashing and masking.

The plain number lives only for the length of a request: it is validated, hashed with a keyed HMAC
(so departments' lists can be matched) and masked for display. It is never stored or logged.
"""

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# ISO 7064 MOD 11-2 weights for positions 1..17 and the check character for each remainder.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_FORMAT = re.compile(r"^[0-9]{17}[0-9X]$")

# Province-level codes of GB/T 2260 (first two digits).
PROVINCES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)


@dataclass(frozen=True)
class ResidentId:
    number: str  # normalized: 18 characters, upper-case X
    region: str
    birth_date: dt.date
    sex: str  # "M" or "F", from the parity of the sequence code

    @property
    def masked(self) -> str:
        return mask(self.number)


def check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def parse(raw: str, *, today: dt.date | None = None) -> ResidentId:
    """Validate a resident ID number; raise ValidationError with a precise code."""
    number = (raw or "").strip().upper()
    if len(number) != 18:
        raise ValidationError(_("An ID number has 18 characters."), code="id_length")
    if not _FORMAT.match(number):  # ASCII only: str.isdigit() would let "²" or full-width digits through
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or X."), code="id_format"
        )
    region = number[:6]
    if region[:2] not in PROVINCES or region[2:] == "0000":
        raise ValidationError(_("The region code of this ID number does not exist."), code="id_region")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date in this ID number is not a date."), code="id_birth_date") from None
    today = today or dt.date.today()
    if birth.year < 1900 or birth > today:
        raise ValidationError(_("The birth date in this ID number is out of range."), code="id_birth_date")
    if check_character(number[:17]) != number[17]:
        raise ValidationError(_("The check character of this ID number is wrong."), code="id_checksum")
    return ResidentId(
        number=number, region=region, birth_date=birth, sex="M" if int(number[16]) % 2 else "F"
    )


def keyed_hash(number: str) -> str:
    """HMAC-SHA256 of the normalized number under CITYCODE_ID_HASH_KEY, hex encoded."""
    normalized = number.strip().upper()
    return hmac.new(
        settings.CITYCODE_ID_HASH_KEY.encode(), normalized.encode(), hashlib.sha256
    ).hexdigest()


# What the masked form keeps, and why so little. The birth date is stored in plain text (age rules need the
# day: PIPL's under-14 line, the guardian and carer rules), so the mask must hide everything else that
# would complete the number. Keeping the province (2 digits) and the check character (1) leaves an attacker
# who reads every plaintext column (name, phone, birth date, mask) with: the county part of the region
# (GB/T 2260 lists about 16 to 200 county codes per province, more counting retired codes) times 1,000
# sequence numbers, of which the known check character passes one in eleven: about 1,500 candidates in the
# smallest province (16 districts) and 9,000 to 18,000 in a typical one. None can be confirmed offline: the
# only stored function of the number is the keyed hash, whose key is not in the database, and registration
# answers the same whether a number exists or not. The old form (6 + 4 characters) plus the birth date left
# exactly one candidate.
MASK_KEEP_HEAD = 2
MASK_KEEP_TAIL = 1


def mask(number: str) -> str:
    """33***************4: province and check character kept; region, birth date and sequence hidden."""
    hidden = len(number) - MASK_KEEP_HEAD - MASK_KEEP_TAIL
    return f"{number[:MASK_KEEP_HEAD]}{'*' * hidden}{number[-MASK_KEEP_TAIL:]}"
