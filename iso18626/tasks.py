"""ISO 18626 delivery tasks. As for email, the rows drive the retries: a
failed message records when to try again and the sweeper re-enqueues it."""

from __future__ import annotations

from celery import shared_task

from .models import IsoMessage
from .services import (
    iso18626_nightly,
    iso_outbox_deliver,
    iso_outbox_sweep_peers,
    iso_outbox_waits_for_another,
)


@shared_task(ignore_result=True)
def iso_outbox_deliver_task(peer_id: int, message_id: int | None = None) -> None:
    """Deliver what is ready in one peer's outbox (published after each
    message is queued, with its id: nothing to do when a drain already took
    its request)."""
    if message_id is not None and iso_outbox_waits_for_another(message_id=message_id):
        return
    iso_outbox_deliver(peer_id=peer_id)


@shared_task(ignore_result=True)
def iso_message_send_task(message_id: int) -> None:
    """Tasks published before the outbox was drained per peer: drain the message's peer."""
    peer_id = (
        IsoMessage.objects.filter(pk=message_id)
        .values_list("transaction__peer_id", flat=True)
        .first()
    )
    if peer_id is not None:
        iso_outbox_deliver(peer_id=peer_id)


@shared_task(ignore_result=True)
def iso_outbox_sweep_task() -> None:
    for peer_id in iso_outbox_sweep_peers():
        iso_outbox_deliver_task.delay(peer_id)


@shared_task(ignore_result=True)
def iso18626_nightly_task() -> None:
    iso18626_nightly()
