"""The number of the last overdue notice a library got about each loan, as a
counter on the loan instead of a count of audit entries.

Filled from the audit entries each notice wrote (``loan.overdue_notice``),
never more than the schedule steps reached.
"""

from django.db import migrations, models
from django.db.models import CharField, Count, F, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Least


def numbers_fill(apps, schema_editor):
    LoanRequest = apps.get_model("loans", "LoanRequest")
    AuditEntry = apps.get_model("core", "AuditEntry")
    notices = (
        AuditEntry.objects.filter(
            action="loan.overdue_notice",
            object_type="loans.loanrequest",
            object_id=Cast(OuterRef("pk"), CharField()),
        )
        .order_by()
        .values("object_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    LoanRequest.objects.filter(overdue_notices_sent__gt=0).update(
        overdue_notice_number=Least(
            Coalesce(Subquery(notices), Value(0)), F("overdue_notices_sent")
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_backup_codes"),
        ("loans", "0010_material_moves_to_catalogue"),
    ]

    operations = [
        migrations.AddField(
            model_name="loanrequest",
            name="overdue_notice_number",
            field=models.PositiveSmallIntegerField(
                db_default=0, default=0, verbose_name="last overdue notice number"
            ),
        ),
        migrations.RunPython(numbers_fill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="loanrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(overdue_notice_number__lte=models.F("overdue_notices_sent")),
                name="loans_loanrequest_notice_number_within_steps",
            ),
        ),
    ]
