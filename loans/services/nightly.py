"""The nightly jobs: flag overdue loans and late receipt letters, send the notices.

Each job is set-based: one query finds the rows that need work, rows that
need nothing cost nothing, and the work is claimed with a conditional
``UPDATE … WHERE`` on rows locked in pk order. A notice is queued in the same
transaction as the claim that records it (``overdue_notices_sent``,
``late_letter_flagged_on``), so a job run twice, or by two workers at once,
queues every notice exactly once; the outbox then sends it exactly once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from core.emails import RenderedMail, mail_queue, mail_render
from core.models import AuditEntry, Site
from core.pagecache import library_pages_touch
from loans.duedates import due_date_for
from loans.models import HELD_STATUSES, LoanRequest, LoanStatus, ReceiptChannel, Shipment

# Rows claimed per transaction: large enough that a run is a handful of
# statements, small enough that locks are short and the IN lists stay well
# under SQLite's limit on query parameters.
CHUNK = 2000
# The NDL page: send the receipt letter "within three days" of arrival.
RECEIPT_LETTER_DAYS = 3

_LOAN_TYPE = LoanRequest._meta.label_lower
OVERDUE_NOTICE_ACTION = "loan.overdue_notice"
_SHIPMENT_TYPE = Shipment._meta.label_lower


@dataclass(frozen=True)
class OverdueItem:
    """One loan as listed in its library's overdue notice."""

    loan: LoanRequest
    days_overdue: int
    # What the library reads: 1 for the first notice it gets about this
    # loan, even when that notice comes late in the schedule.
    notice_number: int
    is_final: bool
    site: Site
    # The step of the schedule reached (``overdue_notices_sent`` after this
    # notice): the claim and the email's idempotency key.
    stage: int


@dataclass
class NightlyReport:
    today: dt.date
    overdue_flagged: int = 0
    overdue_notices: int = 0
    overdue_loans_noticed: int = 0
    escalated: int = 0
    late_receipts_flagged: int = 0
    late_receipt_notices: int = 0
    receipt_reminders: int = 0


def nightly_today() -> dt.date:
    """The calendar day in Japan (settings.TIME_ZONE), whatever the host's zone."""
    return timezone.localdate()


def _audit_many(
    *, action: str, object_type: str, rows: Iterable[tuple[int, str, dict[str, Any]]]
) -> None:
    # ``audit_log`` writes one row per call; a bulk change gets one INSERT
    # with the same fields, so auditing does not cost a query per loan.
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                actor=None,
                action=action,
                object_type=object_type,
                object_id=str(pk),
                object_repr=text[:200],
                data=data,
            )
            for pk, text, data in rows
        ]
    )


# --- Overdue ---------------------------------------------------------------


def loans_overdue_flag(*, today: dt.date) -> int:
    """Make every held loan whose due date has passed OVERDUE; return how many.

    The due day itself is not overdue, the day after is. This bypasses
    ``loan_transition`` on purpose: a night can flag thousands of loans, and
    one locked SELECT plus one conditional UPDATE per chunk (with bulk audit
    entries carrying the same from/to data) keeps the cost independent of
    the number of loans. The move is NIGHTLY_OVERDUE_FLAG in LOAN_MOVES.
    """
    flagged = 0
    while True:
        with transaction.atomic():
            rows: list[tuple[int, dt.date, str, int]] = list(
                LoanRequest.objects.select_for_update(of=("self",))
                .filter(status=LoanStatus.RECEIVED, due_on__lt=today)
                .order_by("pk")
                .values_list("pk", "due_on", "material__ndl_id", "library_id")[:CHUNK]  # type: ignore[arg-type]
            )
            if not rows:
                return flagged
            ids = [pk for pk, _due, _ndl, _lib in rows]
            due_dates = sorted({due for _pk, due, _ndl, _lib in rows})
            # overdue_since is the first overdue day, right even when a night
            # was missed; one CASE keeps it a single statement.
            since = Case(
                *[When(due_on=due, then=Value(due + dt.timedelta(days=1))) for due in due_dates]
            )
            updated = LoanRequest.objects.filter(pk__in=ids, status=LoanStatus.RECEIVED).update(
                status=LoanStatus.OVERDUE, overdue_since=since
            )
            _audit_many(
                action="loan.overdue",
                object_type=_LOAN_TYPE,
                rows=(
                    (
                        pk,
                        f"#{pk} {ndl}",
                        {
                            "from": LoanStatus.RECEIVED.value,
                            "to": LoanStatus.OVERDUE.value,
                            "due_on": due.isoformat(),
                            "overdue_since": (due + dt.timedelta(days=1)).isoformat(),
                        },
                    )
                    for pk, due, ndl, _lib in rows
                ),
            )
            # QuerySet.update() sends no signal: the portal pages of these
            # libraries show the loans' status.
            library_pages_touch(library_ids=[lib for _pk, _due, _ndl, lib in rows])
            flagged += updated


def _notice_days() -> list[int]:
    return sorted(int(d) for d in settings.NDL_OVERDUE_NOTICE_DAYS)


def _notice_due_q(*, today: dt.date, days: Sequence[int]) -> Q:
    """Loans whose next notice (number ``overdue_notices_sent + 1``) is due."""
    q = Q(pk__in=[])
    for n, day in enumerate(days):
        q |= Q(overdue_notices_sent=n, due_on__lte=today - dt.timedelta(days=day))
    return q


def _notices_owed(*, days_overdue: int, days: Sequence[int]) -> int:
    """How many notices a loan this late should have had in all.

    A missed night does not produce two emails at once: the loan jumps to
    the latest notice due and the skipped one is counted as sent.
    """
    return sum(1 for d in days if days_overdue >= d)


def _overdue_candidates(*, today: dt.date, days: Sequence[int]) -> QuerySet[LoanRequest]:
    return LoanRequest.objects.filter(
        _notice_due_q(today=today, days=days),
        status=LoanStatus.OVERDUE,
        escalated_on__isnull=True,
    )


def overdue_notices_send(*, today: dt.date) -> tuple[int, int]:
    """Queue one overdue notice per library listing all its loans due a notice.

    Return (notices queued, loans covered). Queries grow with the number of
    libraries notified, not with the number of loans.
    """
    days = _notice_days()
    library_ids = list(
        _overdue_candidates(today=today, days=days)
        .order_by("library_id")
        .values_list("library_id", flat=True)
        .distinct()
    )
    notices = loans = 0
    for library_id in library_ids:
        covered = library_overdue_notify(library_id=library_id, today=today, days=days)
        if covered:
            notices += 1
            loans += covered
    return notices, loans


class OverdueNoticeRace(Exception):
    """Another run claimed a loan of this library's notice first (the rows are
    locked and checked first, so only a database without row locks lets this
    happen): the transaction is undone and that run's notice is the one sent."""

    def __init__(self, *, library_id: int) -> None:
        super().__init__(f"overdue notice of library {library_id} claimed by another run")
        self.library_id = library_id


def library_overdue_notify(*, library_id: int, today: dt.date, days: Sequence[int]) -> int:
    """Claim this library's loans due a notice and queue the one email; return
    how many loans it lists (0 when another run got there first).

    Each loan's notice number (``overdue_notice_number``, 1 for the first
    notice the library gets about it) is raised in the same conditional
    UPDATE that claims its step of the schedule.
    """
    try:
        return _library_overdue_notify(library_id=library_id, today=today, days=days)
    except OverdueNoticeRace:
        return 0


def _library_overdue_notify(*, library_id: int, today: dt.date, days: Sequence[int]) -> int:
    # Read and render first, holding no lock; then lock the same loans and
    # check that nothing moved in between. A run that changed them meanwhile
    # (another worker's notice, a return) makes this one read again.
    for _attempt in range(3):
        candidates = _overdue_candidates(today=today, days=days).filter(library_id=library_id)
        loans = list(
            candidates.select_related("library", "material", "shipment__site").order_by("pk")
        )
        if not loans:
            return 0
        items = _overdue_items(loans=loans, today=today, days=days)
        library = loans[0].library
        sites = list({item.site.pk: item.site for item in items}.values())
        rendered = mail_render(
            template="overdue",
            context={
                "library": library,
                "items": items,
                "sites": sites,
                "today": today,
                "is_final": any(item.is_final for item in items),
                "lang": library.language,
            },
            language=library.language,
        )
        read = [(loan.pk, loan.overdue_notices_sent, loan.overdue_notice_number) for loan in loans]
        with transaction.atomic():
            # Locked in pk order, then re-checked by PostgreSQL against the
            # WHERE clause: a concurrent run that got here first has already
            # moved the loans on, and this one finds them changed.
            locked = list(
                candidates.select_for_update(of=("self",))
                .order_by("pk")
                .values_list("pk", "overdue_notices_sent", "overdue_notice_number")
            )
            if locked != read:
                continue
            _overdue_claim(library_id=library_id, items=items)
            # One email covers several loan notices; its key names each of
            # them (``overdue-<loan>-<n>``), hashed to fit the column.
            parts = ",".join(f"overdue-{item.loan.pk}-{item.stage}" for item in items)
            digest = hashlib.sha256(parts.encode()).hexdigest()[:32]
            mail_queue(
                to=[library.email], rendered=rendered, dedupe_key=f"overdue-{library.pk}-{digest}"
            )
            return len(items)
    return 0


def _overdue_items(
    *, loans: Sequence[LoanRequest], today: dt.date, days: Sequence[int]
) -> list[OverdueItem]:
    items: list[OverdueItem] = []
    for loan in loans:
        assert loan.due_on is not None  # noqa: S101 - guaranteed by the filter  # nosec B101
        days_overdue = (today - loan.due_on).days
        owed = _notices_owed(days_overdue=days_overdue, days=days)
        items.append(
            OverdueItem(
                loan=loan,
                days_overdue=days_overdue,
                notice_number=loan.overdue_notice_number + 1,
                is_final=owed >= len(days),
                # Returns go to the site that sent the item.
                site=loan.shipment.site if loan.shipment else loan.material.lending_site,
                stage=owed,
            )
        )
    return items


def _overdue_claim(*, library_id: int, items: Sequence[OverdueItem]) -> None:
    """Record the notice on each loan and in the audit log; inside the lock."""
    # Loans that move to the same step and the same notice number are
    # claimed by one statement.
    claims: dict[tuple[int, int], list[int]] = defaultdict(list)
    for item in items:
        claims[(item.stage, item.notice_number)].append(item.loan.pk)
    for (owed, number), ids in claims.items():
        # The conditional WHERE is the claim: the step only moves forward and
        # notice ``number`` goes to the loan once. A run that lost the race
        # finds the rows moved on and must send nothing.
        claimed = LoanRequest.objects.filter(
            pk__in=ids, overdue_notices_sent__lt=owed, overdue_notice_number=number - 1
        ).update(overdue_notices_sent=owed, overdue_notice_number=number)
        if claimed != len(ids):
            raise OverdueNoticeRace(library_id=library_id)
    library_pages_touch(library_ids=[library_id])
    _audit_many(
        action=OVERDUE_NOTICE_ACTION,
        object_type=_LOAN_TYPE,
        rows=(
            (
                item.loan.pk,
                f"#{item.loan.pk} {item.loan.material.ndl_id}",
                {
                    "notice": item.notice_number,
                    "stage": item.stage,
                    "days_overdue": item.days_overdue,
                },
            )
            for item in items
        ),
    )


def loans_overdue_escalate(*, today: dt.date) -> int:
    """Hand to staff every overdue loan whose last reminder has gone out.

    Staff see these in the admin's overdue list ("escalated" filter). A bulk
    conditional update for the same reason as ``loans_overdue_flag``.
    """
    last = len(_notice_days())
    escalated = 0
    while True:
        with transaction.atomic():
            rows = list(
                LoanRequest.objects.select_for_update(of=("self",))
                .filter(
                    status=LoanStatus.OVERDUE,
                    escalated_on__isnull=True,
                    overdue_notices_sent__gte=last,
                )
                .order_by("pk")
                .values_list("pk", "material__ndl_id", "library_id")[:CHUNK]
            )
            if not rows:
                return escalated
            ids = [pk for pk, _ndl, _lib in rows]
            escalated += LoanRequest.objects.filter(pk__in=ids, escalated_on__isnull=True).update(
                escalated_on=today
            )
            library_pages_touch(library_ids=[lib for _pk, _ndl, lib in rows])
            _audit_many(
                action="loan.overdue_escalated",
                object_type=_LOAN_TYPE,
                rows=(
                    (pk, f"#{pk} {ndl}", {"escalated_on": today.isoformat()})
                    for pk, ndl, _lib in rows
                ),
            )


# --- Late receipt letters and silent receipt ----------------------------------


def _receipt_notice_days() -> list[int]:
    """Days after delivery on which the library hears its letter is missing.

    The first is when receipt is assumed; a day within the three days the
    library has for its letter is ignored.
    """
    days = sorted({int(d) for d in settings.NDL_RECEIPT_NOTICE_DAYS})
    return [d for d in days if d > RECEIPT_LETTER_DAYS] or [RECEIPT_LETTER_DAYS + 1]


def late_receipt_cutoffs(*, today: dt.date) -> tuple[dt.date, dt.date]:
    """(latest late delivery date, latest late shipping date for an estimate).

    With the default days, delivered three days ago is on time and four days
    ago is late. Without a tracked delivery date, delivery is estimated as
    shipped_on plus NDL_ESTIMATED_TRANSIT_DAYS.
    """
    delivered_by = today - dt.timedelta(days=_receipt_notice_days()[0])
    shipped_by = delivered_by - dt.timedelta(days=settings.NDL_ESTIMATED_TRANSIT_DAYS)
    return delivered_by, shipped_by


def _in_transit() -> Exists:
    return Exists(LoanRequest.objects.filter(shipment=OuterRef("pk"), status=LoanStatus.SHIPPED))


def _late_receipt_q(*, today: dt.date) -> Q:
    delivered_by, shipped_by = late_receipt_cutoffs(today=today)
    return Q(
        Q(delivered_on__lte=delivered_by)
        | Q(delivered_on__isnull=True, shipped_on__lte=shipped_by),
        receipt_letter_on__isnull=True,
        received_on__isnull=True,
        undelivered_on__isnull=True,
        late_letter_flagged_on__isnull=True,
    )


def shipments_late_receipt_flag(*, today: dt.date) -> tuple[int, int]:
    """Flag late receipt letters, assume receipt, queue one notice per shipment.

    Silent receipt: a parcel delivered (tracked, or estimated as shipped_on +
    NDL_ESTIMATED_TRANSIT_DAYS) more than three days ago whose receipt nobody
    recorded is taken as received on its delivery date, on the night it is
    first flagged (the first of NDL_RECEIPT_NOTICE_DAYS, by default four days
    after delivery). Each of its items still SHIPPED becomes RECEIVED with
    that date and the due date one calendar month later, so it becomes
    overdue like any other; items in another state (reported lost) are left
    alone, and a parcel with no item in transit is not flagged. The notice
    names the assumed date and the due date. The flag is the claim: set by a
    conditional bulk UPDATE in the same transaction as the notices, so each
    shipment is noticed once. Return (shipments flagged, notices queued).
    """
    flagged = notices = 0
    days = _receipt_notice_days()
    while True:
        # Read a chunk and render its notices holding no lock; then lock the
        # same rows and check that nothing moved (else read again).
        due = Shipment.objects.filter(_late_receipt_q(today=today)).filter(_in_transit())
        shipments = list(due.select_related("site", "library").order_by("pk")[:CHUNK])
        if not shipments:
            return flagged, notices
        chunk_ids = [s.pk for s in shipments]
        in_transit = LoanRequest.objects.filter(shipment__in=chunk_ids, status=LoanStatus.SHIPPED)
        loans = list(in_transit.select_related("material").order_by("pk"))
        delivery = {s.pk: _delivery_date(s) for s in shipments}
        items: dict[int, list[LoanRequest]] = defaultdict(list)
        for loan in loans:
            # As the notice shows them once receipt is assumed.
            loan.received_on = delivery[loan.shipment_id]  # type: ignore[index]
            loan.due_on = due_date_for(received_on=loan.received_on)
            items[loan.shipment_id].append(loan)  # type: ignore[index]
        mails = [
            _late_receipt_notice_render(
                shipment=shipment,
                loans=items[shipment.pk],
                today=today,
                number=max(1, sum(1 for d in days if (today - delivery[shipment.pk]).days >= d)),
                reminder=False,
            )
            for shipment in shipments
        ]
        with transaction.atomic():
            locked = list(
                due.filter(pk__in=chunk_ids)
                .select_for_update(of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            locked_loans = list(
                in_transit.select_for_update(of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            if locked != chunk_ids or locked_loans != [loan.pk for loan in loans]:
                continue
            by_date: dict[dt.date, list[Shipment]] = defaultdict(list)
            for shipment in shipments:
                by_date[_delivery_date(shipment)].append(shipment)
            for delivered, group in by_date.items():
                ids = [s.pk for s in group]
                owed = sum(1 for d in days if (today - delivered).days >= d)
                flagged += Shipment.objects.filter(
                    pk__in=ids, late_letter_flagged_on__isnull=True, received_on__isnull=True
                ).update(
                    late_letter_flagged_on=today,
                    delivery_estimated=Case(
                        When(delivered_on__isnull=True, then=Value(True)), default=Value(False)
                    ),
                    received_on=delivered,
                    receipt_channel=ReceiptChannel.ASSUMED,
                    receipt_notices_sent=max(owed, 1),
                )
                LoanRequest.objects.filter(shipment_id__in=ids, status=LoanStatus.SHIPPED).update(
                    status=LoanStatus.RECEIVED,
                    received_on=delivered,
                    due_on=due_date_for(received_on=delivered),
                )
            library_pages_touch(library_ids=[s.library_id for s in shipments])
            _audit_many(
                action="shipment.late_receipt_letter",
                object_type=_SHIPMENT_TYPE,
                rows=(
                    (
                        s.pk,
                        str(s),
                        {
                            "delivered_on": _delivery_date(s).isoformat(),
                            "estimated": s.delivered_on is None,
                            "receipt_assumed": _delivery_date(s).isoformat(),
                        },
                    )
                    for s in shipments
                ),
            )
            _audit_many(
                action="loan.receipt_assumed",
                object_type=_LOAN_TYPE,
                rows=(
                    (
                        loan.pk,
                        f"#{loan.pk} {loan.material.ndl_id}",
                        {
                            "from": LoanStatus.SHIPPED.value,
                            "to": LoanStatus.RECEIVED.value,
                            "received_on": delivery[loan.shipment_id].isoformat(),  # type: ignore[index]
                            "due_on": due_date_for(
                                received_on=delivery[loan.shipment_id]  # type: ignore[index]
                            ).isoformat(),
                        },
                    )
                    for loan in loans
                ),
            )
            for to, rendered, key in mails:
                if mail_queue(to=to, rendered=rendered, dedupe_key=key) is not None:
                    notices += 1


def _reminder_due_q(*, today: dt.date, days: Sequence[int]) -> Q:
    """Assumed receipts whose next reminder (number ``receipt_notices_sent + 1``) is due."""
    q = Q(pk__in=[])
    for n, day in enumerate(days):
        if n:
            q |= Q(receipt_notices_sent=n, received_on__lte=today - dt.timedelta(days=day))
    return q


def shipments_receipt_remind(*, today: dt.date) -> int:
    """Remind libraries of receipt letters still missing after receipt was assumed.

    At each later day of NDL_RECEIPT_NOTICE_DAYS (after delivery, by default
    11 and 25), while the receipt is still only assumed and the library still
    holds an item of the parcel. A missed night sends one reminder, not two;
    the claim is the conditional update of ``receipt_notices_sent``, in the
    same transaction as the notice. Return the number of reminders queued.
    """
    days = _receipt_notice_days()
    held = Exists(LoanRequest.objects.filter(shipment=OuterRef("pk"), status__in=HELD_STATUSES))
    sent = 0
    while True:
        # Read a chunk and render its reminders holding no lock; then lock
        # the same shipments and check that none moved (else read again).
        due = Shipment.objects.filter(
            _reminder_due_q(today=today, days=days),
            held,
            receipt_channel=ReceiptChannel.ASSUMED,
            receipt_letter_on__isnull=True,
            undelivered_on__isnull=True,
        )
        shipments = list(due.select_related("site", "library").order_by("pk")[:CHUNK])
        if not shipments:
            return sent
        chunk = [(s.pk, s.receipt_notices_sent) for s in shipments]
        loans: dict[int, list[LoanRequest]] = defaultdict(list)
        for loan in (
            LoanRequest.objects.filter(shipment__in=shipments, status__in=HELD_STATUSES)
            .select_related("material")
            .order_by("pk")
        ):
            loans[loan.shipment_id].append(loan)  # type: ignore[index]
        by_number: dict[int, list[int]] = defaultdict(list)
        numbers: dict[int, int] = {}
        for shipment in shipments:
            assert shipment.received_on is not None  # noqa: S101 - assumed receipts have one  # nosec B101
            owed = sum(1 for d in days if (today - shipment.received_on).days >= d)
            numbers[shipment.pk] = owed
            by_number[owed].append(shipment.pk)
        mails = [
            _late_receipt_notice_render(
                shipment=shipment,
                loans=loans[shipment.pk],
                today=today,
                number=numbers[shipment.pk],
                reminder=True,
            )
            for shipment in shipments
        ]
        with transaction.atomic():
            locked = list(
                due.filter(pk__in=[pk for pk, _n in chunk])
                .select_for_update(of=("self",))
                .order_by("pk")
                .values_list("pk", "receipt_notices_sent")
            )
            if locked != chunk:
                continue
            for owed, ids in by_number.items():
                Shipment.objects.filter(pk__in=ids, receipt_notices_sent__lt=owed).update(
                    receipt_notices_sent=owed
                )
            library_pages_touch(library_ids=[s.library_id for s in shipments])
            _audit_many(
                action="shipment.receipt_reminder",
                object_type=_SHIPMENT_TYPE,
                rows=((s.pk, str(s), {"notice": numbers[s.pk]}) for s in shipments),
            )
            for to, rendered, key in mails:
                if mail_queue(to=to, rendered=rendered, dedupe_key=key) is not None:
                    sent += 1


def _delivery_date(shipment: Shipment) -> dt.date:
    if shipment.delivered_on is not None:
        return shipment.delivered_on
    return shipment.shipped_on + dt.timedelta(days=settings.NDL_ESTIMATED_TRANSIT_DAYS)


def _late_receipt_notice_render(
    *,
    shipment: Shipment,
    loans: Sequence[LoanRequest],
    today: dt.date,
    number: int,
    reminder: bool,
) -> tuple[list[str], RenderedMail, str]:
    """The recipients, the rendered notice and its outbox key."""
    library = shipment.library
    received_on = loans[0].received_on if loans else _delivery_date(shipment)
    rendered = mail_render(
        template="late-receipt",
        context={
            "library": library,
            "shipment": shipment,
            "site": shipment.site,
            "loans": list(loans),
            "delivered_on": received_on,
            "due_on": due_date_for(received_on=received_on) if received_on else None,
            "estimated": shipment.delivered_on is None,
            "reminder": reminder,
            "today": today,
            "lang": library.language,
        },
        language=library.language,
    )
    # The first notice keeps the key it always had.
    key = f"late-receipt-{shipment.pk}" if number == 1 else f"late-receipt-{shipment.pk}-{number}"
    return [library.email], rendered, key


# --- The whole night ----------------------------------------------------------


def nightly_run(*, today: dt.date | None = None) -> NightlyReport:
    """Every nightly job in order; safe to run again on the same day.

    Receipts are assumed first, so that a loan whose assumed receipt is
    already more than a month old is flagged overdue the same night.
    """
    report = NightlyReport(today=today or nightly_today())
    report.late_receipts_flagged, report.late_receipt_notices = shipments_late_receipt_flag(
        today=report.today
    )
    report.receipt_reminders = shipments_receipt_remind(today=report.today)
    report.overdue_flagged = loans_overdue_flag(today=report.today)
    report.overdue_notices, report.overdue_loans_noticed = overdue_notices_send(today=report.today)
    report.escalated = loans_overdue_escalate(today=report.today)
    return report
