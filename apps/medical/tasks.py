from celery import shared_task

from . import selectors, services


@shared_task(name="medical.release_expired_holds", acks_late=True)
def release_expired_holds() -> int:
    """Beat task: free the places of unpaid bookings whose hold has ended (idempotent)."""
    return services.appointment_release_expired()


@shared_task(name="medical.mark_noshows", acks_late=True)
def mark_noshows() -> int:
    """Beat task: booked patients who never came by the end of their session become no-shows (idempotent)."""
    return services.appointment_mark_noshows()


# -- the money side (payments) ------------------------------------------------------------------------------------


@shared_task(name="medical.payments_query_stale", acks_late=True)
def payments_query_stale() -> int:
    """Beat task: ask the provider about payments whose notification has not come (WeChat Pay's advice)."""
    return services.payment_query_stale()


@shared_task(name="medical.payment_reversal_refund", acks_late=True, autoretry_for=(Exception,),
             retry_backoff=True, max_retries=10)
def payment_reversal_refund(payment_id: int) -> None:
    """Return the cash of a payment whose settlement failed (the provider dedupes by the refund number)."""
    payment = selectors.payment_get(pk=payment_id)
    if payment is not None:
        services.payment_reversal_refund(payment=payment)


@shared_task(name="medical.simulated_notification_deliver", acks_late=True)
def simulated_notification_deliver(body: str, signature: str) -> str:
    """The simulated provider's delivery of one notification to our inbox (as its HTTP call would)."""
    return services.notification_receive(provider="simulated", body=body.encode(), signature=signature).outcome
