from __future__ import annotations

import datetime as dt

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from registration.models import (
    Application,
    ChangeNotice,
    Correspondence,
    LetterDirection,
    Library,
    LibraryStatus,
    NoticeChannel,
)


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


class InfoRequestedApplicationFactory(ApplicationFactory):
    """An application waiting for the library's answer to a letter."""

    class Meta:
        skip_postgeneration_save = True

    library = factory.SubFactory(ApplicantFactory, status=LibraryStatus.INFO_REQUESTED)
    letter = factory.RelatedFactory(
        "registration.tests.factories.CorrespondenceFactory", factory_related_name="application"
    )


class CorrespondenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Correspondence

    application = factory.SubFactory(ApplicationFactory)
    direction = LetterDirection.TO_LIBRARY
    dated = dt.date(2026, 10, 10)
    summary = "Please describe the conditions for using your scanner."


class ChangeNoticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeNotice

    library = factory.SubFactory(LibraryFactory)
    received_on = dt.date(2026, 2, 1)
    channel = NoticeChannel.LETTER
    quoted_user_id = factory.LazyAttribute(lambda o: o.library.user_id)
    changes = factory.LazyAttribute(lambda o: {"phone": ["", "+1 555 0100"]})


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def upload(name: str = "application.pdf", content: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")
