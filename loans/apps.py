from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("Catalogue and loans")

    def ready(self) -> None:
        from core.pagecache import library_pages_watch, portal_pages_watch_all

        from .models import LoanRequest, Material, Shipment

        library_pages_watch(LoanRequest, library_id=lambda loan: loan.library_id)
        library_pages_watch(Shipment, library_id=lambda shipment: shipment.library_id)
        # Titles and holding sites show on every library's pages.
        portal_pages_watch_all(Material)
