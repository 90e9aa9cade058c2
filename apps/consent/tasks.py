from celery import shared_task

from . import services


@shared_task(name="consent.apply_retention", acks_late=True)
def apply_retention() -> dict:
    """Beat task: redact and prune access-log rows that outlived their purpose's retention (idempotent)."""
    return services.access_log_apply_retention()
