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
