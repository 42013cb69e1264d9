"""Demo conversations for ``seed_demo``: the registered demo library asks how
to tell the NDL of its new address (a question about its registration), and
asks about the request the NDL could not lend (the explanation of a refusal).

Each one follows the demo's loans in time: the refusal's reasons come with
the decision, the library's question two days later, the answer the next
day. One message of each side is left unread, so the admin's index and the
portal's dashboard show what is waiting. Posted through ``message_post`` like
any message; only the dates are moved back afterwards (demo history).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from core.models import User
from loans.models import LoanRequest, LoanStatus
from registration.models import Library

from .models import Message, Side, Thread
from .services import message_post

# Written "English / 日本語" like the demo's other free text: the demo reads
# right whichever language it is shown in.
REGISTRATION_QUESTION = (
    "Our interlibrary loan office moves to the new Asia Library building next month. "
    "Do we need to apply again, or is a letter with the new address enough?\n"
    "/ 来月、相互貸借の担当部署が新しいアジア図書館棟に移転します。"
    "登録を申請し直す必要がありますか。新しい住所を書面でお知らせすればよろしいでしょうか。"
)
REGISTRATION_ANSWER = (
    "There is no need to apply again. Please send us a change notice by letter or fax, "
    "quoting your User ID and giving the new postal address; the NDL updates your "
    "registration when it arrives.\n"
    "/ 再度の申請は不要です。利用者IDを明記のうえ、新しい住所を記載した変更届を郵送または"
    "ファクシミリでお送りください。届いた時点で登録内容を更新します。"
)
REGISTRATION_THANKS = (
    "Thank you. The change notice was posted today, signed by our University Librarian.\n"
    "/ ありがとうございます。本日、館長の署名入りの変更届を郵送しました。"
)
REFUSAL_QUESTION = (
    "Thank you for your answer. Could you tell us when the item will be available again? "
    "Our reader needs it for a thesis due in spring.\n"
    "/ ご回答ありがとうございます。この資料はいつ頃また利用できるようになりますか。"
    "利用者が春に提出する論文のために必要としています。"
)
REFUSAL_ANSWER = (
    "The item is being used in our reading room until the end of this month. "
    "The NDL does not hold requests in a queue, so please send a new request after that; "
    "it will be decided as usual.\n"
    "/ この資料は今月末まで当館の閲覧室で利用中です。申込みの予約は受け付けておりませんので、"
    "月末以降に改めてお申し込みください。通常どおり審査いたします。"
)


def _dated(message: Message | object, when: dt.datetime, *, read: bool) -> None:
    assert isinstance(message, Message)  # noqa: S101 - message_post without staff_only  # nosec B101
    # Opened by the other side a few hours after it arrived.
    read_at = when + dt.timedelta(hours=3) if read else None
    Message.objects.filter(pk=message.pk).update(created_at=when, read_at=read_at)
    Thread.objects.filter(pk=message.thread_id).update(last_message_at=when)


def demo_registration_thread_date(*, library: Library, when: dt.datetime) -> None:
    """Date the NDL's messages about ``library``'s registration ``when`` (the
    demo letter asking for information is dated in the past; its message,
    posted by the same service, follows it)."""
    Message.objects.filter(
        thread__library=library, thread__loan_request__isnull=True, sender=Side.NDL
    ).update(created_at=when)
    Thread.objects.filter(library=library, loan_request__isnull=True).update(last_message_at=when)


def seed_demo_conversations(*, library: Library, staff: User) -> int:
    """Post the demo conversations of ``library`` (a registered library with a
    portal login) answered by ``staff``; return how many messages were posted.
    Does nothing when the library has written already."""
    if Message.objects.filter(thread__library=library, sender=Side.LIBRARY).exists():
        return 0
    portal_user = User.objects.get(library=library)
    now = timezone.now()
    posted = 0

    # About the registration: asked five days ago, answered the next day;
    # the library's thanks this morning are still unread at the NDL.
    steps = [
        (portal_user, REGISTRATION_QUESTION, now - dt.timedelta(days=5), True),
        (staff, REGISTRATION_ANSWER, now - dt.timedelta(days=4), True),
        (portal_user, REGISTRATION_THANKS, now - dt.timedelta(hours=2), False),
    ]
    for author, body, when, read in steps:
        _dated(message_post(subject=library, author=author, body=body), when, read=read)
        posted += 1

    # About the refused request: the reasons were posted with the decision.
    refused = (
        LoanRequest.objects.filter(library=library, status=LoanStatus.REJECTED)
        .order_by("pk")
        .first()
    )
    if refused is not None and refused.decided_at is not None:
        decided = refused.decided_at
        Message.objects.filter(thread__loan_request=refused, sender=Side.NDL).update(
            created_at=decided, read_at=decided + dt.timedelta(hours=20)
        )
        # The answer is unread in the portal: the dashboard shows it.
        steps = [
            (portal_user, REFUSAL_QUESTION, decided + dt.timedelta(days=2), True),
            (staff, REFUSAL_ANSWER, decided + dt.timedelta(days=3), False),
        ]
        for author, body, when, read in steps:
            _dated(message_post(subject=refused, author=author, body=body), when, read=read)
            posted += 1
    return posted
