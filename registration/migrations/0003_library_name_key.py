"""Libraries compare by a canonical name key (NFKC, case-folded, spaces collapsed).

The key is filled for every existing library before the unique constraint
moves from ``lower(name)`` to it. Libraries that turn out to share a key with
another open or registered library in the same country (the same name typed
in another Unicode form or case) stop the migration with their names, for
staff to resolve first.
"""

import unicodedata

from django.db import migrations, models

import registration.models

CLOSED_STATUSES = ("rejected", "withdrawn")
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u2060\ufeff"))
NAME_DASHES = frozenset(
    "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043\u2796\ufe58\ufe63\uff0d"
    "\u02d7\u058a\u05be\u1806\u2e3a\u2e3b"
)


def name_key(value):
    # A frozen copy of core.identifiers.name_key, as it was when this ran.
    text = unicodedata.normalize("NFKC", value).translate(INVISIBLE)
    text = unicodedata.normalize("NFKC", text.casefold())
    text = "".join("-" if char in NAME_DASHES else char for char in text)
    return " ".join(text.split())


def fill_name_keys(apps, schema_editor):
    Library = apps.get_model("registration", "Library")
    seen = {}
    clashes = []
    for library in Library.objects.order_by("pk").only("pk", "name", "country", "status"):
        key = name_key(library.name)
        Library.objects.filter(pk=library.pk).update(name_key=key)
        if library.status in CLOSED_STATUSES:
            continue
        first = seen.setdefault((key, library.country), library)
        if first is not library:
            clashes.append(f"#{first.pk} {first.name!r} and #{library.pk} {library.name!r}")
    if clashes:
        raise RuntimeError(
            "These libraries are the same library under one name and country; merge or "
            "withdraw one of each pair, then migrate again: " + "; ".join(clashes)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("registration", "0002_registration_workflow"),
    ]

    operations = [
        migrations.AddField(
            model_name="library",
            name="name_key",
            field=registration.models.NameKeyField(
                default="", source="name", verbose_name="name as compared"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop, elidable=False),
        migrations.RemoveConstraint(
            model_name="library",
            name="registration_library_unique_name_country",
        ),
        migrations.AddConstraint(
            model_name="library",
            constraint=models.UniqueConstraint(
                fields=("name_key", "country"),
                condition=models.Q(("status__in", CLOSED_STATUSES), _negated=True),
                name="registration_library_unique_name_key_country",
                violation_error_message="This library is already registered or applying.",
            ),
        ),
    ]
