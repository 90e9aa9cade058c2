"""Finding 1: no combination of stored plaintext columns rebuilds a resident ID number."""

import importlib
import pathlib

import pytest
from django.db import connection

from apps.identity import idnumbers
from apps.identity.models import Citizen
from tests.conftest import valid_id_number

pytestmark = pytest.mark.django_db

# Columns an attacker who reads the table sees in plain text (id_hash is keyed; its key is not in the database).
PLAINTEXT = ("username", "name", "id_masked", "birth_date", "phone", "real_name_method")


def _known_positions(row: dict) -> dict[int, str]:
    """Every position of the 18-character number an attacker can fill from the row's plaintext columns."""
    known = {i: ch for i, ch in enumerate(row["id_masked"]) if ch != "*"}
    if row["birth_date"]:
        for offset, ch in enumerate(str(row["birth_date"]).replace("-", "")):
            known[6 + offset] = ch
    for value in (row["username"], row["phone"]):  # a 17- or 18-digit login would be the number itself
        if value and len(value) >= 17:
            known.update(enumerate(value))
    return known


def test_the_plaintext_columns_leave_the_region_and_sequence_unknown(make_citizen):
    # Given a registered citizen
    number = valid_id_number(region="330106", birth="19900307", sequence="246")
    citizen = make_citizen(id_number=number)

    # When an attacker reads every plaintext column of the citizen's row
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(PLAINTEXT)} FROM identity_citizen WHERE id = %s", [citizen.pk])  # noqa: S608
        row = dict(zip(PLAINTEXT, cursor.fetchone(), strict=True))
    known = _known_positions(row)

    # Then the county part of the region (positions 2-5) and the sequence (14-16) stay unknown: at least
    # 10^7 / 11 digit strings fit what is stored (before the fix only the 8 birth-date digits were hidden,
    # and the birth date column filled them in)
    unknown = [i for i in range(17) if i not in known]
    assert unknown == [2, 3, 4, 5, 14, 15, 16]
    assert number[:17] not in "".join(str(v) for v in row.values())


def test_the_mask_keeps_the_province_and_the_check_character_only():
    assert idnumbers.mask("330106199003071236") == "33***************6"
    assert len(idnumbers.mask("11010519491231002X")) == 18


def _remask_migration():
    path = next(pathlib.Path(__file__).parents[2].glob("apps/identity/migrations/*_remask_id_numbers.py"))
    return importlib.import_module(f"apps.identity.migrations.{path.stem}")


@pytest.mark.parametrize(
    ("old", "new"),
    [("330106********1236", "33***************6"), ("110105********002X", "11***************X"),
     ("33***************6", "33***************6"), ("", "")],
)
def test_the_data_migration_hides_more_of_masks_already_stored(old, new):
    # Given masks stored before the fix (region and last four kept), new ones, and an empty one (staff)
    # When the migration derives the new mask from the stored one (the keyed hash cannot be reversed)
    # Then the old masks lose the county and the sequence, and the others are left as they are
    assert _remask_migration().remask(old) == new


def test_the_data_migration_rewrites_stored_rows(make_citizen):
    # Given a row that still holds an old-style mask
    citizen = make_citizen(id_number=valid_id_number(region="330106", birth="19900307", sequence="246"))
    Citizen.objects.filter(pk=citizen.pk).update(id_masked="330106********2465")

    # When the migration's forward step runs
    from django.apps import apps as global_apps

    _remask_migration().forwards(global_apps, None)

    # Then the row holds the new form
    citizen.refresh_from_db()
    assert citizen.id_masked == "33***************5"
