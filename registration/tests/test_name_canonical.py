# ruff: noqa: RUF001  (names and User IDs as typed: full-width Latin)
"""The same library is the same library, however its name was typed or pasted.

Names compare by ``Library.name_key`` (``core.identifiers.name_key``: NFKC,
case-folded for every script, whitespace runs collapsed). The service
refuses a duplicate with a message; the named unique constraint
``registration_library_unique_name_key_country`` refuses it on any other path
(``objects.create()``, ``bulk_create()``), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import importlib
import unicodedata

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from core.errors import DomainError
from core.identifiers import name_key
from core.models import AuditEntry
from core.tests.factories import StaffFactory
from registration.models import Application, ChangeNotice, Library, LibraryStatus
from registration.tests.factories import ApplicantFactory, LibraryFactory
from registration.tests.test_services import notice, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


WIEN = "Universitätsbibliothek Wien"
WIEN_NFD = unicodedata.normalize("NFD", WIEN)  # as macOS pastes it


def test_the_issue_example_is_two_strings_that_look_the_same():
    assert WIEN_NFD != WIEN
    assert len(WIEN_NFD) == len(WIEN) + 1


@pytest.mark.parametrize(
    "again",
    [
        WIEN_NFD,
        WIEN.upper(),
        unicodedata.normalize("NFD", WIEN.upper()),
        "  universitätsbibliothek \u3000 wien ",
        "Universitätsbibliothek\u00a0Wien",
        "Ｕｎｉｖｅｒｓｉｔäｔｓｂｉｂｌｉｏｔｈｅｋ Ｗｉｅｎ",
    ],
)
def test_the_service_refuses_the_same_name_in_another_form(staff, again):
    record(staff, name=WIEN, country="AT")
    with pytest.raises(DomainError, match="has already applied or is registered") as caught:
        record(staff, name=again, country="AT")
    assert caught.value.code == "duplicate"
    assert Library.objects.count() == 1
    assert Application.objects.count() == 1
    assert AuditEntry.objects.filter(action="registration.application.record").count() == 1


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ("Российская государственная библиотека", "РОССИЙСКАЯ  ГОСУДАРСТВЕННАЯ БИБЛИОТЕКА"),
        ("Εθνική Βιβλιοθήκη της Ελλάδος", "ΕΘΝΙΚΉ ΒΙΒΛΙΟΘΉΚΗ ΤΗΣ ΕΛΛΆΔΟΣ"),
        ("Thư viện Quốc gia Việt Nam", unicodedata.normalize("NFD", "THƯ VIỆN QUỐC GIA VIỆT NAM")),
        ("서울대학교 중앙도서관", unicodedata.normalize("NFD", "서울대학교 중앙도서관")),
        ("Bibliothèque nationale de France", "BIBLIOTHÈQUE NATIONALE DE FRANCE"),
    ],
)
def test_every_script_compares_caselessly_and_in_one_unicode_form(staff, first, again):
    record(staff, name=first, country="FR")
    with pytest.raises(DomainError, match="has already applied or is registered"):
        record(staff, name=again, country="FR")


def test_the_same_name_in_another_country_is_another_library(staff):
    record(staff, name=WIEN, country="AT")
    record(staff, name=WIEN_NFD, country="DE")
    assert Library.objects.count() == 2


def test_a_rejected_library_may_apply_again_under_the_same_name(staff):
    ApplicantFactory(name=WIEN, country="AT", status=LibraryStatus.REJECTED)
    record(staff, name=WIEN_NFD, country="AT")
    assert Library.objects.filter(status=LibraryStatus.UNDER_REVIEW).count() == 1


def test_a_name_is_stored_composed_and_with_its_key(staff):
    application = record(staff, name=f"  {WIEN_NFD}   ", name_original=WIEN_NFD, country="AT")
    library = application.library
    library.refresh_from_db()
    assert library.name == WIEN
    assert library.name_original == WIEN
    assert library.name_key == "universitätsbibliothek wien"


def test_the_database_refuses_the_nfd_name_on_a_raw_create():
    LibraryFactory(name=WIEN, country="AT")
    with pytest.raises(IntegrityError), transaction.atomic():
        Library.objects.create(
            name=WIEN_NFD,
            country="AT",
            postal_address="Universitätsring 1\n1010 Wien",
            email="ill@ub.example.at",
            representative_director="x",
        )
    assert Library.objects.count() == 1


def test_the_database_refuses_it_on_a_bulk_create_too():
    ApplicantFactory(name=WIEN, country="AT")
    with pytest.raises(IntegrityError), transaction.atomic():
        Library.objects.bulk_create(
            [
                Library(
                    name=WIEN.upper(),
                    country="AT",
                    postal_address="x",
                    email="a@b.org",
                    representative_director="x",
                )
            ]
        )


def test_a_raw_create_fills_the_key_whatever_it_was_given():
    library = Library.objects.create(
        name=WIEN_NFD,
        name_key="anything",
        country="AT",
        postal_address="x",
        email="a@b.org",
        representative_director="x",
    )
    library.refresh_from_db()
    assert library.name_key == name_key(WIEN)


def test_a_notice_cannot_rename_into_another_library_in_another_form(staff):
    LibraryFactory(name=WIEN, country="AT")
    library = LibraryFactory(country="AT", user_id="ILL-AT-00002")
    with pytest.raises(DomainError, match="already registered or applying"):
        notice(staff, library, changes={"name": WIEN_NFD})
    assert not ChangeNotice.objects.exists()


def test_a_renaming_notice_moves_the_key(staff):
    library = LibraryFactory(name="Old Name", country="AT", user_id="ILL-AT-00003")
    notice(staff, library, changes={"name": WIEN_NFD})
    library.refresh_from_db()
    assert (library.name, library.name_key) == (WIEN, name_key(WIEN))
    # The old name is free again; the new one is taken in every form.
    record(staff, name="old name", country="AT")
    with pytest.raises(DomainError, match="has already applied or is registered"):
        record(staff, name=WIEN.lower(), country="AT")


def test_a_notice_quoting_the_user_id_as_typed_is_accepted(staff):
    library = LibraryFactory(country="AT", user_id="ILL-AT-00004")
    recorded = notice(
        staff,
        library,
        quoted_user_id="ｉｌｌ－ａｔ－００００４",  # typed with a Japanese input method
        changes={"fax": "+43 1 0000"},
    )
    assert recorded.quoted_user_id == "ILL-AT-00004"


def test_the_migration_fills_the_key_of_existing_libraries():
    library = LibraryFactory(name=WIEN_NFD, country="AT")
    Library.objects.filter(pk=library.pk).update(name_key="")
    migration = importlib.import_module("registration.migrations.0003_library_name_key")
    migration.fill_name_keys(apps, None)
    library.refresh_from_db()
    assert library.name_key == name_key(WIEN)
    assert migration.name_key(WIEN_NFD) == name_key(WIEN)  # the frozen copy agrees


def test_the_constraint_is_named():
    names = {c.name for c in Library._meta.constraints}
    assert "registration_library_unique_name_key_country" in names
