"""Counts for the back-office dashboard, in a fixed number of queries.

Each queue is one aggregate over one table, whatever the data volume. A
staff member sees only the queues whose list they may open, and lending
staff only their own site's work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from conversations.selectors import staff_unread_count, staff_unread_query
from core.models import Site, User
from core.roles import staff_site
from loans.models import LoanRequest, LoanStatus, Shipment
from registration.selectors import AgeBand, application_list_open
from returns.models import CaseStatus
from returns.selectors import cases_for_site, check_ins_for_site

if TYPE_CHECKING:  # a dev-only package: the types are checked, never imported at run time
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Queue:
    label: StrOrPromise
    count: int
    url: str
    site: str = ""
    urgent: bool = False
    # Who sees the queue: those who may do its work, e.g. "loans.change_loanrequest"
    # for the requests to decide (lending staff may read requests, not decide them).
    permission: str = ""


def _url(model: str, query: str = "") -> str:
    app, name = model.split(".")
    try:
        url = reverse(f"admin:{app}_{name}_changelist")
    except NoReverseMatch:  # the model is not in the admin: show the count only
        return ""
    return url + (f"?{query}" if query else "")


def work_queues(*, user: User) -> list[Queue]:
    """The dashboard's queues that ``user`` may open, counted for their site."""
    own = staff_site(user)
    # The age bands are registration's rule; count through its selectors.
    apps = {
        "open": application_list_open().count(),
        "late": application_list_open(band=AgeBand.OVERDUE).count(),
    }
    loans = LoanRequest.objects.aggregate(
        to_decide=Count("pk", filter=Q(status=LoanStatus.REQUESTED)),
        overdue=Count("pk", filter=Q(status=LoanStatus.OVERDUE)),
        in_transit=Count("pk", filter=Q(status=LoanStatus.RETURN_SHIPPED)),
    )
    per_site = {
        row["material__site"]: row
        for row in LoanRequest.objects.filter(status=LoanStatus.ACCEPTED)
        .values("material__site")
        .annotate(
            to_pull=Count("pk", filter=Q(packed_at__isnull=True)),
            to_ship=Count("pk", filter=Q(packed_at__isnull=False)),
        )
    }
    shipments = Shipment.objects.filter(site=own) if own else Shipment.objects.all()
    late_letters = shipments.filter(
        late_letter_flagged_on__isnull=False,
        receipt_letter_on__isnull=True,
        received_on__isnull=True,
    ).count()
    wrong_site = check_ins_for_site(site=own).filter(wrong_site=True).count()
    unread = staff_unread_count(user=user)
    open_cases = cases_for_site(site=own).exclude(status=CaseStatus.SETTLED).count()

    queues = [
        Queue(
            _("Applications open (over six weeks: %(late)d)") % {"late": apps["late"]},
            apps["open"],
            _url("registration.application", f"age={AgeBand.OVERDUE}" if apps["late"] else ""),
            urgent=apps["late"] > 0,
            permission="registration.change_application",
        ),
        Queue(
            _("Requests to decide"),
            loans["to_decide"],
            _url("loans.loanrequest", "status__exact=requested"),
            permission="loans.change_loanrequest",
        ),
    ]
    for site in [own] if own else Site.objects.all():
        row = per_site.get(site.pk, {"to_pull": 0, "to_ship": 0})
        queues.append(
            Queue(
                _("Items to pull"),
                row["to_pull"],
                _url("loans.pullqueueitem", f"site={site.pk}"),
                site.local_name,
                permission="loans.change_pullqueueitem",
            )
        )
        queues.append(
            Queue(
                _("Packed, to ship"),
                row["to_ship"],
                _url("loans.shipqueueitem", f"site={site.pk}"),
                site.local_name,
                permission="loans.change_shipqueueitem",
            )
        )
    queues += [
        Queue(
            _("Unread messages from libraries"),
            unread,
            _url("conversations.thread", staff_unread_query(user=user)),
            urgent=unread > 0,
            permission="conversations.view_message",
        ),
        Queue(
            _("Missing receipt letters"),
            late_letters,
            _url("loans.shipment"),
            urgent=late_letters > 0,
            permission="loans.view_shipment",
        ),
        Queue(
            _("Overdue loans"),
            loans["overdue"],
            _url("loans.overdueloan"),
            urgent=loans["overdue"] > 0,
            permission="loans.view_overdueloan",
        ),
        Queue(
            _("Returns in transit"),
            loans["in_transit"],
            _url("loans.loanrequest", "status__exact=return_shipped"),
            permission="loans.view_loanrequest",
        ),
        Queue(
            _("Returned to the wrong site"),
            wrong_site,
            _url("returns.checkin", "wrong_site__exact=1"),
            urgent=wrong_site > 0,
            permission="returns.view_checkin",
        ),
        Queue(
            _("Open damage and loss cases"),
            open_cases,
            _url("returns.damagecase"),
            urgent=open_cases > 0,
            permission="returns.view_damagecase",
        ),
    ]
    return [q for q in queues if user.has_perm(q.permission)]
