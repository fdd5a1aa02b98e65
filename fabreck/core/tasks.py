from celery import shared_task

from fabreck.core.mail import email_from_payload


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def email_send(payload: dict) -> None:
    email_from_payload(payload).send()
