import datetime as dt
from urllib.parse import urlparse

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.db import IntegrityError
from django.test import override_settings
from django.urls import resolve

from core.errors import DomainError
from core.models import AuditEntry, OutgoingMail, User
from core.tests.factories import StaffFactory
from registration import services
from registration.models import (
    Application,
    ApplicationChannel,
    ApplicationDocument,
    ChangeNotice,
    Correspondence,
    DocumentKind,
    LetterDirection,
    Library,
    LibraryStatus,
    NoticeChannel,
    UserIdCounter,
)
from registration.services import Scan

from .factories import (
    JPEG_BYTES,
    PNG_BYTES,
    ApplicantFactory,
    ApplicationFactory,
    InfoRequestedApplicationFactory,
    LibraryFactory,
    upload,
)

pytestmark = pytest.mark.django_db
NOW = "2026-11-02 10:00 +0900"
TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def record(staff, **overrides):
    data = {
        "actor": staff,
        "name": "Bodleian Japanese Library",
        "name_original": "",
        "country": "GB",
        "postal_address": "27 Winchester Road\nOxford OX2 6NA\nUnited Kingdom",
        "email": "ill@bodleian.example.ac.uk",
        "fax": "+44 1865 000000",
        "phone": "+44 1865 000001",
        "representative_director": "Prof. A. Librarian",
        "received_on": dt.date(2026, 10, 20),
        "has_signed_application": True,
        "has_reading_room_picture": True,
        "has_leaflet": True,
        "signature_verified": True,
        "copier_conditions": "Copiers only at the desk, under staff control.",
    }
    data.update(overrides)
    return services.application_record(**data)


def nothing_written():
    return (
        Library.objects.count() == 0
        and Application.objects.count() == 0
        and ApplicationDocument.objects.count() == 0
        and AuditEntry.objects.count() == 0
    )


# --- recording ------------------------------------------------------------------


def test_it_records_a_postal_application(staff):
    app = record(
        staff,
        name_original="ボドリアン日本図書館",
        scans=[
            Scan(DocumentKind.APPLICATION, upload("contract.PDF")),
            Scan(DocumentKind.READING_ROOM, upload("room.png", PNG_BYTES)),
        ],
    )
    app.refresh_from_db()
    assert app.library.status == LibraryStatus.UNDER_REVIEW
    assert app.library.user_id is None
    assert app.received_on == dt.date(2026, 10, 20)
    assert app.recorded_by == staff
    assert app.library.name_original == "ボドリアン日本図書館"
    scans = list(app.scans.order_by("kind"))
    assert [s.content_type for s in scans] == ["application/pdf", "image/png"]
    assert scans[0].original_name == "contract.PDF"
    assert scans[0].file.read().startswith(b"%PDF-")
    # The stored name is ours, not the uploaded one.
    assert "contract" not in scans[0].file.name
    entry = AuditEntry.objects.get(action="registration.application.record")
    assert entry.actor == staff
    assert entry.data["scans"] == 2


@pytest.mark.parametrize("channel", [ApplicationChannel.FAX, ApplicationChannel.EMAIL])
def test_it_refuses_an_application_by_fax_or_email(staff, channel):
    with pytest.raises(DomainError) as exc:
        record(staff, channel=channel)
    assert "only the original documents sent by post" in exc.value.message
    assert exc.value.code == "not_by_post"
    assert nothing_written()


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("has_signed_application", "Signed application"),
        ("has_reading_room_picture", "Picture of the reading room"),
        ("has_leaflet", "Leaflet or brochure"),
    ],
)
def test_it_refuses_an_application_with_a_missing_document(staff, field, label):
    with pytest.raises(DomainError) as exc:
        record(staff, **{field: False})
    assert "incomplete" in exc.value.message
    assert label in exc.value.message
    assert nothing_written()


def test_it_names_every_missing_document(staff):
    with pytest.raises(DomainError) as exc:
        record(staff, has_leaflet=False, has_reading_room_picture=False)
    assert "Picture of the reading room, Leaflet or brochure" in exc.value.message


def test_it_refuses_an_unsigned_application(staff):
    with pytest.raises(DomainError) as exc:
        record(staff, signature_verified=False)
    assert "original handwritten signature" in exc.value.message
    assert nothing_written()


def test_it_refuses_a_receipt_date_in_the_future(staff):
    with pytest.raises(DomainError, match="future"):
        record(staff, received_on=TODAY + dt.timedelta(days=1))
    assert nothing_written()
    record(staff, received_on=TODAY)


def test_it_refuses_the_same_library_twice_case_insensitively(staff):
    record(staff)
    audit_before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as exc:
        record(staff, name="BODLEIAN japanese library")
    assert "already applied or is registered" in exc.value.message
    assert Library.objects.count() == 1
    assert AuditEntry.objects.count() == audit_before


def test_the_same_name_in_another_country_is_a_different_library(staff):
    record(staff)
    record(staff, country="US")
    assert Library.objects.count() == 2


@pytest.mark.parametrize("status", [LibraryStatus.REJECTED, LibraryStatus.WITHDRAWN])
def test_a_rejected_or_withdrawn_library_may_apply_again(staff, status):
    kwargs = {"user_id": None, "registered_on": None} if status == LibraryStatus.REJECTED else {}
    LibraryFactory(name="Bodleian Japanese Library", country="GB", status=status, **kwargs)
    record(staff)
    assert Library.objects.filter(status=LibraryStatus.UNDER_REVIEW).count() == 1


@pytest.mark.parametrize("status", [LibraryStatus.ACTIVE, LibraryStatus.SUSPENDED])
def test_a_registered_library_cannot_apply_again(staff, status):
    LibraryFactory(name="Bodleian Japanese Library", country="GB", status=status)
    with pytest.raises(DomainError, match="already applied or is registered"):
        record(staff)


def test_the_db_refuses_a_duplicate_library():
    ApplicantFactory(name="Same Library", country="FR")
    with pytest.raises(IntegrityError):
        Library.objects.create(
            name="same LIBRARY",
            country="FR",
            postal_address="x",
            email="a@b.org",
            representative_director="x",
        )


def test_it_refuses_a_file_that_is_not_pdf_jpeg_or_png(staff):
    fake = upload("scan.pdf", b"MZ\x90\x00 this is an executable")
    with pytest.raises(DomainError) as exc:
        record(staff, scans=[Scan(DocumentKind.APPLICATION, fake)])
    assert "scan.pdf is not a PDF, JPEG or PNG" in exc.value.message
    assert nothing_written()


def test_it_accepts_a_jpeg_named_anything(staff):
    app = record(staff, scans=[Scan(DocumentKind.LEAFLET, upload("leaflet.bin", JPEG_BYTES))])
    assert app.scans.get().content_type == "image/jpeg"


@override_settings(UPLOAD_MAX_BYTES=1000)
def test_it_refuses_an_oversized_scan(staff):
    at_limit = upload("ok.pdf", b"%PDF-" + b"x" * 995)
    record(staff, scans=[Scan(DocumentKind.APPLICATION, at_limit)])
    too_big = upload("big.pdf", b"%PDF-" + b"x" * 996)
    with pytest.raises(DomainError) as exc:
        record(staff, name="Other", scans=[Scan(DocumentKind.APPLICATION, too_big)])
    assert "big.pdf" in exc.value.message and "at most" in exc.value.message
    assert Library.objects.count() == 1


def test_one_bad_scan_among_good_ones_writes_nothing(staff):
    with pytest.raises(DomainError):
        record(
            staff,
            scans=[
                Scan(DocumentKind.APPLICATION, upload()),
                Scan(DocumentKind.LEAFLET, upload("x.gif", b"GIF89a....")),
            ],
        )
    assert nothing_written()


def test_it_refuses_an_empty_file(staff):
    with pytest.raises(DomainError, match="empty"):
        record(staff, scans=[Scan(DocumentKind.APPLICATION, upload("e.pdf", b""))])


def test_the_db_refuses_an_application_not_by_post():
    library = ApplicantFactory()
    with pytest.raises(IntegrityError):
        ApplicationFactory(library=library, channel=ApplicationChannel.FAX)


@pytest.mark.parametrize(
    "field",
    ["has_signed_application", "has_reading_room_picture", "has_leaflet", "signature_verified"],
)
def test_the_db_refuses_an_incomplete_application(field):
    with pytest.raises(IntegrityError):
        ApplicationFactory(**{field: False})


def test_the_db_refuses_a_scan_of_another_type():
    app = ApplicationFactory()
    with pytest.raises(IntegrityError):
        ApplicationDocument.objects.create(
            application=app,
            kind="other",
            file="x.gif",
            original_name="x.gif",
            content_type="image/gif",
            size=3,
        )


def test_the_db_refuses_a_user_id_on_an_open_application():
    with pytest.raises(IntegrityError):
        ApplicantFactory(user_id="ILL-US-00009", registered_on=dt.date(2026, 1, 1))


def test_the_db_refuses_a_malformed_user_id():
    with pytest.raises(IntegrityError):
        LibraryFactory(user_id="12345")


def test_staff_can_add_scans_later(staff):
    app = ApplicationFactory()
    docs = services.application_scan_add(
        actor=staff, application=app, scans=[Scan(DocumentKind.OTHER, upload())]
    )
    assert len(docs) == 1
    assert AuditEntry.objects.filter(action="registration.application.scan_add").exists()
    with pytest.raises(DomainError):
        services.application_scan_add(actor=staff, application=app, scans=[])


# --- further information -------------------------------------------------------


def test_it_asks_for_more_information_and_records_the_reply(staff):
    app = ApplicationFactory()
    letter = services.application_request_info(
        actor=staff,
        application=app,
        dated=dt.date(2026, 10, 5),
        summary="Please send the copier conditions.",
    )
    app.library.refresh_from_db()
    assert app.library.status == LibraryStatus.INFO_REQUESTED
    assert letter.direction == LetterDirection.TO_LIBRARY
    assert letter.dated == dt.date(2026, 10, 5)
    entry = AuditEntry.objects.get(action="registration.application.request_info")
    assert entry.data["from"] == "under_review" and entry.data["to"] == "info_requested"

    # A second letter while waiting is recorded; the status stays.
    services.application_request_info(
        actor=staff, application=app, dated=dt.date(2026, 10, 12), summary="Reminder."
    )
    app.library.refresh_from_db()
    assert app.library.status == LibraryStatus.INFO_REQUESTED

    reply = services.application_reply_record(
        actor=staff,
        application=app,
        dated=dt.date(2026, 10, 20),
        summary="Copiers are used by staff only.",
        scans=[Scan(DocumentKind.OTHER, upload())],
    )
    app.library.refresh_from_db()
    assert app.library.status == LibraryStatus.UNDER_REVIEW
    assert reply.direction == LetterDirection.FROM_LIBRARY
    assert app.letters.count() == 3
    assert app.scans.count() == 1
    assert AuditEntry.objects.filter(action="registration.application.reply_record").exists()


def test_a_request_for_information_needs_a_summary(staff):
    app = ApplicationFactory()
    with pytest.raises(DomainError, match="Say what the letter asks for"):
        services.application_request_info(actor=staff, application=app, dated=TODAY, summary="  ")
    assert Correspondence.objects.count() == 0
    app.library.refresh_from_db()
    assert app.library.status == LibraryStatus.UNDER_REVIEW


def test_a_letter_cannot_predate_the_application(staff):
    app = ApplicationFactory(received_on=dt.date(2026, 10, 1))
    with pytest.raises(DomainError, match="before the application was received"):
        services.application_request_info(
            actor=staff, application=app, dated=dt.date(2026, 9, 30), summary="x"
        )
    services.application_request_info(
        actor=staff, application=app, dated=dt.date(2026, 10, 1), summary="x"
    )


def test_a_reply_needs_an_open_request(staff):
    app = ApplicationFactory()
    with pytest.raises(DomainError, match="No information was requested"):
        services.application_reply_record(actor=staff, application=app, dated=TODAY, summary="x")
    assert Correspondence.objects.count() == 0


def test_a_reply_cannot_predate_the_request(staff):
    app = InfoRequestedApplicationFactory()  # letter dated 2026-10-10
    with pytest.raises(DomainError, match="before the letter it answers"):
        services.application_reply_record(
            actor=staff, application=app, dated=dt.date(2026, 10, 9), summary="x"
        )
    services.application_reply_record(
        actor=staff, application=app, dated=dt.date(2026, 10, 10), summary="x"
    )


def test_no_information_can_be_requested_after_the_decision(staff):
    app = ApplicationFactory()
    services.library_reject(actor=staff, library=app.library, reason="No reading room.")
    with pytest.raises(DomainError, match="already decided"):
        services.application_request_info(actor=staff, application=app, dated=TODAY, summary="x")


# --- approval -------------------------------------------------------------------


def test_approval_issues_the_user_id_login_and_email(staff, django_capture_on_commit_callbacks):
    app = ApplicationFactory(library__country="JP", library__language="ja")
    with django_capture_on_commit_callbacks(execute=True):
        library = services.library_approve(actor=staff, library=app.library)
    library.refresh_from_db()
    assert library.status == LibraryStatus.ACTIVE
    assert library.user_id == "ILL-JP-00001"
    assert library.registered_on == TODAY
    assert library.can_request
    app.refresh_from_db()
    assert app.decided_on == TODAY and app.decided_by == staff

    user = User.objects.get(library=library)
    assert user.username == "ILL-JP-00001"
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser
    assert user.email == library.email

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [library.email]
    assert "ILL-JP-00001" in message.subject or "ILL-JP-00001" in message.body
    link = next(w for w in message.body.split() if "/set-password/" in w)
    assert link.startswith("http://127.0.0.1:8000/portal/set-password/")
    match = resolve(urlparse(link).path)
    assert match.view_name == "portal:password_set"
    assert default_token_generator.check_token(user, match.kwargs["token"])

    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"registration.library.approve", "registration.library.login_create"} <= actions
    entry = AuditEntry.objects.get(action="registration.library.approve")
    assert entry.data["from"] == "under_review" and entry.data["to"] == "active"


def test_the_password_link_is_single_use(staff, client, django_capture_on_commit_callbacks):
    app = ApplicationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.library_approve(actor=staff, library=app.library)
    link = urlparse(next(w for w in mail.outbox[0].body.split() if "/set-password/" in w)).path
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    password = "a-long-enough-passphrase"
    response = client.post(form_url, {"new_password1": password, "new_password2": password})
    assert response.status_code == 302
    user = User.objects.get(library=app.library)
    assert user.check_password(password)
    client.logout()
    response = client.get(link, follow=True)
    assert response.context["validlink"] is False


def test_user_ids_count_up_per_country_and_skip_taken_numbers(staff):
    LibraryFactory(user_id="ILL-US-00001", country="US")
    first = services.library_approve(
        actor=staff, library=ApplicationFactory(library__country="US").library
    )
    second = services.library_approve(
        actor=staff, library=ApplicationFactory(library__country="US").library
    )
    french = services.library_approve(
        actor=staff, library=ApplicationFactory(library__country="FR").library
    )
    assert (first.user_id, second.user_id, french.user_id) == (
        "ILL-US-00002",
        "ILL-US-00003",
        "ILL-FR-00001",
    )
    assert UserIdCounter.objects.get(country="US").last_number == 3


def test_approving_an_incomplete_application_is_refused(staff, monkeypatch):
    # The DB cannot hold an incomplete application (see the constraint test);
    # the service checks again so approval never depends on that alone.
    app = ApplicationFactory()
    monkeypatch.setattr(Application, "is_complete", property(lambda self: False))
    with pytest.raises(DomainError, match="incomplete and cannot be approved"):
        services.library_approve(actor=staff, library=app.library)
    app.library.refresh_from_db()
    assert app.library.status == LibraryStatus.UNDER_REVIEW
    assert app.library.user_id is None
    assert not User.objects.filter(library=app.library).exists()
    assert not UserIdCounter.objects.exists()


def test_approval_waits_for_the_reply(staff):
    app = InfoRequestedApplicationFactory()
    with pytest.raises(DomainError, match="record the reply first"):
        services.library_approve(actor=staff, library=app.library)
    assert Library.objects.get(pk=app.library.pk).user_id is None


def test_a_library_without_application_cannot_be_approved(staff):
    library = ApplicantFactory()
    with pytest.raises(DomainError, match="no recorded application"):
        services.library_approve(actor=staff, library=library)


def test_approving_twice_is_refused(staff):
    app = ApplicationFactory()
    services.library_approve(actor=staff, library=app.library)
    with pytest.raises(DomainError, match="already decided"):
        services.library_approve(actor=staff, library=app.library)
    assert User.objects.filter(library=app.library).count() == 1
    assert OutgoingMail.objects.count() == 1


# --- rejection ------------------------------------------------------------------


def test_rejection_needs_a_reason(staff):
    app = ApplicationFactory()
    with pytest.raises(DomainError, match="reason"):
        services.library_reject(actor=staff, library=app.library, reason=" ")
    app.library.refresh_from_db()
    assert app.library.status == LibraryStatus.UNDER_REVIEW
    assert AuditEntry.objects.count() == 0


def test_it_rejects_with_the_reason(staff, django_capture_on_commit_callbacks):
    app = InfoRequestedApplicationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.library_reject(
            actor=staff, library=app.library, reason="The reading room is not supervised."
        )
    app.refresh_from_db()
    assert app.library.status == LibraryStatus.REJECTED
    assert app.rejection_reason == "The reading room is not supervised."
    assert app.decided_on == TODAY
    assert "The reading room is not supervised." in mail.outbox[0].body
    entry = AuditEntry.objects.get(action="registration.library.reject")
    assert entry.data == {
        "from": "info_requested",
        "to": "rejected",
        "reason": "The reading room is not supervised.",
    }


def test_a_registered_library_cannot_be_rejected(staff):
    library = LibraryFactory()
    with pytest.raises(DomainError, match="cannot become Rejected"):
        services.library_reject(actor=staff, library=library, reason="x")


# --- suspend, reinstate, withdraw ---------------------------------------------


def test_suspend_reinstate_withdraw(staff, django_capture_on_commit_callbacks):
    library = LibraryFactory()
    with django_capture_on_commit_callbacks(execute=True):
        services.library_suspend(
            actor=staff, library=library, reason="Item lost, not yet compensated."
        )
    library.refresh_from_db()
    assert library.status == LibraryStatus.SUSPENDED
    assert not library.can_request
    assert library.status_reason == "Item lost, not yet compensated."
    assert "cannot request" in mail.outbox[0].body

    services.library_reinstate(actor=staff, library=library, reason="Compensation received.")
    library.refresh_from_db()
    assert library.can_request

    services.library_withdraw(actor=staff, library=library, reason="The library closed.")
    library.refresh_from_db()
    assert library.status == LibraryStatus.WITHDRAWN
    assert not library.can_request
    actions = list(
        AuditEntry.objects.order_by("pk").values_list("action", "data__from", "data__to")
    )
    assert actions == [
        ("registration.library.suspend", "active", "suspended"),
        ("registration.library.reinstate", "suspended", "active"),
        ("registration.library.withdraw", "active", "withdrawn"),
    ]


def test_a_suspended_library_may_be_withdrawn(staff):
    library = LibraryFactory(status=LibraryStatus.SUSPENDED)
    services.library_withdraw(actor=staff, library=library, reason="x")
    assert Library.objects.get(pk=library.pk).status == LibraryStatus.WITHDRAWN


@pytest.mark.parametrize(
    "service", [services.library_suspend, services.library_reinstate, services.library_withdraw]
)
def test_acting_on_a_withdrawn_library_is_refused(staff, service):
    library = LibraryFactory(status=LibraryStatus.WITHDRAWN)
    with pytest.raises(DomainError) as exc:
        service(actor=staff, library=library, reason="x")
    assert "was withdrawn" in exc.value.message
    assert exc.value.code == "withdrawn"
    assert AuditEntry.objects.count() == 0


def test_status_changes_need_a_reason(staff):
    library = LibraryFactory()
    with pytest.raises(DomainError, match="reason"):
        services.library_suspend(actor=staff, library=library, reason="")
    assert Library.objects.get(pk=library.pk).status == LibraryStatus.ACTIVE


def test_only_a_suspended_library_can_be_reinstated(staff):
    with pytest.raises(DomainError, match="cannot become Registered"):
        services.library_reinstate(actor=staff, library=LibraryFactory(), reason="x")


def test_an_applicant_cannot_be_suspended(staff):
    with pytest.raises(DomainError, match="cannot become Suspended"):
        services.library_suspend(actor=staff, library=ApplicantFactory(), reason="x")


# --- change notices -------------------------------------------------------------


def notice(staff, library, **overrides):
    data = {
        "actor": staff,
        "library": library,
        "received_on": dt.date(2026, 10, 30),
        "channel": NoticeChannel.FAX,
        "quoted_user_id": library.user_id,
        "changes": {"name": "New Name Library", "postal_address": "2 New Street\nSpringfield"},
        "note": "Fax from the director.",
    }
    data.update(overrides)
    return services.change_notice_record(**data)


def test_it_records_a_change_notice_and_keeps_old_values(staff):
    library = LibraryFactory(name="Old Name Library")
    User.objects.create(username=library.user_id, library=library, email=library.email)
    n = notice(
        staff,
        library,
        changes={"name": "New Name Library", "phone": "", "email": "new@lib.example.org"},
    )
    library.refresh_from_db()
    assert library.name == "New Name Library"
    assert library.email == "new@lib.example.org"
    # Only the fields that really changed are kept.
    assert n.changes == {
        "name": ["Old Name Library", "New Name Library"],
        "email": [n.changes["email"][0], "new@lib.example.org"],
    }
    assert User.objects.get(library=library).email == "new@lib.example.org"
    assert (
        AuditEntry.objects.get(action="registration.change_notice.record").data["changes"]
        == n.changes
    )

    notice(
        staff, library, received_on=dt.date(2026, 10, 31), changes={"name": "Newest Name Library"}
    )
    history = [
        c.changes["name"]
        for c in ChangeNotice.objects.filter(library=library).order_by("received_on")
    ]
    assert history == [
        ["Old Name Library", "New Name Library"],
        ["New Name Library", "Newest Name Library"],
    ]


def test_a_quoted_user_id_is_compared_ignoring_case_and_spaces(staff):
    library = LibraryFactory()
    notice(staff, library, quoted_user_id=f" {library.user_id.lower()} ")
    assert ChangeNotice.objects.count() == 1


def test_a_notice_quoting_another_user_id_is_refused(staff):
    library = LibraryFactory(name="Keep Name")
    other = LibraryFactory()
    with pytest.raises(DomainError) as exc:
        notice(staff, library, quoted_user_id=other.user_id)
    assert other.user_id in exc.value.message and library.user_id in exc.value.message
    assert Library.objects.get(pk=library.pk).name == "Keep Name"
    assert ChangeNotice.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_notice_without_user_id_is_refused(staff):
    with pytest.raises(DomainError, match="must quote"):
        notice(staff, LibraryFactory(), quoted_user_id="")


def test_a_notice_by_email_is_refused(staff):
    with pytest.raises(DomainError, match="letter or fax only"):
        notice(staff, LibraryFactory(), channel="email")


def test_a_notice_that_changes_nothing_is_refused(staff):
    library = LibraryFactory()
    with pytest.raises(DomainError, match="changes nothing"):
        notice(staff, library, changes={"name": library.name})


def test_a_notice_with_an_invalid_value_is_refused(staff):
    library = LibraryFactory()
    with pytest.raises(DomainError, match="valid email"):
        notice(staff, library, changes={"email": "not-an-address"})
    assert ChangeNotice.objects.count() == 0


def test_a_notice_cannot_change_the_user_id_or_status(staff):
    with pytest.raises(DomainError, match="cannot be changed by notice: status, user_id"):
        notice(staff, LibraryFactory(), changes={"user_id": "ILL-US-99999", "status": "active"})


def test_a_notice_cannot_rename_into_another_library(staff):
    LibraryFactory(name="Taken Name", country="US")
    library = LibraryFactory(country="US")
    with pytest.raises(DomainError, match="already registered or applying"):
        notice(staff, library, changes={"name": "taken name"})


def test_a_notice_for_a_withdrawn_library_is_refused(staff):
    library = LibraryFactory(status=LibraryStatus.WITHDRAWN)
    with pytest.raises(DomainError, match="was withdrawn"):
        notice(staff, library)


def test_a_notice_for_an_applicant_is_refused(staff):
    library = ApplicantFactory()
    with pytest.raises(DomainError, match="not registered"):
        notice(staff, library, quoted_user_id="ILL-US-00001")


def test_a_suspended_library_may_notify_a_change(staff):
    library = LibraryFactory(status=LibraryStatus.SUSPENDED)
    notice(staff, library)
    assert ChangeNotice.objects.count() == 1


def test_the_db_refuses_a_notice_by_email():
    with pytest.raises(IntegrityError):
        ChangeNotice.objects.create(
            library=LibraryFactory(), received_on=TODAY, channel="email", quoted_user_id="x"
        )
