from __future__ import annotations

import datetime as dt

import factory

from registration.models import Application, Library, LibraryStatus


class LibraryFactory(factory.django.DjangoModelFactory):
    """A registered (active) library by default."""

    class Meta:
        model = Library

    name = factory.Sequence(lambda n: f"University Library {n}")
    country = "US"
    postal_address = "1 College Road\nSpringfield\nUSA"
    email = factory.Sequence(lambda n: f"ill{n}@library.example.org")
    representative_director = "Dr. Jane Smith"
    status = LibraryStatus.ACTIVE
    user_id = factory.Sequence(lambda n: f"ILL-US-{n + 1:05d}")
    registered_on = dt.date(2026, 1, 15)


class ApplicantFactory(LibraryFactory):
    """A library whose application is under review (no User ID yet)."""

    status = LibraryStatus.UNDER_REVIEW
    user_id = None
    registered_on = None


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    library = factory.SubFactory(ApplicantFactory)
    received_on = dt.date(2026, 10, 1)
    has_signed_application = True
    has_reading_room_picture = True
    has_leaflet = True
    signature_verified = True
