from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReturnsConfig(AppConfig):
    name = "returns"
    verbose_name = _("Returns, damage and loss")

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed

        from core.pagecache import library_pages_touch, library_pages_watch

        from .models import CheckIn, DamageCase, ReturnParcel

        library_pages_watch(ReturnParcel, library_id=lambda parcel: parcel.library_id)
        library_pages_watch(CheckIn, library_id=lambda check_in: check_in.loan.library_id)
        library_pages_watch(DamageCase, library_id=lambda case: case.loan.library_id)

        def parcel_loans_changed(sender: type, instance: Any, **kwargs: Any) -> None:
            library_pages_touch(library_ids=[getattr(instance, "library_id", None)])

        m2m_changed.connect(
            parcel_loans_changed,
            sender=ReturnParcel.loans.through,
            weak=False,
            dispatch_uid="pagecache.returns.returnparcel_loans",
        )
