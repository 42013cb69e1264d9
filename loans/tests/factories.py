from __future__ import annotations

import datetime as dt

import factory

from core.models import Site, SiteCode
from loans.models import LanguageCategory, LoanRequest, LoanStatus, Material, RequestChannel
from registration.tests.factories import LibraryFactory


class MaterialFactory(factory.django.DjangoModelFactory):
    """A loanable Japanese book held at Tokyo by default."""

    class Meta:
        model = Material

    ndl_id = factory.Sequence(lambda n: f"{100000000 + n}")
    title = factory.Sequence(lambda n: f"Nihon no toshokan {n}")
    responsibility = "Yamada Taro"
    publisher = "Example Shuppan"
    year = 2005
    language = LanguageCategory.JAPANESE
    acquired_on = dt.date(2006, 4, 1)
    site = factory.LazyFunction(lambda: Site.objects.get(code=SiteCode.TOKYO))
    call_number = factory.Sequence(lambda n: f"UA1-{n}")


class LoanRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoanRequest

    library = factory.SubFactory(LibraryFactory)
    material = factory.SubFactory(MaterialFactory)
    status = LoanStatus.REQUESTED
    channel = RequestChannel.PORTAL
