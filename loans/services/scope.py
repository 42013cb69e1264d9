"""Which site's staff may act on a loan.

A loan belongs to the site that sent it (its shipment's site) or, before it
is shipped, to the site that holds the item. Lending staff act only on their
own site's loans; the rule itself is ``core.roles.staff_site_require``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.db.models.functions import Coalesce

from core.models import User
from core.roles import staff_site, staff_site_require
from loans.models import LoanRequest


def staff_loans_require(*, actor: User | None, loan_ids: Iterable[int] | QuerySet) -> None:
    """Refuse site-bound staff when any of ``loan_ids`` belongs to another site.

    ``loan_ids`` may be a list or a values queryset (e.g. the loan of a damage
    case). Raises ``DomainError(code="other_site")``; unknown ids are left to
    the calling service to refuse with its own message. One query, none when
    ``actor`` is not bound to a site.
    """
    if staff_site(actor) is None:
        return
    sites = (
        LoanRequest.objects.filter(pk__in=loan_ids)
        .annotate(owner_site=Coalesce("shipment__site_id", "material__site_id"))
        .values_list("owner_site", flat=True)
        .distinct()
    )
    for site_id in sites:
        staff_site_require(actor=actor, site_id=site_id)
