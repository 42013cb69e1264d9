"""A parcel the post brings back undelivered is its own outcome; a receipt the
library never confirmed is assumed from the delivery date and reminded."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("loans", "0006_cap_trigger_isolation")]

    operations = [
        migrations.AlterField(
            model_name="loanrequest",
            name="status",
            field=models.CharField(
                choices=[
                    ("requested", "Requested"),
                    ("accepted", "Accepted, to be shipped"),
                    ("shipped", "Shipped"),
                    ("received", "Received by the library"),
                    ("overdue", "Overdue"),
                    ("return_shipped", "Return shipped"),
                    ("checked_in", "Returned and checked in"),
                    ("undelivered", "Returned undelivered by the post"),
                    ("lost", "Lost"),
                    ("loss_settled", "Loss settled"),
                    ("rejected", "Not lent"),
                    ("cancelled", "Cancelled"),
                ],
                default="requested",
                max_length=20,
                verbose_name="status",
            ),
        ),
        migrations.AlterField(
            model_name="shipment",
            name="receipt_channel",
            field=models.CharField(
                blank=True,
                choices=[
                    ("portal", "Confirmed in the portal"),
                    ("fax", "Receipt letter by fax"),
                    ("email", "Receipt letter by email"),
                    ("assumed", "Assumed from the delivery date"),
                ],
                max_length=10,
                verbose_name="receipt confirmed by",
            ),
        ),
        migrations.AddField(
            model_name="shipment",
            name="receipt_notices_sent",
            field=models.PositiveSmallIntegerField(
                default=0, verbose_name="missing receipt letter notices sent"
            ),
        ),
        migrations.AddField(
            model_name="shipment",
            name="undelivered_on",
            field=models.DateField(
                blank=True,
                db_index=True,
                null=True,
                verbose_name="brought back undelivered on",
            ),
        ),
        migrations.AddField(
            model_name="shipment",
            name="undelivered_note",
            field=models.TextField(blank=True, verbose_name="why the post brought it back"),
        ),
        migrations.AddConstraint(
            model_name="shipment",
            constraint=models.CheckConstraint(
                condition=models.Q(("undelivered_on__isnull", True))
                | models.Q(("undelivered_on__gte", models.F("shipped_on"))),
                name="loans_shipment_undelivered_after_shipped",
            ),
        ),
        migrations.AddConstraint(
            model_name="shipment",
            constraint=models.CheckConstraint(
                condition=models.Q(("undelivered_on__isnull", True))
                | models.Q(("received_on__isnull", True)),
                name="loans_shipment_undelivered_not_received",
            ),
        ),
    ]
