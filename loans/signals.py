"""What other apps may follow about loans, without the loans app knowing them.

``loan_moved`` is sent inside the transaction of every status change
(``loans.services.transitions.loan_transition``) with ``loan`` (locked, saved),
``action`` (the audit action), ``old`` and ``new`` (status values).
``damage_case_reported`` is sent when a damage or loss case is opened, with
``case`` and ``loan``. Receivers write in the same transaction and defer any
I/O to ``transaction.on_commit``.
"""

from django.dispatch import Signal

loan_moved = Signal()
damage_case_reported = Signal()
