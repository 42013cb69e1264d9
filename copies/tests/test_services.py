"""Copy requests end to end through the services: every boundary of the
brief (fees by date, unpaid invoices by day, the nightly job run twice)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from catalogue.tests.factories import MaterialFactory
from copies.fees import fee_quote
from copies.models import (
    ColourMode,
    CopyChannel,
    CopyPolicy,
    CopyRequest,
    CopyStatus,
    FeeKind,
    FeeRate,
    Invoice,
    InvoiceStatus,
    PaperSize,
)
from copies.rules import Part, Reason
from copies.services.invoices import (
    invoice_block_clear,
    invoice_payment_record,
    invoice_write_off,
    invoices_unpaid_flag,
)
from copies.services.requests import (
    copy_dispatch,
    copy_pages_record,
    copy_request_accept,
    copy_request_cancel,
    copy_request_create,
    copy_request_preview,
    copy_request_refuse,
)
from core.errors import DomainError
from core.models import AuditEntry, OutgoingMail, Site, SiteCode
from core.tests.factories import StaffFactory
from loans.models import CAP_COUNTING_STATUSES, LoanRequest
from registration.tests.factories import LibraryFactory

from .factories import (
    AcceptedCopyFactory,
    BookFactory,
    CopiedCopyFactory,
    CopyRequestFactory,
    InvoiceFactory,
    fee_table,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 20)
PART = Part(pages_from=11, pages_to=40, research_declared=True)


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-03-20 10:00 +0900", tick=False)


@pytest.fixture
def fees(db: None) -> None:
    fee_table()


def _create(library=None, material=None, part: Part = PART, **kwargs):  # type: ignore[no-untyped-def]
    return copy_request_create(
        library=library or LibraryFactory(),
        material=material or BookFactory(),
        part=part,
        paper_size=kwargs.pop("paper_size", PaperSize.A4),
        colour=kwargs.pop("colour", ColourMode.MONOCHROME),
        channel=kwargs.pop("channel", CopyChannel.PORTAL),
        actor=None,
        **kwargs,
    )


# --- fees ------------------------------------------------------------------------


def test_the_quote_adds_pages_handling_and_postage_in_exact_yen(fees: None) -> None:
    quote = fee_quote(pages=30, paper_size="a4", colour="mono", country="US", on=TODAY)
    assert quote.copying_fee == Decimal("750.00")
    assert quote.handling_fee == Decimal("500.00")
    # 30 sheets of 4 g + 50 g of packing: the 250 g bracket.
    assert quote.weight_grams == 170
    assert quote.postage == Decimal("900.00")
    assert quote.total == Decimal("2150.00")
    assert isinstance(quote.total, Decimal)


def test_a_heavier_parcel_takes_the_next_weight_bracket(fees: None) -> None:
    quote = fee_quote(pages=51, paper_size="a4", colour="mono", country="US", on=TODAY)
    assert quote.weight_grams == 254
    assert quote.postage == Decimal("1400.00")


def test_a_fee_change_effective_tomorrow_does_not_alter_todays_quote(fees: None) -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    FeeRate.objects.create(
        kind=FeeKind.PAGE,
        effective_from=tomorrow,
        paper_size="a4",
        colour="mono",
        amount=Decimal("30"),
    )
    FeeRate.objects.create(kind=FeeKind.HANDLING, effective_from=tomorrow, amount=Decimal("600"))
    FeeRate.objects.create(
        kind=FeeKind.POSTAGE,
        effective_from=tomorrow,
        zone=2,
        up_to_grams=250,
        amount=Decimal("1000"),
    )
    today = fee_quote(pages=30, paper_size="a4", colour="mono", country="US", on=TODAY)
    assert today.total == Decimal("2150.00")
    later = fee_quote(pages=30, paper_size="a4", colour="mono", country="US", on=tomorrow)
    assert (later.copying_fee, later.handling_fee, later.postage) == (
        Decimal("900.00"),
        Decimal("600.00"),
        Decimal("1000.00"),
    )


def test_a_fee_that_took_effect_today_applies_today(fees: None) -> None:
    FeeRate.objects.create(kind=FeeKind.HANDLING, effective_from=TODAY, amount=Decimal("550.50"))
    quote = fee_quote(pages=30, paper_size="a4", colour="mono", country="US", on=TODAY)
    assert quote.handling_fee == Decimal("550.50")
    assert quote.total == Decimal("2200.50")


def test_colour_costs_its_own_rate(fees: None) -> None:
    quote = fee_quote(pages=10, paper_size="a4", colour="colour", country="US", on=TODAY)
    assert quote.copying_fee == Decimal("800.00")


def test_a_missing_fee_line_is_a_clear_refusal(db: None) -> None:
    with pytest.raises(DomainError) as exc:
        fee_quote(pages=10, paper_size="a4", colour="mono", country="US", on=TODAY)
    assert exc.value.code == "no_fee"
    fee_table()
    with pytest.raises(DomainError) as exc:  # no B4 line in the table
        fee_quote(pages=10, paper_size="b4", colour="mono", country="US", on=TODAY)
    assert exc.value.code == "no_fee"
    with pytest.raises(DomainError):  # no zone for Brazil
        fee_quote(pages=10, paper_size="a4", colour="mono", country="BR", on=TODAY)


def test_fee_lines_are_unique_per_thing_and_date(fees: None) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        FeeRate.objects.create(kind=FeeKind.HANDLING, effective_from=dt.date(2026, 1, 1), amount=1)


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": FeeKind.PAGE, "amount": 1},  # no size or colour
        {"kind": FeeKind.POSTAGE, "zone": 1, "amount": 1},  # no weight
        {"kind": FeeKind.HANDLING, "zone": 1, "amount": 1},  # a zone on handling
        {"kind": FeeKind.HANDLING, "amount": -1},
    ],
)
def test_malformed_fee_lines_are_refused_by_the_database(db: None, fields: dict) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        FeeRate.objects.create(effective_from=TODAY, **fields)


# --- requests --------------------------------------------------------------------


def test_a_portal_request_records_the_quote_and_is_audited(fees: None) -> None:
    copy = _create()
    assert copy.status == CopyStatus.REQUESTED
    assert copy.quoted_total == Decimal("2150.00")
    assert copy.quoted_on == TODAY
    entry = AuditEntry.objects.get(action="copies.copy_request.create")
    assert entry.object_id == str(copy.pk)


def test_a_refused_portal_request_writes_nothing_and_names_every_reason(fees: None) -> None:
    material = BookFactory(material_type="electronic_resource")
    CopyPolicy.objects.create(material=material, forbidden=True, forbidden_note="Rights")
    part = Part(pages_from=1, pages_to=10, research_declared=False)
    with pytest.raises(DomainError) as exc:
        _create(material=material, part=part)
    assert exc.value.code == "not_copiable"
    for words in ("study or research", "Electronic resources", "Rights"):
        assert words in exc.value.message
    assert not CopyRequest.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="copies.").exists()


def test_a_quote_that_changed_before_confirming_is_refused(fees: None) -> None:
    with pytest.raises(DomainError) as exc:
        _create(expected_total=Decimal("2000"))
    assert exc.value.code == "quote_changed"
    assert _create(expected_total=Decimal("2150")).pk


def test_a_faxed_form_that_breaks_the_rules_is_recorded_refused_and_the_library_told(
    fees: None,
) -> None:
    library = LibraryFactory(language="ja")
    part = Part(pages_from=1, pages_to=200, copies=2, research_declared=True)
    copy = _create(library=library, part=part, channel=CopyChannel.FAX, on_designated_form=True)
    assert copy.status == CopyStatus.REFUSED
    assert copy.refuse_codes == [Reason.ONE_COPY, Reason.MORE_THAN_HALF]
    mail = OutgoingMail.objects.get(dedupe_key=f"copy-request-refused:{copy.pk}")
    assert "1申込につき1部" in mail.body_text
    assert "200/300" in mail.body_text


def test_only_the_designated_form_is_keyed_in(fees: None) -> None:
    with pytest.raises(DomainError) as exc:
        _create(channel=CopyChannel.POST)
    assert exc.value.code == "not_designated_form"
    assert not CopyRequest.objects.exists()


def test_copies_do_not_count_toward_the_ten_item_loan_cap(fees: None) -> None:
    library = LibraryFactory()
    for _ in range(12):
        _create(library=library)
    assert CopyRequest.objects.filter(library=library).count() == 12
    assert (
        LoanRequest.objects.filter(library=library, status__in=CAP_COUNTING_STATUSES).count() == 0
    )


def test_a_material_not_loanable_can_still_be_copied(fees: None) -> None:
    serial = MaterialFactory(material_type="periodical", is_rare=True)
    part = Part(
        pages_from=5, pages_to=30, volume_issue="No. 4", article_title="A", research_declared=True
    )
    assert _create(material=serial, part=part).status == CopyStatus.REQUESTED


# --- unpaid invoices --------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_since_issue", "refused"),
    [(59, False), (60, False), (61, True)],
)
def test_unpaid_invoices_refuse_new_requests_one_day_past_the_limit(
    fees: None, settings, days_since_issue: int, refused: bool
) -> None:
    settings.NDL_COPY_PAYMENT_DAYS = 60
    library = LibraryFactory()
    InvoiceFactory(
        copy_request__library=library, issued_on=TODAY - dt.timedelta(days=days_since_issue)
    )
    preview = copy_request_preview(
        library=library, material=BookFactory(), part=PART, paper_size="a4", colour="mono"
    )
    assert (Reason.UNPAID_INVOICES in preview.check.codes) is refused
    if refused:
        with pytest.raises(DomainError) as exc:
            _create(library=library)
        assert "60" in exc.value.message
    else:
        assert _create(library=library).status == CopyStatus.REQUESTED


def test_staff_clearing_the_block_lets_the_library_ask_again(fees: None) -> None:
    library = LibraryFactory()
    invoice = InvoiceFactory(copy_request__library=library, issued_on=dt.date(2025, 12, 1))
    with pytest.raises(DomainError):
        _create(library=library)
    invoice_block_clear(invoice=invoice, actor=StaffFactory())
    assert _create(library=library).status == CopyStatus.REQUESTED
    with pytest.raises(DomainError):  # once is enough
        invoice_block_clear(invoice=invoice, actor=None)


def test_a_paid_or_written_off_invoice_blocks_nothing(fees: None) -> None:
    library = LibraryFactory()
    paid = InvoiceFactory(copy_request__library=library, issued_on=dt.date(2025, 12, 1))
    invoice_payment_record(
        invoice=paid, amount="2150", received_on=TODAY, method="bank_transfer", actor=None
    )
    gone = InvoiceFactory(copy_request__library=library, issued_on=dt.date(2025, 12, 1))
    invoice_write_off(invoice=gone, actor=None, note="Bank charges exceeded the amount")
    assert _create(library=library).pk


# --- payments --------------------------------------------------------------------


def test_partial_then_full_payment(db: None) -> None:
    invoice = InvoiceFactory()
    invoice_payment_record(
        invoice=invoice, amount="1000.50", received_on=TODAY, method="bank_transfer", actor=None
    )
    invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_amount) == (InvoiceStatus.PART_PAID, Decimal("1000.50"))
    with pytest.raises(DomainError) as exc:
        invoice_payment_record(
            invoice=invoice, amount="1150.00", received_on=TODAY, method="coupon", actor=None
        )
    assert exc.value.code == "overpaid"
    invoice_payment_record(
        invoice=invoice, amount="1149.50", received_on=TODAY, method="coupon", actor=None
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.closed_at is not None
    assert invoice.payments.count() == 2
    with pytest.raises(DomainError) as exc:
        invoice_payment_record(
            invoice=invoice, amount="1", received_on=TODAY, method="coupon", actor=None
        )
    assert exc.value.code == "closed"


@pytest.mark.parametrize(
    ("amount", "received_on", "method", "code"),
    [
        ("0", TODAY, "bank_transfer", "amount"),
        ("-5", TODAY, "bank_transfer", "amount"),
        ("lots", TODAY, "bank_transfer", "amount"),
        ("10", TODAY + dt.timedelta(days=1), "bank_transfer", "future"),
        ("10", dt.date(2026, 3, 3), "bank_transfer", "before_issue"),
        ("10", TODAY, "cheque", "method"),
    ],
)
def test_bad_payments_change_nothing(
    db: None, amount: str, received_on: dt.date, method: str, code: str
) -> None:
    invoice = InvoiceFactory()
    with pytest.raises(DomainError) as exc:
        invoice_payment_record(
            invoice=invoice, amount=amount, received_on=received_on, method=method, actor=None
        )
    assert exc.value.code == code
    invoice.refresh_from_db()
    assert invoice.paid_amount == 0 and not invoice.payments.exists()


def test_the_database_refuses_more_paid_than_owed(db: None) -> None:
    invoice = InvoiceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(paid_amount=Decimal("2150.01"))


# --- the workflow ----------------------------------------------------------------


def test_accept_copy_dispatch_invoices_the_pages_actually_copied(fees: None) -> None:
    staff = StaffFactory()
    copy = _create(library=LibraryFactory(language="ja"))
    copy_request_accept(request=copy, actor=staff)
    copy_pages_record(request=copy, actor=staff, pages=32)  # a fold-out counted twice
    invoice = copy_dispatch(request=copy, actor=staff)
    copy.refresh_from_db()
    assert copy.status == CopyStatus.DISPATCHED
    assert (invoice.pages, invoice.copying_fee, invoice.total) == (
        32,
        Decimal("800.00"),
        Decimal("2200.00"),
    )
    assert invoice.number == f"C2026-{copy.pk:06d}"
    mail = OutgoingMail.objects.get(dedupe_key=f"copy-dispatched:{copy.pk}")
    assert invoice.number in mail.subject
    assert "返却不要" in mail.body_text or "返却" in mail.body_text
    actions = list(
        AuditEntry.objects.filter(object_id=str(copy.pk), action__startswith="copies.copy_request")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "copies.copy_request.create",
        "copies.copy_request.accept",
        "copies.copy_request.record_copied",
        "copies.copy_request.dispatch",
    ]


def test_the_invoice_uses_the_fees_of_the_sending_day(fees: None) -> None:
    copy = CopiedCopyFactory()
    FeeRate.objects.create(kind=FeeKind.HANDLING, effective_from=TODAY, amount=Decimal("700"))
    invoice = copy_dispatch(request=copy, actor=None, sent_on=TODAY - dt.timedelta(days=1))
    assert invoice.handling_fee == Decimal("500.00")


def test_illegal_moves_are_refused_with_the_status(fees: None) -> None:
    copy = CopyRequestFactory()
    with pytest.raises(DomainError) as exc:
        copy_dispatch(request=copy, actor=None)
    assert exc.value.code == "not_allowed"
    copy_request_cancel(request=copy, actor=None)
    with pytest.raises(DomainError):
        copy_request_accept(request=copy, actor=None)


def test_accept_re_checks_the_rules(fees: None) -> None:
    copy = CopyRequestFactory()
    CopyPolicy.objects.create(material=copy.material, forbidden=True, forbidden_note="Mould")
    with pytest.raises(DomainError) as exc:
        copy_request_accept(request=copy, actor=None)
    assert "forbidden" in exc.value.message


def test_staff_give_the_extent_the_record_lacks(fees: None) -> None:
    copy = CopyRequestFactory(material=MaterialFactory(), pages_from=1, pages_to=100)
    with pytest.raises(DomainError):
        copy_request_accept(request=copy, actor=None, extent=199)
    copy_request_accept(request=copy, actor=None, extent=200)
    copy.refresh_from_db()
    assert copy.status == CopyStatus.ACCEPTED


def test_staff_of_another_site_cannot_work_a_copy(fees: None) -> None:
    kansai = StaffFactory(site=Site.objects.get(code=SiteCode.KANSAI), is_superuser=False)
    copy = AcceptedCopyFactory()  # held at Tokyo
    with pytest.raises(DomainError) as exc:
        copy_pages_record(request=copy, actor=kansai, pages=3)
    assert exc.value.code == "other_site"


def test_a_refusal_names_every_reason_in_the_librarys_language(fees: None) -> None:
    copy = CopyRequestFactory(library=LibraryFactory(language="ja"))
    copy_request_refuse(
        request=copy, actor=None, codes=[Reason.NOT_ON_SHELF, Reason.OTHER], note="製本中です"
    )
    mail = OutgoingMail.objects.get(dedupe_key=f"copy-request-refused:{copy.pk}")
    assert "書架に見当たりません" in mail.body_text
    assert "製本中です" in mail.body_text
    with pytest.raises(DomainError):
        copy_request_refuse(request=CopyRequestFactory(), actor=None, codes=[])


def test_the_database_keeps_one_copy_per_accepted_request(db: None) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        CopyRequestFactory(copies=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        CopyRequestFactory(research_declared=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        CopyRequestFactory(pages_from=20, pages_to=10)
    with pytest.raises(IntegrityError), transaction.atomic():
        CopyRequestFactory(status=CopyStatus.COPIED)  # no pages copied


# --- the nightly job ------------------------------------------------------------


def test_the_nightly_job_run_twice_sends_one_reminder(db: None, settings) -> None:
    settings.NDL_COPY_PAYMENT_DAYS = 60
    library = LibraryFactory()
    late = [
        InvoiceFactory(copy_request__library=library, issued_on=TODAY - dt.timedelta(days=61))
        for _ in range(2)
    ]
    on_time = InvoiceFactory(copy_request__library=library, issued_on=TODAY - dt.timedelta(days=60))
    assert invoices_unpaid_flag(today=TODAY) == (2, 1)
    assert invoices_unpaid_flag(today=TODAY) == (0, 0)
    mails = OutgoingMail.objects.filter(dedupe_key__startswith="copy-invoice-unpaid:")
    assert mails.count() == 1
    for invoice in late:
        assert invoice.number in mails.get().body_text
        invoice.refresh_from_db()
        assert invoice.unpaid_flagged_on == TODAY
    on_time.refresh_from_db()
    assert on_time.unpaid_flagged_on is None
    assert AuditEntry.objects.filter(action="copies.invoice.unpaid_flag").count() == 2


def _queries(today: dt.date) -> int:
    with CaptureQueriesContext(connection) as ctx:
        invoices_unpaid_flag(today=today)
    return len(ctx.captured_queries)


def test_the_nightly_job_costs_the_same_for_one_invoice_or_many(db: None) -> None:
    one, many = LibraryFactory(), LibraryFactory()
    InvoiceFactory(copy_request__library=one, issued_on=dt.date(2025, 1, 5))
    few = _queries(TODAY)
    for _ in range(8):
        InvoiceFactory(copy_request__library=many, issued_on=dt.date(2025, 1, 6))
    assert _queries(TODAY) == few


def test_the_task_and_the_command_run_the_same_job(db: None, settings) -> None:
    from io import StringIO

    from django.core.management import call_command

    from copies.tasks import copies_nightly_task

    settings.NDL_COPY_PAYMENT_DAYS = 60
    InvoiceFactory(issued_on=TODAY - dt.timedelta(days=61))
    out = StringIO()
    call_command("copies_nightly", "--date", TODAY.isoformat(), stdout=out)
    assert "1 flagged unpaid, 1 reminders queued" in out.getvalue()
    copies_nightly_task(TODAY.isoformat())  # nothing left to do
    assert OutgoingMail.objects.filter(dedupe_key__startswith="copy-invoice-unpaid:").count() == 1


def test_payments_write_offs_and_clearing_are_audited(db: None) -> None:
    staff = StaffFactory()
    paid = InvoiceFactory()
    invoice_payment_record(
        invoice=paid, amount="100", received_on=TODAY, method="coupon", actor=staff
    )
    gone = InvoiceFactory()
    invoice_block_clear(invoice=gone, actor=staff)
    invoice_write_off(invoice=gone, actor=staff, note="Library closed")
    actions = set(AuditEntry.objects.filter(actor=staff).values_list("action", flat=True))
    assert actions == {
        "copies.invoice.payment",
        "copies.invoice.block_clear",
        "copies.invoice.write_off",
    }
    with pytest.raises(DomainError):
        invoice_write_off(invoice=InvoiceFactory(), actor=staff, note=" ")


def test_a_faxed_form_from_a_library_that_owes_is_recorded_refused_with_the_reason(
    fees: None,
) -> None:
    library = LibraryFactory()
    InvoiceFactory(copy_request__library=library, issued_on=dt.date(2025, 12, 1))
    copy = _create(library=library, channel=CopyChannel.POST, on_designated_form=True)
    assert copy.status == CopyStatus.REFUSED
    assert copy.refuse_codes == [Reason.UNPAID_INVOICES]


def test_a_suspended_library_cannot_ask_for_copies(fees: None) -> None:
    from registration.models import LibraryStatus

    with pytest.raises(DomainError) as exc:
        _create(library=LibraryFactory(status=LibraryStatus.SUSPENDED))
    assert exc.value.code == "library_cannot_request"
