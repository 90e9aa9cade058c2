"""Transit's Celery tasks: thin, they take ids and call a service."""

from celery import shared_task


@shared_task(name="transit.settle", bind=True, acks_late=True, max_retries=3, default_retry_delay=30)
def settle(self, run_id: int) -> dict:
    """Settle (or resume) one settlement run. Redelivered after a lost worker, it resumes: settled chunks are
    committed and their taps are no longer pending, so nothing is charged twice."""
    from . import fare_services

    run = fare_services.settlement_execute(run_id=run_id)
    return {"run": run.pk, "status": run.status, "trips": run.trips, "charged_fen": run.charged_fen}
