"""What staff have not read yet: the admin index and the conversations list
count the libraries' unread messages in the threads each staff member sees
(their site's requests for lending staff), in one query; the portal lists the
NDL's unread messages to the library."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from conversations.models import Message, Side, Thread
from conversations.selectors import staff_unread_count
from conversations.services import message_post
from core.models import Site, SiteCode, User
from core.roles import LENDING_STAFF, REGISTRATION_OFFICER, SUPERVISOR
from core.tests.factories import StaffFactory
from loans.tests.factories import LoanRequestFactory
from registration.tests.factories import LibraryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to("2026-11-20 10:00 +0900", tick=False)


def staff(role: str, site: str | None = None) -> User:
    user = User.objects.create_user(f"staff-{role}-{site}", is_staff=True)
    if site is not None:
        user.site = Site.objects.get(code=site)
        user.save(update_fields=["site"])
    user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def _message(thread: Thread, *, sender: str = Side.LIBRARY, read: bool = False) -> Message:
    return Message.objects.create(
        thread=thread,
        sender=sender,
        body="Could you tell us when the item will be sent?",
        read_at="2026-11-19T10:00:00+09:00" if read else None,
    )


@pytest.fixture
def threads(tokyo, kansai) -> dict[str, Thread]:
    library = LibraryFactory()
    in_tokyo = LoanRequestFactory(library=library, material__site=tokyo)
    in_kansai = LoanRequestFactory(library=library, material__site=kansai)
    made = {
        "tokyo": Thread.objects.create(library=library, loan_request=in_tokyo),
        "kansai": Thread.objects.create(library=library, loan_request=in_kansai),
        "registration": Thread.objects.create(library=library),
    }
    _message(made["tokyo"])
    _message(made["tokyo"])
    _message(made["tokyo"], read=True)  # opened already: not counted
    _message(made["tokyo"], sender=Side.NDL)  # the NDL's own: not counted
    _message(made["kansai"])
    _message(made["registration"])
    return made


@pytest.mark.parametrize(
    ("role", "site", "expected"),
    [
        (SUPERVISOR, None, 4),
        (LENDING_STAFF, SiteCode.TOKYO, 2),
        (LENDING_STAFF, SiteCode.KANSAI, 1),
        # Officers read the request threads too (``staff_may_read``), at every site.
        (REGISTRATION_OFFICER, None, 4),
    ],
)
def test_it_counts_what_each_staff_member_sees_in_one_query(
    threads, django_assert_num_queries, role, site, expected
) -> None:
    user = staff(role, site)
    user.has_perm("conversations.view_message")  # the permission cache, filled beforehand
    staff_site_loaded = user.site  # noqa: F841 - loaded beforehand, as a request has it
    with django_assert_num_queries(1 + (site is not None)):  # the supervisor check of staff_site
        assert staff_unread_count(user=user) == expected


def test_a_user_without_the_messages_permission_sees_no_count(threads) -> None:
    library_user = User.objects.create_user("ILL-US-99999", library=LibraryFactory())
    assert staff_unread_count(user=library_user) == 0


def test_the_admin_index_shows_the_unread_count_with_a_link_to_those_threads(
    client, threads, tokyo
) -> None:
    client.force_login(staff(LENDING_STAFF, SiteCode.TOKYO))
    queues = {q.label: q for q in client.get(reverse("admin:index")).context["work_queues"]}
    unread = queues["Unread messages from libraries"]
    assert unread.count == 2
    assert unread.urgent
    url = reverse("admin:conversations_thread_changelist")
    assert unread.url == f"{url}?unread=yes&site={tokyo.pk}"
    listed = client.get(unread.url).context["cl"].result_list
    assert {t.pk for t in listed} == {threads["tokyo"].pk}


def test_a_supervisors_link_shows_every_sites_unread_threads(client, threads) -> None:
    client.force_login(staff(SUPERVISOR))
    queues = {q.label: q for q in client.get(reverse("admin:index")).context["work_queues"]}
    unread = queues["Unread messages from libraries"]
    assert unread.count == 4
    listed = client.get(unread.url).context["cl"].result_list
    assert {t.pk for t in listed} == {t.pk for t in threads.values()}


def test_the_index_in_japanese(client, threads) -> None:
    client.force_login(staff(SUPERVISOR))
    page = client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "図書館からの未読メッセージ" in page


def test_the_conversations_list_shows_the_total_and_goes_down_when_staff_read(
    client, threads
) -> None:
    user = staff(LENDING_STAFF, SiteCode.TOKYO)
    client.force_login(user)
    url = reverse("admin:conversations_thread_changelist")
    response = client.get(url)
    assert response.context["unread_total"] == 2
    assert "2 messages from libraries not yet read" in response.content.decode()
    client.get(
        reverse("admin:conversations_thread_request", args=[threads["tokyo"].loan_request_id])
    )
    response = client.get(url)
    assert response.context["unread_total"] == 0
    assert "Every message from the libraries has been read." in response.content.decode()


def test_the_list_counts_in_a_fixed_number_of_queries(
    client, threads, django_assert_max_num_queries
) -> None:
    client.force_login(StaffFactory())
    url = reverse("admin:conversations_thread_changelist")
    with django_assert_max_num_queries(20) as few:
        client.get(url)
    library = LibraryFactory()
    for _ in range(5):
        _message(Thread.objects.create(library=library, loan_request=LoanRequestFactory()))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).context["unread_total"] == 9


def test_the_portal_shows_the_library_its_unread_messages_from_the_ndl(client, threads) -> None:
    thread = threads["tokyo"]
    library = thread.library
    message_post(subject=thread.loan_request, author=StaffFactory(), body="It ships on Monday.")
    client.force_login(User.objects.create_user(library.user_id, library=library))
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "New messages from the NDL" in page
    assert reverse("conversations:request", kwargs={"pk": thread.loan_request_id}) in page
    # Read: the list is gone.
    client.get(reverse("conversations:request", kwargs={"pk": thread.loan_request_id}))
    assert (
        "New messages from the NDL" not in client.get(reverse("portal:dashboard")).content.decode()
    )
