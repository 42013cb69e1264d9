"""Outbox tasks. Retries are driven by the rows, not by the broker: a failed
mail records when to try again and the sweeper re-enqueues it, so nothing
depends on a countdown message surviving in Redis."""

from celery import shared_task

from .services import outgoing_mail_send, outgoing_mail_sweep


@shared_task(ignore_result=True)
def mail_send_task(mail_id: int) -> None:
    outgoing_mail_send(mail_id=mail_id)


@shared_task(ignore_result=True)
def outbox_sweep_task() -> None:
    for mail_id in outgoing_mail_sweep():
        mail_send_task.delay(mail_id)
