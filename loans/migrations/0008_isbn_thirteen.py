"""Stored ISBNs become the one key search uses: the compact ISBN-13.

An ISBN-10 is converted to its ISBN-13 and a full-width or hyphenated one is
compacted, so a book is found by either form. A stored value with a wrong
check digit cannot be converted; it is only compacted (NFKC, no spaces or
dashes), which still finds it by the digits typed.
"""

import unicodedata

from django.db import migrations
from stdnum import isbn

DASHES_AND_SPACES = dict.fromkeys(
    map(ord, "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70 \u00a0\u3000\t")
)
BATCH = 2000


def isbn_key(value):
    number = unicodedata.normalize("NFKC", value).translate(DASHES_AND_SPACES).upper()
    if isbn.is_valid(number):
        return isbn.compact(number, convert=True)
    return number


def forwards(apps, schema_editor):
    Material = apps.get_model("loans", "Material")
    changed = []
    for material in Material.objects.exclude(isbn="").only("pk", "isbn").iterator(BATCH):
        key = isbn_key(material.isbn)
        if key != material.isbn:
            material.isbn = key
            changed.append(material)
        if len(changed) >= BATCH:
            Material.objects.bulk_update(changed, ["isbn"])
            changed = []
    Material.objects.bulk_update(changed, ["isbn"])


class Migration(migrations.Migration):
    dependencies = [("loans", "0007_undelivered_and_assumed_receipt")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
