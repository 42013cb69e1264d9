"""Reads for the portal dashboard: what the library holds and what needs doing now.

Three queries whatever the number of loans: the library's outstanding loans
(with their material, shipment and check-in joined), their return parcels
(prefetched), and its open damage and loss cases.

Each loan's timeline is built here as plain tuples, with its labels translated
once per page, so that ``loans/_timeline.html`` (on the dashboard and the
request page) only loops over them: translating every label in the template,
once per loan, cost more than the rest of the page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from registration.models import Library
from returns.models import CaseStatus, DamageCase, ReturnParcel

from .models import (
    CAP_COUNTING_STATUSES,
    LOAN_CAP,
    LoanRequest,
    LoanStatus,
    ReceiptChannel,
    Shipment,
)

# "Items due within 7 days": due today up to and including today + 7 days.
DUE_SOON_DAYS = 7


@dataclass
class ShipmentToConfirm:
    """A parcel on its way to (or arrived at) the library, receipt not yet confirmed."""

    shipment: Shipment
    loans: list[LoanRequest] = field(default_factory=list)


# One step of a timeline: (CSS class of the <li>, visually hidden "Done:" or
# "Still to come:" prefix or "", step name, date as YYYY-MM-DD or None for no
# date, detail line or None, badge or None; a step with a detail or a badge
# has a date). Texts are escaped by the template; the detail is already safe HTML.
TimelineStep = tuple[str, str, str, str | None, SafeString | None, str | None]


@dataclass
class LoanTimeline:
    loan: LoanRequest
    # ``loan.get_status_display()``, which translates every status each call.
    status_label: str
    # The list's aria-label, "History of request #…", already safe HTML.
    label: SafeString
    steps: list[TimelineStep]


@dataclass
class Dashboard:
    outstanding_count: int
    cap: int
    # Everything the library has from (or asked of) the NDL, oldest first.
    outstanding: list[LoanRequest]
    to_confirm: list[ShipmentToConfirm]
    due_soon: list[LoanRequest]
    overdue: list[LoanRequest]
    open_cases: list[DamageCase]
    # ``outstanding`` with each loan's timeline, in the same order.
    timelines: list[LoanTimeline] = field(default_factory=list)

    @property
    def has_actions(self) -> bool:
        return bool(self.to_confirm or self.due_soon or self.overdue or self.open_cases)


def loans_with_timeline() -> QuerySet[LoanRequest]:
    """Loans with everything ``loans/_timeline.html`` reads, in two queries."""
    parcels = ReturnParcel.objects.order_by("sent_on", "pk")
    return LoanRequest.objects.select_related(
        "material", "material__site", "shipment", "shipment__site", "check_in", "check_in__site"
    ).prefetch_related(Prefetch("return_parcels", queryset=parcels))


def ymd(value: dt.date | None) -> str:
    """What ``|date:"Y-m-d"`` shows: the local date, or "" for no value."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}"


def _format(message: str, **values: str) -> SafeString:
    """What ``{% blocktranslate with … %}`` shows: the values escaped, the message not."""
    return mark_safe(message % {k: conditional_escape(v) for k, v in values.items()})  # noqa: S308  # nosec B308, B703


def status_labels() -> dict[str, str]:
    """Each loan status's name in the active language, translated once per page
    (``get_status_display()`` translates all of them on every call)."""
    return {value: str(label) for value, label in LoanStatus.choices}


def timeline_labels() -> dict[str, str]:
    """The timeline's texts in the active language, translated once per page."""
    return {
        "done": _("Done:"),
        "todo": _("Still to come:"),
        "requested": _("Requested"),
        "cancelled": _("Cancelled"),
        "rejected": _("Decided: not lent"),
        "accepted": _("Accepted by the NDL"),
        "decision": _("Decision by the NDL"),
        "shipped": _("Shipped by registered air mail"),
        "shipped_detail": _("from %(site)s, tracking number %(number)s"),
        "received": _("Received by your library"),
        "due": _("Ship back by"),
        "no_extension": _(
            "Loans are not extended; the item may be requested again after its return."
        ),
        "overdue": _("Overdue"),
        "due_later": _("Ship back within one month of receipt"),
        "return_sent": _("Return sent"),
        "return_detail": _("%(method)s, tracking number %(number)s"),
        "checked_in": _("Checked in at the NDL"),
        "undelivered": _("Brought back to the NDL undelivered by the post"),
        "assumed": _("no receipt letter: taken as the delivery date"),
        "history": _("History of request #%(id)s"),
    }


def loan_timeline(
    loan: LoanRequest, labels: dict[str, str], statuses: dict[str, str]
) -> LoanTimeline:
    """One loan's history as ``loans/_timeline.html`` shows it, without queries
    when the loan comes from ``loans_with_timeline()``."""
    done, todo = labels["done"], labels["todo"]
    requested = ymd(loan.requested_at)
    steps: list[TimelineStep] = [("done", done, labels["requested"], requested, None, None)]
    status = loan.status
    if status == LoanStatus.CANCELLED:
        steps.append(("done", done, labels["cancelled"], ymd(loan.cancelled_at), None, None))
    elif status == LoanStatus.REJECTED:
        steps.append(("done", done, labels["rejected"], ymd(loan.decided_at), None, None))
    else:
        if loan.decided_at or status != LoanStatus.REQUESTED:
            steps.append(("done", done, labels["accepted"], ymd(loan.decided_at), None, None))
        else:
            steps.append(("pending", todo, labels["decision"], None, None, None))
        shipment = loan.shipment
        if shipment:
            detail = _format(
                labels["shipped_detail"],
                site=shipment.site.local_name,
                number=shipment.tracking_number,
            )
            steps.append(("done", done, labels["shipped"], ymd(shipment.shipped_on), detail, None))
        else:
            steps.append(("pending", todo, labels["shipped"], None, None, None))
        if status == LoanStatus.UNDELIVERED and shipment:
            steps.append(
                ("alert-step", "", labels["undelivered"], ymd(shipment.undelivered_on), None, None)
            )
            return LoanTimeline(
                loan, statuses[status], _format(labels["history"], id=str(loan.pk)), steps
            )
        if loan.received_on:
            assumed = shipment is not None and shipment.receipt_channel == ReceiptChannel.ASSUMED
            assumed_note = conditional_escape(labels["assumed"]) if assumed else None
            steps.append(
                ("done", done, labels["received"], ymd(loan.received_on), assumed_note, None)
            )
        else:
            steps.append(("pending", todo, labels["received"], None, None, None))
        if loan.due_on:
            overdue = status == LoanStatus.OVERDUE
            steps.append(
                (
                    "alert-step" if overdue else "due",
                    "",
                    labels["due"],
                    ymd(loan.due_on),
                    conditional_escape(labels["no_extension"]),
                    labels["overdue"] if overdue else None,
                )
            )
        else:
            steps.append(("pending", todo, labels["due_later"], None, None, None))
        parcels = list(loan.return_parcels.all())
        for parcel in parcels:
            detail = _format(
                labels["return_detail"],
                method=parcel.get_method_display(),
                number=parcel.tracking_number,
            )
            steps.append(("done", done, labels["return_sent"], ymd(parcel.sent_on), detail, None))
        if not parcels:
            steps.append(("pending", todo, labels["return_sent"], None, None, None))
        if status in (LoanStatus.LOST, LoanStatus.LOSS_SETTLED):
            steps.append(("alert-step", "", statuses[status], None, None, None))
        check_in = getattr(loan, "check_in", None)  # None when the loan has none
        if check_in:
            steps.append(
                (
                    "done",
                    done,
                    labels["checked_in"],
                    ymd(check_in.checked_in_on),
                    conditional_escape(check_in.site.local_name),
                    None,
                )
            )
        else:
            steps.append(("pending", todo, labels["checked_in"], None, None, None))
    return LoanTimeline(loan, statuses[status], _format(labels["history"], id=str(loan.pk)), steps)


def library_dashboard(*, library: Library, today: dt.date | None = None) -> Dashboard:
    today = today or timezone.localdate()
    due_soon_limit = today + dt.timedelta(days=DUE_SOON_DAYS)
    outstanding = list(
        loans_with_timeline()
        .filter(library=library, status__in=CAP_COUNTING_STATUSES)
        .order_by("requested_at", "pk")
    )

    to_confirm: dict[int, ShipmentToConfirm] = {}
    due_soon: list[LoanRequest] = []
    overdue: list[LoanRequest] = []
    for loan in outstanding:
        # A receipt the nightly job assumed still wants the library's letter.
        assumed = (
            loan.shipment is not None and loan.shipment.receipt_channel == ReceiptChannel.ASSUMED
        )
        if loan.shipment is not None and (loan.status == LoanStatus.SHIPPED or assumed):
            group = to_confirm.setdefault(loan.shipment_id, ShipmentToConfirm(loan.shipment))  # type: ignore[arg-type]
            group.loans.append(loan)
        if loan.status == LoanStatus.OVERDUE:
            overdue.append(loan)
        elif loan.status == LoanStatus.RECEIVED and loan.due_on is not None:
            # Past due but not yet flagged by the nightly job: overdue all the same.
            if loan.due_on < today:
                overdue.append(loan)
            elif loan.due_on <= due_soon_limit:
                due_soon.append(loan)

    labels, statuses = timeline_labels(), status_labels()
    open_cases = list(
        DamageCase.objects.filter(loan__library=library)
        .exclude(status=CaseStatus.SETTLED)
        .select_related("loan", "loan__material")
        .order_by("reported_on", "pk")
    )
    return Dashboard(
        outstanding_count=len(outstanding),
        cap=LOAN_CAP,
        outstanding=outstanding,
        to_confirm=sorted(
            to_confirm.values(), key=lambda g: (g.shipment.shipped_on, g.shipment.pk)
        ),
        due_soon=sorted(due_soon, key=lambda loan: (loan.due_on, loan.pk)),
        overdue=sorted(overdue, key=lambda loan: (loan.due_on or today, loan.pk)),
        open_cases=open_cases,
        timelines=[loan_timeline(loan, labels, statuses) for loan in outstanding],
    )
