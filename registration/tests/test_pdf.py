import datetime as dt
import io

import pytest
from django.utils import translation
from pypdf import PdfReader

from registration.pdf import ApprovalLetter, RegistrationCertificate, RequestForm

from .factories import ApplicantFactory, LibraryFactory

pytestmark = pytest.mark.django_db


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


@pytest.fixture
def library():
    return LibraryFactory(
        name="Bodleian Japanese Library",
        name_original="ボドリアン日本図書館",
        country="GB",
        postal_address="27 Winchester Road\nOxford OX2 6NA",
        user_id="ILL-GB-00007",
        registered_on=dt.date(2026, 11, 2),
    )


def test_the_certificate_shows_the_user_id_library_date_and_issuing_office(library):
    text = text_of(RegistrationCertificate(library=library).render())
    assert "Certificate of User Registration" in text
    assert "ILL-GB-00007" in text
    assert "Bodleian Japanese Library" in text
    assert "27 Winchester Road" in text and "UNITED KINGDOM" in text
    assert "2 November 2026" in text
    assert "ILL Section, Public Services Division" in text
    assert "Kansai-kan of the National Diet Library" in text
    assert "8-1-3 Seikadai, Seika-cho, Soraku-gun, Kyoto Prefecture" in text
    assert "619-0287 Japan" in text


def test_the_approval_letter_names_the_user_id_and_conditions(library):
    text = text_of(ApprovalLetter(library=library).render())
    assert "ILL-GB-00007" in text
    assert "has approved the application of Bodleian Japanese Library" in text
    assert "will not be copied or duplicated by any means" in text
    assert "619-0287 Japan" in text
    assert "by letter or fax quoting your User ID" in text


def test_the_request_form_has_the_header_table_fax_and_note(library):
    text = text_of(RequestForm(library=library).render())
    assert "Designated Request Form" in text
    assert "ILL-GB-00007" in text and "Bodleian Japanese Library" in text
    for heading in ("NDL ID", "Title", "Author", "Year"):
        assert heading in text
    assert " 10 " in f" {text} "
    assert "Fax: +81-774-94-9112" in text
    assert "8-1-3 Seikadai" in text
    assert "Only this designated request form is accepted." in text


def test_the_japanese_name_is_written_with_an_embedded_japanese_face(library):
    pdf = RegistrationCertificate(library=library).render()
    assert b"NotoSansJP-Regular" in pdf
    assert b"HeiseiMin-W3" not in pdf


def test_documents_exist_only_for_a_registered_library():
    with pytest.raises(ValueError, match="registered library"):
        RegistrationCertificate(library=ApplicantFactory()).render()


def test_a_japanese_librarys_certificate_is_in_japanese_whatever_the_staff_language(library):
    library.language = "ja"
    with translation.override("en"):
        text = text_of(RegistrationCertificate(library=library).render())
    assert "利用者登録証" in text
    assert "ILL-GB-00007" in text
    assert "関西館 図書館協力課" in text
    assert "2026年11月2日" in text
    assert "UNITED KINGDOM" in text  # the country line of a posted address: English capitals
    assert "Certificate of User Registration" not in text
    assert "ILL Section" not in text


def test_an_english_librarys_certificate_is_in_english_for_japanese_staff(library):
    library.language = "en"
    with translation.override("ja"):
        text = text_of(RegistrationCertificate(library=library).render())
    assert "Certificate of User Registration" in text
    assert "2 November 2026" in text and "UNITED KINGDOM" in text
    assert "ILL Section, Public Services Division" in text
    assert "利用者登録証" not in text and "関西館" not in text


@pytest.mark.parametrize(
    ("document", "title", "english_title"),
    [
        (ApprovalLetter, "サービス 利用者登録承認通知", "Approval of your application"),
        (RegistrationCertificate, "利用者登録証", "Certificate of User Registration"),
        (RequestForm, "図書館間貸出申込書", "Designated Request Form"),
    ],
)
def test_a_japanese_library_gets_each_document_in_japanese_once(
    library, document, title, english_title
):
    library.language = "ja"
    text = text_of(document(library=library).render())
    assert text.count(title) == 1
    assert english_title not in text
    assert "ILL-GB-00007" in text
    assert "国立国会図書館 関西館 図書館協力課" in text


def test_the_approval_letter_says_the_library_bears_only_the_return_postage(library):
    # The seed's "Fee of loan".
    text = text_of(ApprovalLetter(library=library).render())
    assert "bears only the return postage" in text
    assert "there is no lending fee" in text
