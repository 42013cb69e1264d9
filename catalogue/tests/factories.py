from __future__ import annotations

import datetime as dt
from typing import Any

import factory

from catalogue.models import LanguageCategory, Material
from catalogue.services.search_index import material_search_vector_update
from core.models import Site, SiteCode


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

    @classmethod
    def _create(cls, model_class: type[Material], *args: Any, **kwargs: Any) -> Material:
        # Indexed for search, as every service that writes a material leaves it.
        material = super()._create(model_class, *args, **kwargs)
        material_search_vector_update(material_ids=[material.pk])
        return material
