from __future__ import annotations

import datetime as dt

import factory

from catalogue.tests.factories import MaterialFactory
from core.models import Site, SiteCode
from loans.models import LoanRequest, LoanStatus, RequestChannel, Shipment
from registration.tests.factories import LibraryFactory


class LoanRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoanRequest

    library = factory.SubFactory(LibraryFactory)
    material = factory.SubFactory(MaterialFactory)
    status = LoanStatus.REQUESTED
    channel = RequestChannel.PORTAL


def s10_number(serial: int, country: str = "JP") -> str:
    from core.identifiers import s10_check_digit

    digits = f"{serial:08d}"
    return f"RR{digits}{s10_check_digit(digits)}{country}"


class ShipmentFactory(factory.django.DjangoModelFactory):
    """A parcel from Tokyo by registered air mail, not yet received."""

    class Meta:
        model = Shipment

    site = factory.LazyFunction(lambda: Site.objects.get(code=SiteCode.TOKYO))
    library = factory.SubFactory(LibraryFactory)
    tracking_number = factory.Sequence(lambda n: s10_number(10000000 + n))
    shipped_on = dt.date(2026, 3, 2)


class AcceptedLoanFactory(LoanRequestFactory):
    status = LoanStatus.ACCEPTED


class PackedLoanFactory(AcceptedLoanFactory):
    packed_at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC))
