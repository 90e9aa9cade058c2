from celery import shared_task


@shared_task(name="codes.rotate_issuer_keys", acks_late=True)
def rotate_issuer_keys() -> dict:
    """Beat task: advance the issuer key lifecycle (idempotent)."""
    from .services import issuer_keys_rotate

    result = issuer_keys_rotate()
    return {"created": result.created, "retiring": result.retiring, "retired": result.retired}
