"""ISO 18626 delivery tasks. As for email, the rows drive the retries: a
failed message records when to try again and the sweeper re-enqueues it."""

from __future__ import annotations

from celery import shared_task

from .services import iso18626_nightly, iso_message_send, iso_message_sweep


@shared_task(ignore_result=True)
def iso_message_send_task(message_id: int) -> None:
    iso_message_send(message_id=message_id)


@shared_task(ignore_result=True)
def iso_outbox_sweep_task() -> None:
    for message_id in iso_message_sweep():
        iso_message_send_task.delay(message_id)


@shared_task(ignore_result=True)
def iso18626_nightly_task() -> None:
    iso18626_nightly()
