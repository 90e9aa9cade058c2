"""Hide more of every stored ID number mask (see idnumbers.mask for why this much).

The keyed hash cannot be reversed, so the new mask is derived from the old one by hiding more: the old form
kept the six region digits and the last four; the new one keeps the first two and the last one.
"""

from django.db import migrations

HEAD, TAIL, LENGTH = 2, 1, 18


def remask(old: str) -> str:
    if len(old) != LENGTH:
        return old  # staff accounts hold no number
    return f"{old[:HEAD]}{'*' * (LENGTH - HEAD - TAIL)}{old[-TAIL:]}"


def forwards(apps, schema_editor):
    Citizen = apps.get_model("identity", "Citizen")
    for pk, old in Citizen.objects.exclude(id_masked="").values_list("pk", "id_masked").iterator():
        new = remask(old)
        if new != old:
            Citizen.objects.filter(pk=pk).update(id_masked=new)


class Migration(migrations.Migration):
    dependencies = [("identity", "0002_alter_apiclient_options_alter_authtoken_options_and_more")]

    # Not reversible: the hidden digits are gone, which is the point.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
