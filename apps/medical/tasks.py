from celery import shared_task

from . import services


@shared_task(name="medical.release_expired_holds", acks_late=True)
def release_expired_holds() -> int:
    """Beat task: free the places of unpaid bookings whose hold has ended (idempotent)."""
    return services.appointment_release_expired()


@shared_task(name="medical.mark_noshows", acks_late=True)
def mark_noshows() -> int:
    """Beat task: booked patients who never came by the end of their session become no-shows (idempotent)."""
    return services.appointment_mark_noshows()
