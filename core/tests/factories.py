"""Factories for the shared kernel; each app has its own beside its tests."""

from __future__ import annotations

import factory

from core.models import Site, SiteCode, User


def site(code: str = SiteCode.KANSAI) -> Site:
    return Site.objects.get(code=code)


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@ndl.go.jp")
    is_staff = True
    is_superuser = True
    password = factory.django.Password("correct horse battery staple")
