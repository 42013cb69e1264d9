"""What other apps may follow about copy requests, without the copies app knowing them.

``copy_moved`` is sent inside the transaction of every status change
(``copies.services.requests.copy_transition``) with ``copy`` (locked, saved),
``action`` (a ``CopyAction`` value), ``old`` and ``new`` (status values).
Receivers write in the same transaction and defer any I/O to
``transaction.on_commit``.
"""

from django.dispatch import Signal

copy_moved = Signal()
