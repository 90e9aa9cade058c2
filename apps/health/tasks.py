"""Thin Celery tasks: take ids, call a service."""

from celery import shared_task

from . import services


@shared_task(name="health.case_list_apply", acks_late=True, autoretry_for=(Exception,), retry_backoff=True,
             max_retries=5)
def case_list_apply(case_list_id: int) -> None:
    # acks_late + idempotent service: a worker killed mid-list re-runs it and duplicates nothing.
    services.case_list_apply(case_list_id=case_list_id)


@shared_task(name="health.rule_sets_activate")
def rule_sets_activate() -> None:
    services.rule_sets_activate()


@shared_task(name="health.colours_due_recolour")
def colours_due_recolour() -> None:
    services.colours_due_recolour()


# -- review, appeals, the purpose key (health_code) --------------------------------------------------------------


@shared_task(name="health.appeals_escalate", acks_late=True)
def appeals_escalate() -> int:
    """Beat task: appeals unanswered at their due time (48 hours) escalate. Idempotent."""
    from .review_services import appeals_escalate as escalate

    return escalate()


@shared_task(name="health.alerts_check", acks_late=True)
def alerts_check() -> int:
    """Beat task: raise alerts for large manual batches and reds tied to one venue or case list. Idempotent."""
    from .review_services import alerts_check as check

    return len(check())


@shared_task(name="health.purpose_keys_rotate", acks_late=True)
def purpose_keys_rotate() -> dict:
    """Beat task: today's and tomorrow's purpose keys exist; keys no token can use any more are wiped."""
    from .review_services import purpose_keys_rotate as rotate

    return rotate()


@shared_task(name="health.evidence_retention", acks_late=True)
def evidence_retention() -> dict:
    """Beat task: outside an emergency, health evidence past its retention is deleted. Idempotent."""
    from .review_services import evidence_apply_retention

    return evidence_apply_retention()
