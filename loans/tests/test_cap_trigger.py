"""The database refuses an eleventh outstanding item, whoever writes it."""

import pytest
from django.db import IntegrityError, connection, transaction

from catalogue.tests.factories import MaterialFactory
from loans.models import CAP_COUNTING_STATUSES, LoanStatus
from loans.tests.factories import LoanRequestFactory
from registration.tests.factories import LibraryFactory


def _raw_insert(library, material, status="requested"):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO loans_loanrequest (library_id, material_id, status, channel, requested_at,"
            " reject_codes, reject_note, condition_on_receipt, overdue_notices_sent)"
            " VALUES (%s, %s, %s, 'portal', now(), '[]', '', '', 0)",
            [library.pk, material.pk, status],
        )


@pytest.mark.postgres
@pytest.mark.django_db
def test_raw_sql_cannot_insert_an_eleventh_outstanding_item():
    library = LibraryFactory()
    for _ in range(10):
        _raw_insert(library, MaterialFactory())
    with pytest.raises(IntegrityError, match="ten_item_cap"), transaction.atomic():
        _raw_insert(library, MaterialFactory())


@pytest.mark.postgres
@pytest.mark.django_db
def test_items_that_no_longer_count_leave_room():
    library = LibraryFactory()
    for _ in range(9):
        _raw_insert(library, MaterialFactory())
    for status in (LoanStatus.REJECTED, LoanStatus.CANCELLED):
        LoanRequestFactory(library=library, status=status)
    _raw_insert(library, MaterialFactory())  # the tenth
    with pytest.raises(IntegrityError), transaction.atomic():
        _raw_insert(library, MaterialFactory())


@pytest.mark.postgres
@pytest.mark.django_db
def test_reopening_a_closed_request_over_the_cap_is_refused():
    library = LibraryFactory()
    for _ in range(10):
        _raw_insert(library, MaterialFactory())
    closed = LoanRequestFactory(library=library, status=LoanStatus.CANCELLED)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE loans_loanrequest SET status='requested' WHERE id=%s", [closed.pk])


@pytest.mark.postgres
@pytest.mark.django_db
def test_moves_between_counting_statuses_are_not_blocked():
    library = LibraryFactory()
    for _ in range(10):
        _raw_insert(library, MaterialFactory())
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE loans_loanrequest SET status='accepted' WHERE library_id=%s", [library.pk]
        )
    assert library.loans.filter(status__in=CAP_COUNTING_STATUSES).count() == 10
