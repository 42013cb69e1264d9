"""The lending desk: pull-slip batches, and a check-in from a scan.

Packing and dispatch at the desk call ``loans.services.shipping`` as the
work queues do; this module adds what only the desk does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_log
from core.errors import DomainError
from core.models import Site, User
from core.roles import staff_site, staff_site_require
from loans.models import LoanAction, LoanRequest, LoanStatus, PullSlipBatch
from loans.selectors_desk import pull_slip_candidates
from returns.models import CheckIn
from returns.services import loan_check_in

from .transitions import loans_lock, move_check


def pull_slip_batch_create(
    *, site: Site, actor: User, loan_ids: Sequence[int] | None = None
) -> PullSlipBatch:
    """Record a batch of pull slips for ``site``.

    Without ``loan_ids`` the batch holds every item of the site accepted and
    still on the shelf that no earlier batch printed; with them, exactly
    those items, each of which must be accepted, not yet packed and held at
    ``site`` (an item may be printed again in a later batch). Batches of one
    site are made one at a time (the site's row is locked). Returns the batch;
    raises DomainError, writing nothing, for another site's staff, an item
    that cannot be pulled, or an empty batch.
    """
    staff_site_require(actor=actor, site_id=site.pk)
    with transaction.atomic():
        # Two printers at one site must not both take the same new items.
        Site.objects.select_for_update().filter(pk=site.pk).first()
        if loan_ids is None:
            ids = list(pull_slip_candidates(site=site).values_list("pk", flat=True))
            if not ids:
                raise DomainError(
                    _(
                        "No item of %(site)s was accepted since the last batch: there are "
                        "no pull slips to print."
                    )
                    % {"site": site.local_name},
                    code="empty_batch",
                )
        else:
            ids = sorted(set(loan_ids))
            if not ids:
                raise DomainError(
                    _("Choose at least one item to print pull slips for."), code="empty_batch"
                )
        loans = loans_lock(loan_ids=ids)
        for loan in loans:
            if loan.material.site_id != site.pk:
                raise DomainError(
                    _("Request #%(id)s is held at %(other)s, not at %(site)s.")
                    % {"id": loan.pk, "other": loan.material.site, "site": site},
                    code="other_site",
                )
            move_check(loan=loan, action=LoanAction.PACK)
            if loan.packed_at is not None or loan.status != LoanStatus.ACCEPTED:
                raise DomainError(
                    _("Request #%(id)s is already packed.") % {"id": loan.pk},
                    code="already_packed",
                )
        batch = PullSlipBatch.objects.create(site=site, created_by=actor)
        batch.loans.set(loans)
        audit_log(
            actor=actor,
            action="loans.pull_slip_batch.create",
            obj=batch,
            data={"site": site.code, "loans": [loan.pk for loan in loans]},
        )
        return batch


def desk_check_in(
    *,
    loan_id: int,
    condition: str,
    loan_slip_enclosed: bool,
    to_borrowers_enclosed: bool,
    note: str,
    actor: User,
    checked_in_on: dt.date | None = None,
) -> CheckIn:
    """Check in one scanned item today at the staff member's site.

    Staff bound to a site check in at it (a return to the wrong site is
    flagged by ``returns.services.loan_check_in``); others at the site that
    lent the item. Raises what ``loan_check_in`` raises.
    """
    site = staff_site(actor)
    if site is None:
        loan = LoanRequest.objects.select_related("shipment__site").filter(pk=loan_id).first()
        if loan is None:
            raise DomainError(_("This request does not exist."), code="missing")
        if loan.shipment is None:
            move_check(loan=loan, action=LoanAction.CHECK_IN)  # raises: never shipped
        assert loan.shipment is not None  # noqa: S101  # nosec B101
        site = loan.shipment.site
    return loan_check_in(
        loan_id=loan_id,
        site=site,
        checked_in_on=checked_in_on or timezone.localdate(),
        condition=condition,
        loan_slip_enclosed=loan_slip_enclosed,
        to_borrowers_enclosed=to_borrowers_enclosed,
        note=note,
        actor=actor,
    )
