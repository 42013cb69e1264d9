"""Shipments and held loans in the states the nightly jobs look at."""

from __future__ import annotations

import datetime as dt

import factory

from core.models import Site, SiteCode
from loans.models import LoanStatus, Shipment
from loans.tests.factories import LoanRequestFactory
from registration.tests.factories import LibraryFactory


class NightlyShipmentFactory(factory.django.DjangoModelFactory):
    """A parcel from Tokyo, shipped, delivery not yet tracked."""

    class Meta:
        model = Shipment

    site = factory.LazyFunction(lambda: Site.objects.get(code=SiteCode.TOKYO))
    library = factory.SubFactory(LibraryFactory)
    tracking_number = factory.Sequence(lambda n: f"RR{n:09d}JP")
    shipped_on = dt.date(2026, 4, 1)


class HeldLoanFactory(LoanRequestFactory):
    """A loan the library has received; due back ``due_on``."""

    status = LoanStatus.RECEIVED
    shipment = factory.SubFactory(
        NightlyShipmentFactory,
        library=factory.SelfAttribute("..library"),
        delivered_on=dt.date(2026, 4, 10),
        received_on=dt.date(2026, 4, 10),
        receipt_letter_on=dt.date(2026, 4, 11),
    )
    received_on = dt.date(2026, 4, 10)
    due_on = dt.date(2026, 5, 10)
