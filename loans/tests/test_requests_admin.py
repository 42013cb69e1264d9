import io

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from catalogue.tests.factories import MaterialFactory
from core.tests.factories import StaffFactory
from loans.models import LoanRequest, LoanStatus, RequestChannel
from loans.pdf.letters import RefusalLetter
from loans.services.requests import loan_request_reject
from loans.tests.factories import LoanRequestFactory
from registration.models import Language
from registration.tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db

NDL_WORDING = "We cannot accept any form other than the designated request form."


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return client


def test_the_changelist_selects_related_rows(staff, django_assert_max_num_queries):
    LoanRequestFactory.create_batch(30)
    with django_assert_max_num_queries(12):
        response = staff.get(reverse("admin:loans_loanrequest_changelist"))
    assert response.status_code == 200
    assert "Key in a fax or post request" in response.content.decode()


def test_the_material_admin_shows_why_not_loanable(staff):
    m = MaterialFactory(unsuitable="reference")
    response = staff.get(reverse("admin:catalogue_material_change", args=[m.pk]))
    assert "reference book" in response.content.decode()
    assert staff.get(reverse("admin:catalogue_material_changelist")).status_code == 200


def test_a_material_edit_is_audited(staff):
    from core.models import AuditEntry

    m = MaterialFactory()
    url = reverse("admin:catalogue_material_change", args=[m.pk])
    data = {
        "ndl_id": m.ndl_id,
        "title": "New title",
        "language": m.language,
        "acquired_on": "2006-04-01",
        "material_type": "book",
        "site": m.site_id,
        "staff_excluded": "on",
        "staff_note": "",
    }
    response = staff.post(url, data)
    assert response.status_code == 200  # the exclusion needs a note
    assert "Say why staff excluded this material." in response.content.decode()
    data["staff_note"] = "Kept for exhibition"
    assert staff.post(url, data).status_code == 302
    m.refresh_from_db()
    assert m.staff_excluded
    assert AuditEntry.objects.get(action="catalogue.material.update").data["changed"]


def _key_in(staff, **overrides):
    library = overrides.pop("library", None) or LibraryFactory()
    m = MaterialFactory()
    data = {
        "user_id": library.user_id,
        "channel": RequestChannel.FAX,
        "on_designated_form": "on",
        "ndl_ids": f"{m.ndl_id}\n",
        **overrides,
    }
    return staff.post(reverse("admin:loans_loanrequest_key_in"), data), library


def test_staff_key_in_a_faxed_request_on_the_designated_form(staff):
    response, library = _key_in(staff)
    assert response.status_code == 302
    loan = LoanRequest.objects.get(library=library)
    assert loan.channel == RequestChannel.FAX
    assert loan.requested_by is not None


def test_a_request_on_any_other_form_is_refused(staff):
    response, _library = _key_in(staff, on_designated_form="")
    assert response.status_code == 200
    assert NDL_WORDING in response.content.decode()
    assert not LoanRequest.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"user_id": "NOPE"}, "No registered library has this User ID."),
        ({"ndl_ids": " "}, "This field is required."),
        ({"channel": "email"}, "Select a valid choice."),
    ],
)
def test_key_in_bad_input(staff, overrides, message):
    response, _ = _key_in(staff, **overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not LoanRequest.objects.exists()


def test_key_in_respects_the_cap(staff):
    library = LibraryFactory()
    LoanRequestFactory.create_batch(10, library=library)
    response, _ = _key_in(staff, library=library)
    assert "already has 10 of 10 items" in response.content.decode()
    assert LoanRequest.objects.filter(library=library).count() == 10


def test_staff_accept_from_the_decide_page(staff, django_capture_on_commit_callbacks):
    loan = LoanRequestFactory()
    url = reverse("admin:loans_loanrequest_decide", args=[loan.pk])
    assert staff.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(url, {"accept": "1"})
    assert response.status_code == 302
    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACCEPTED
    assert len(mail.outbox) == 1


def test_the_accept_action_reports_counts(staff):
    loans = LoanRequestFactory.create_batch(3)
    bad = LoanRequestFactory(material=MaterialFactory(is_rare=True))
    response = staff.post(
        reverse("admin:loans_loanrequest_changelist"),
        {"action": "accept_selected", "_selected_action": [x.pk for x in [*loans, bad]]},
        follow=True,
    )
    body = response.content.decode()
    assert "3 requests accepted." in body
    assert "reject it with those reasons instead" in body
    bad.refresh_from_db()
    assert bad.status == LoanStatus.REQUESTED


def test_reject_with_other_needs_a_note(staff):
    loan = LoanRequestFactory()
    url = reverse("admin:loans_loanrequest_decide", args=[loan.pk])
    response = staff.post(url, {"reject": "1", "codes": ["other"], "note": ""})
    assert response.status_code == 200
    assert "Explain the reason in the note" in response.content.decode()
    loan.refresh_from_db()
    assert loan.status == LoanStatus.REQUESTED


def test_reject_for_a_library_that_prefers_post_opens_the_letter(staff):
    loan = LoanRequestFactory(library=LibraryFactory(prefers_post=True))
    url = reverse("admin:loans_loanrequest_decide", args=[loan.pk])
    response = staff.post(url, {"reject": "1", "codes": ["in_use"]})
    assert response["Location"] == reverse("admin:loans_loanrequest_letter", args=[loan.pk])
    pdf = staff.get(response["Location"])
    assert pdf["Content-Type"] == "application/pdf"


def test_no_letter_for_a_request_that_was_not_rejected(staff):
    loan = LoanRequestFactory()
    url = reverse("admin:loans_loanrequest_letter", args=[loan.pk])
    assert staff.get(url).status_code == 404


def test_non_staff_cannot_use_the_admin_pages(client):
    loan = LoanRequestFactory()
    response = client.get(reverse("admin:loans_loanrequest_decide", args=[loan.pk]))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "The item could not be found on the shelf."),
        ("ja", "資料が所定の書架に見当たりません。"),
    ],
)
def test_the_refusal_letter_names_the_item_and_reasons(language, expected):
    library = LibraryFactory(language=language, name="Example University Library")
    loan = LoanRequestFactory(library=library, material=MaterialFactory(title="Nihon no shiro"))
    loan_request_reject(loan=loan, actor=None, codes=["not_on_shelf", "other"], note="Sorry")
    loan.refresh_from_db()
    text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(RefusalLetter(loan=loan).render())).pages
    )
    assert "Example University Library" in text
    assert library.user_id in text
    assert loan.material.ndl_id in text
    assert "Nihon no shiro" in text
    assert expected in text.replace("\n", "")
    assert "Sorry" in text
    assert Language(language)
