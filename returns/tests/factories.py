from __future__ import annotations

import datetime as dt

import factory

from loans.duedates import due_date_for
from loans.models import LoanStatus
from loans.tests.factories import LoanRequestFactory, ShipmentFactory
from returns.models import CaseKind, DamageCase


class HeldLoanFactory(LoanRequestFactory):
    """An item the library received on 2026-03-10 (due 2026-04-10)."""

    status = LoanStatus.RECEIVED
    shipment = factory.SubFactory(
        ShipmentFactory,
        library=factory.SelfAttribute("..library"),
        site=factory.SelfAttribute("..material.site"),
        received_on=factory.SelfAttribute("..received_on"),
    )
    received_on = dt.date(2026, 3, 10)
    due_on = factory.LazyAttribute(lambda o: due_date_for(received_on=o.received_on))


class ShippedLoanFactory(LoanRequestFactory):
    status = LoanStatus.SHIPPED
    shipment = factory.SubFactory(
        ShipmentFactory,
        library=factory.SelfAttribute("..library"),
        site=factory.SelfAttribute("..material.site"),
    )


class DamageCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DamageCase

    loan = factory.SubFactory(HeldLoanFactory)
    kind = CaseKind.DAMAGE
    reported_by_library = True
    reported_on = dt.date(2026, 3, 15)
    description = "Water damage to the cover."
