"""The loan period: "ship the borrowed materials back to the NDL within one
month from the date of receipt". No extensions, so a due date is computed
once, on receipt."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta  # type: ignore[import-untyped]

LOAN_PERIOD = relativedelta(months=1)


def due_date_for(*, received_on: dt.date) -> dt.date:
    """One calendar month after receipt; a day the next month lacks becomes its last day.

    Received 31 January -> due 28 February (29 in a leap year); 15 January -> 15 February.
    """
    return received_on + LOAN_PERIOD
