"""``Material`` now belongs to the ``catalogue`` app (see its 0001).

State only: the table is the catalogue's, renamed there; the foreign key of
``LoanRequest`` keeps its column and its rows and now names
``catalogue.Material``.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
        ("loans", "0009_pull_slip_batches"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="loanrequest",
                    name="material",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="loans",
                        to="catalogue.material",
                        verbose_name="material",
                    ),
                ),
                migrations.DeleteModel(name="Material"),
            ],
            database_operations=[],
        ),
    ]
