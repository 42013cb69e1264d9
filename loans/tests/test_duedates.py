import datetime as dt

import pytest

from loans.duedates import due_date_for


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (dt.date(2026, 1, 15), dt.date(2026, 2, 15)),
        (dt.date(2026, 1, 31), dt.date(2026, 2, 28)),
        (dt.date(2026, 1, 28), dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), dt.date(2028, 2, 29)),  # leap year
        (dt.date(2028, 1, 29), dt.date(2028, 2, 29)),
        (dt.date(2026, 3, 31), dt.date(2026, 4, 30)),
        (dt.date(2026, 4, 30), dt.date(2026, 5, 30)),
        (dt.date(2026, 12, 31), dt.date(2027, 1, 31)),  # over the year end
        (dt.date(2026, 2, 28), dt.date(2026, 3, 28)),
    ],
)
def test_it_is_one_calendar_month_clamped_to_month_end(received: dt.date, due: dt.date) -> None:
    assert due_date_for(received_on=received) == due
