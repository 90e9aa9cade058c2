import socket

from celery import shared_task


@shared_task(name="identity.ping")
def ping(value: str) -> dict:
    """Round-trip check for the broker and a worker (used by the integration tests and operators)."""
    return {"echo": value, "worker": socket.gethostname()}
