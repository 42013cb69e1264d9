"""Documents sent to a library are drawn in the library's language, whatever
language the staff member who prints them uses."""

import io

import pytest
from django.utils import translation
from pypdf import PdfReader

from loans.pdf.shipping import LoanSlip, ToBorrowers
from returns.pdf import ReturnAddressLabel
from returns.tests.factories import ShippedLoanFactory


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.django_db
@pytest.mark.parametrize("document", [LoanSlip, ToBorrowers])
def test_an_english_library_gets_english_slips_from_japanese_staff(document):
    loan = ShippedLoanFactory(library__language="en")
    with translation.override("ja"):
        text = _text(document(shipment=loan.shipment, loans=[loan]).render())
    assert "Tokyo Main Library" in text
    assert "東京本館" not in text


@pytest.mark.django_db
def test_a_japanese_library_gets_japanese_slips():
    loan = ShippedLoanFactory(library__language="ja")
    text = _text(ToBorrowers(shipment=loan.shipment, loans=[loan]).render())
    assert "東京本館" in text
    assert "Receipt Letter of the Loan Material" not in text


@pytest.mark.django_db
def test_the_return_label_is_always_in_english():
    loan = ShippedLoanFactory(library__language="ja")
    with translation.override("ja"):
        text = _text(ReturnAddressLabel(site=loan.shipment.site, library=loan.library).render())
    assert "Loan Service Section, Book Service Division" in text
    assert "100-8924 JAPAN" in text


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "ja"])
def test_to_borrowers_says_the_library_bears_only_the_return_postage(language):
    # The seed's "Fee of loan": the requesting library bears only the return postage.
    loan = ShippedLoanFactory(library__language=language)
    text = "".join(_text(ToBorrowers(shipment=loan.shipment, loans=[loan]).render()).split())
    expected = (
        "Your library bears only the return postage"
        if language == "en"
        else "貴館のご負担は返送の郵送料のみです"
    )
    assert "".join(expected.split()) in text


@pytest.mark.django_db
def test_the_loan_slip_says_loans_are_not_extended():
    loan = ShippedLoanFactory(library__language="en", shipment__received_on=None)
    text = " ".join(_text(LoanSlip(shipment=loan.shipment, loans=[loan]).render()).split())
    assert "no extensions" in text or "Loans are not extended" in text
