"""Pull slips: batches per site, in stack order, with barcodes that read back."""

from __future__ import annotations

import io
import shutil
import subprocess  # nosec B404 - pdftoppm renders the page, as a test tool
import tempfile
from pathlib import Path

import pytest
import zxingcpp
from django.contrib.auth.models import Group
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from catalogue.tests.factories import MaterialFactory
from core.errors import DomainError
from core.models import AuditEntry, Site, SiteCode, User
from core.roles import LENDING_STAFF
from loans.models import LoanStatus, PullSlipBatch
from loans.pdf.pullslips import PullSlips
from loans.selectors_desk import call_number_key, pull_slip_loans, slip_code
from loans.services.desk import pull_slip_batch_create
from loans.tests.factories import AcceptedLoanFactory, LoanRequestFactory

pytestmark = pytest.mark.django_db


def _site(code: str) -> Site:
    return Site.objects.get(code=code)


def lending_staff(code: str = SiteCode.TOKYO, name: str = "slips") -> User:
    user = User.objects.create_user(f"{name}-{code}", password="x" * 12, is_staff=True)
    user.site = _site(code)
    user.save(update_fields=["site"])
    user.groups.add(Group.objects.get(name=LENDING_STAFF))
    return User.objects.get(pk=user.pk)


def accepted(call_number: str, *, site: str = SiteCode.TOKYO, title: str = "A book"):
    material = MaterialFactory(call_number=call_number, site=_site(site), title=title)
    return AcceptedLoanFactory(material=material)


def render_pages(pdf: bytes) -> list[Image.Image]:
    if shutil.which("pdftoppm") is None:  # CI installs it (.ci/run)
        pytest.skip("needs pdftoppm (apt-get install -y poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "slips.pdf"
        source.write_bytes(pdf)
        subprocess.run(  # nosec B603 B607
            ["pdftoppm", "-r", "200", "-gray", "-png", str(source), str(Path(tmp) / "page")],
            check=True,
        )
        return [Image.open(io.BytesIO(p.read_bytes())) for p in sorted(Path(tmp).glob("page*.png"))]


def test_call_numbers_sort_as_the_stacks_run() -> None:
    numbers = ["UA1-10", "", "UA1-9", "GB12-3", "ua1-2"]
    assert sorted(numbers, key=call_number_key) == ["GB12-3", "ua1-2", "UA1-9", "UA1-10", ""]


def test_a_batch_takes_every_item_accepted_since_the_last_one() -> None:
    staff = lending_staff()
    first = accepted("UA1-2")
    accepted("UA1-3", site=SiteCode.KANSAI)  # another site's item
    LoanRequestFactory(status=LoanStatus.REQUESTED)  # not decided
    batch = pull_slip_batch_create(site=staff.site, actor=staff)
    assert list(batch.loans.all()) == [first]
    assert batch.created_by == staff
    entry = AuditEntry.objects.get(action="loans.pull_slip_batch.create")
    assert entry.data["loans"] == [first.pk]
    second = accepted("UA1-1")
    again = pull_slip_batch_create(site=staff.site, actor=staff)
    assert list(again.loans.all()) == [second]


def test_an_empty_batch_is_refused_with_a_clear_message() -> None:
    staff = lending_staff()
    with pytest.raises(DomainError) as exc:
        pull_slip_batch_create(site=staff.site, actor=staff)
    assert exc.value.code == "empty_batch"
    assert "no pull slips to print" in exc.value.message
    with pytest.raises(DomainError):
        pull_slip_batch_create(site=staff.site, actor=staff, loan_ids=[])
    assert not PullSlipBatch.objects.exists()


def test_chosen_items_may_be_printed_again_but_must_be_on_the_shelf() -> None:
    staff = lending_staff()
    loan = accepted("UA1-2")
    pull_slip_batch_create(site=staff.site, actor=staff)
    reprint = pull_slip_batch_create(site=staff.site, actor=staff, loan_ids=[loan.pk])
    assert list(reprint.loans.all()) == [loan]
    requested = LoanRequestFactory(status=LoanStatus.REQUESTED)
    with pytest.raises(DomainError):
        pull_slip_batch_create(site=staff.site, actor=staff, loan_ids=[loan.pk, requested.pk])
    assert PullSlipBatch.objects.count() == 2


def test_staff_print_only_their_own_sites_slips() -> None:
    kansai = lending_staff(SiteCode.KANSAI)
    loan = accepted("UA1-2")
    with pytest.raises(DomainError) as exc:
        pull_slip_batch_create(site=_site(SiteCode.TOKYO), actor=kansai)
    assert exc.value.code == "other_site"
    with pytest.raises(DomainError) as exc:
        pull_slip_batch_create(site=kansai.site, actor=kansai, loan_ids=[loan.pk])
    assert exc.value.code == "other_site"
    assert not PullSlipBatch.objects.exists()


def test_the_slips_print_in_stack_order_and_every_barcode_reads_back() -> None:
    staff = lending_staff()
    loans = [
        accepted("UA1-10", title="国立国会図書館の百年"),
        accepted("UA1-9", title="Война и мир"),
        accepted("GB12-3", title="ภาษาไทย"),
        accepted("UA1-2", title="كتاب"),
        accepted("ZZ9-1", title="한국어"),
    ]
    batch = pull_slip_batch_create(site=staff.site, actor=staff)
    ordered = pull_slip_loans(loan_ids=[loan.pk for loan in loans])
    assert [loan.material.call_number for loan in ordered] == [
        "GB12-3",
        "UA1-2",
        "UA1-9",
        "UA1-10",
        "ZZ9-1",
    ]
    pdf = PullSlips(batch=batch, loans=ordered).render()
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    text = "".join(page.extract_text() for page in reader.pages)
    for loan in ordered:
        assert loan.material.ndl_id in text
        assert loan.material.call_number in text
        assert f"#{loan.pk}" in text
    assert "国立国会図書館の百年" in text
    assert "Война и мир" in text
    decoded = [result.text for page in render_pages(pdf) for result in zxingcpp.read_barcodes(page)]
    # Top to bottom on each page: the order the stacks are walked.
    assert decoded == [slip_code(loan.pk) for loan in ordered]
    for result in zxingcpp.read_barcodes(render_pages(pdf)[0]):
        assert result.format == zxingcpp.BarcodeFormat.Code128


def test_the_batch_pages_are_for_lending_staff(client) -> None:
    staff = lending_staff()
    loan = accepted("UA1-2")
    client.force_login(staff)
    page = client.get(reverse("admin:loans_pullslipbatch_new"))
    assert page.status_code == 200
    assert loan.material.ndl_id in page.content.decode()
    response = client.post(reverse("admin:loans_pullslipbatch_new"), {"loan_ids": [loan.pk]})
    batch = PullSlipBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:loans_pullslipbatch_pdf", args=[batch.pk])
    pdf = client.get(response["Location"])
    assert pdf["Content-Type"] == "application/pdf"
    # Nothing new: the page says so and nothing is written.
    empty = client.post(reverse("admin:loans_pullslipbatch_new"), {}, follow=True)
    assert "no pull slips to print" in empty.content.decode()
    assert PullSlipBatch.objects.count() == 1
    # Another site's staff do not see this site's batch.
    client.force_login(lending_staff(SiteCode.KANSAI))
    assert client.get(reverse("admin:loans_pullslipbatch_pdf", args=[batch.pk])).status_code == 404


def test_a_tampered_choice_gives_a_message_not_an_error(client) -> None:
    staff = lending_staff()
    client.force_login(staff)
    response = client.post(
        reverse("admin:loans_pullslipbatch_new"), {"loan_ids": ["x", "99999"]}, follow=True
    )
    assert response.status_code == 200
    assert not PullSlipBatch.objects.exists()


def test_a_supervisor_chooses_the_site_of_the_batch(client) -> None:
    from ndl_ill.tests.test_staff_matrix import make_staff

    client.force_login(make_staff("supervisor"))
    tokyo_item = accepted("UA1-2")
    kansai_item = accepted("UA1-3", site=SiteCode.KANSAI)
    url = reverse("admin:loans_pullslipbatch_new")
    assert tokyo_item.material.ndl_id not in client.get(url).content.decode()  # no site yet
    kansai = _site(SiteCode.KANSAI)
    page = client.get(url, {"site": kansai.pk}).content.decode()
    assert kansai_item.material.ndl_id in page
    assert tokyo_item.material.ndl_id not in page
    client.post(url, {"site": kansai.pk})
    batch = PullSlipBatch.objects.get()
    assert batch.site == kansai
    assert list(batch.loans.all()) == [kansai_item]
    # A forged site id is no site: nothing is printed.
    assert client.post(url, {"site": "x"}).status_code == 200
    assert PullSlipBatch.objects.count() == 1
