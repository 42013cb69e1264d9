"""Catalogue search: the normalised text every material is found by and, on
PostgreSQL, the GIN-indexed tsvector of its bigrams and words.

The tsvector column and its index are PostgreSQL's own (SQLite has no such
type; it searches the normalised text alone), so they are created here by SQL
and are not fields of the model. Existing materials are indexed.
"""

from django.db import migrations, models


def create_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("ALTER TABLE catalogue_material ADD COLUMN search_vector tsvector")
    schema_editor.execute(
        "CREATE INDEX catalogue_material_search_gin ON catalogue_material USING gin (search_vector)"
    )
    # The head index: common words are answered from the first HEAD_IDS materials
    # (catalogue.selectors_search); the number is the one the selector uses.
    schema_editor.execute(
        "CREATE INDEX catalogue_material_search_head ON catalogue_material "
        "USING gin (search_vector) WHERE id <= 250000"
    )


def drop_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS catalogue_material_search_head")
    schema_editor.execute("DROP INDEX IF EXISTS catalogue_material_search_gin")
    schema_editor.execute("ALTER TABLE catalogue_material DROP COLUMN IF EXISTS search_vector")


def index_existing(apps, schema_editor):
    from catalogue.services.search_index import INDEXED_FIELDS, material_index_text, write_index

    Material = apps.get_model("catalogue", "Material")
    batch = []
    for row in Material.objects.order_by("pk").values("pk", *INDEXED_FIELDS).iterator(2000):
        batch.append((row["pk"], material_index_text(row)))
        if len(batch) == 2000:
            write_index(schema_editor.connection, batch)
            batch = []
    write_index(schema_editor.connection, batch)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0002_material_ndl_record_fields")]

    operations = [
        migrations.AddField(
            model_name="material",
            name="search_title",
            field=models.TextField(
                blank=True, default="", editable=False, verbose_name="title as searched"
            ),
        ),
        migrations.AddField(
            model_name="material",
            name="search_names",
            field=models.TextField(
                blank=True,
                default="",
                editable=False,
                verbose_name="authors and publisher as searched",
            ),
        ),
        migrations.RunPython(create_search_vector, drop_search_vector, elidable=False),
        migrations.RunPython(index_existing, migrations.RunPython.noop, elidable=False),
    ]
