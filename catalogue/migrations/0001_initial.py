"""The catalogue's materials move here from ``loans``, keeping every row.

Django's documented way to move a model between apps: this migration takes
over ``loans.Material``'s table in the migration state only (no SQL), then
renames the table to ``catalogue_material`` and its check constraint to
``catalogue_material_exclusion_has_note``; ``loans`` 0010 drops the model from
its own state and points ``LoanRequest.material`` here. The content type
(and with it the staff's permissions and the admin history) moves along.
"""

import django.db.models.deletion
from django.db import migrations, models


def content_type_move(apps, schema_editor, *, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    if ContentType.objects.using(db).filter(app_label=new, model="material").exists():
        return
    ContentType.objects.using(db).filter(app_label=old, model="material").update(app_label=new)


def forwards(apps, schema_editor):
    content_type_move(apps, schema_editor, old="loans", new="catalogue")


def backwards(apps, schema_editor):
    content_type_move(apps, schema_editor, old="catalogue", new="loans")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0005_backup_codes"),
        ("loans", "0009_pull_slip_batches"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Material",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "ndl_id",
                            models.CharField(
                                max_length=20, unique=True, verbose_name="NDL bibliographic ID"
                            ),
                        ),
                        ("title", models.CharField(max_length=500, verbose_name="title")),
                        (
                            "responsibility",
                            models.CharField(
                                blank=True, max_length=300, verbose_name="author / responsibility"
                            ),
                        ),
                        (
                            "publisher",
                            models.CharField(blank=True, max_length=300, verbose_name="publisher"),
                        ),
                        (
                            "year",
                            models.PositiveSmallIntegerField(
                                blank=True, null=True, verbose_name="year of publication"
                            ),
                        ),
                        (
                            "isbn",
                            models.CharField(
                                blank=True, db_index=True, max_length=17, verbose_name="ISBN"
                            ),
                        ),
                        (
                            "language",
                            models.CharField(
                                choices=[("japanese", "Japanese"), ("foreign", "Foreign")],
                                max_length=10,
                                verbose_name="language category",
                            ),
                        ),
                        (
                            "material_type",
                            models.CharField(
                                choices=[
                                    ("book", "Book"),
                                    ("serial", "Serial"),
                                    ("newspaper", "Newspaper"),
                                    ("periodical", "Periodical"),
                                    ("doctoral_dissertation", "Doctoral dissertation"),
                                    ("single_sheet_map", "Single-sheet map"),
                                    ("electronic_resource", "Electronic resource"),
                                    ("music_score", "Music score"),
                                    ("phonographic_record", "Phonographic record"),
                                    ("microfilm", "Microfilm"),
                                    ("microfiche", "Microfiche"),
                                ],
                                default="book",
                                max_length=30,
                                verbose_name="material type",
                            ),
                        ),
                        ("acquired_on", models.DateField(verbose_name="acquisition date")),
                        (
                            "call_number",
                            models.CharField(blank=True, max_length=60, verbose_name="call number"),
                        ),
                        (
                            "is_digitized",
                            models.BooleanField(default=False, verbose_name="digitized"),
                        ),
                        (
                            "is_deteriorated",
                            models.BooleanField(
                                default=False, verbose_name="deteriorated (acidic, etc.)"
                            ),
                        ),
                        (
                            "is_rare",
                            models.BooleanField(default=False, verbose_name="rare or precious"),
                        ),
                        (
                            "unsuitable",
                            models.CharField(
                                blank=True,
                                choices=[
                                    ("", "Suitable"),
                                    ("large_sized", "Large-sized book"),
                                    ("reference", "Reference book"),
                                    ("pamphlet", "Pamphlet"),
                                ],
                                default="",
                                max_length=20,
                                verbose_name="unsuitable for lending",
                            ),
                        ),
                        (
                            "is_collection",
                            models.BooleanField(
                                default=False, verbose_name="document considered as a collection"
                            ),
                        ),
                        (
                            "market_available",
                            models.BooleanField(
                                default=False, verbose_name="easily obtainable on the market"
                            ),
                        ),
                        (
                            "is_amusement",
                            models.BooleanField(default=False, verbose_name="book for amusement"),
                        ),
                        (
                            "staff_excluded",
                            models.BooleanField(default=False, verbose_name="excluded by staff"),
                        ),
                        (
                            "staff_note",
                            models.TextField(
                                blank=True, verbose_name="staff's reason for excluding"
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
                        (
                            "site",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="core.site",
                                verbose_name="holding site",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "material",
                        "verbose_name_plural": "materials",
                        "ordering": ["ndl_id"],
                        "db_table": "loans_material",
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("staff_excluded", False),
                                    models.Q(("staff_note", ""), _negated=True),
                                    _connector="OR",
                                ),
                                name="loans_material_exclusion_has_note",
                                violation_error_message="Say why staff excluded this material.",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="material", table=None),
        migrations.RemoveConstraint(
            model_name="material", name="loans_material_exclusion_has_note"
        ),
        migrations.AddConstraint(
            model_name="material",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("staff_excluded", False),
                    models.Q(("staff_note", ""), _negated=True),
                    _connector="OR",
                ),
                name="catalogue_material_exclusion_has_note",
                violation_error_message="Say why staff excluded this material.",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
