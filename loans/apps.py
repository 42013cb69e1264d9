from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("Loans")

    def ready(self) -> None:
        from core.pagecache import library_pages_watch

        from .models import LoanRequest, Shipment

        library_pages_watch(LoanRequest, library_id=lambda loan: loan.library_id)
        library_pages_watch(Shipment, library_id=lambda shipment: shipment.library_id)
