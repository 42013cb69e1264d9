"""Factories for the shared kernel; each app has its own beside its tests."""

from __future__ import annotations

import factory

from core.models import BackupCode, BackupCodeDevice, Site, SiteCode, User


def site(code: str = SiteCode.KANSAI) -> Site:
    return Site.objects.get(code=code)


def backup_codes_give(user: User, *codes: str) -> BackupCodeDevice:
    """A confirmed backup-code device of ``user`` that accepts ``codes``, codes
    a test can type (the product issues random ones: ``backup_codes_issue``)."""
    device = BackupCodeDevice.objects.create(user=user, name="backup", confirmed=True)
    BackupCode.objects.bulk_create(BackupCode.for_code(device=device, code=c) for c in codes)
    return device


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@ndl.go.jp")
    is_staff = True
    is_superuser = True
    password = factory.django.Password("correct horse battery staple")
