from celery import shared_task


@shared_task(name="codes.rotate_issuer_keys", acks_late=True)
def rotate_issuer_keys() -> dict:
    """Beat task: advance the issuer key lifecycle (idempotent)."""
    from .services import issuer_keys_rotate

    result = issuer_keys_rotate()
    return {"created": result.created, "retiring": result.retiring, "retired": result.retired}


@shared_task(name="codes.prune_token_uses", acks_late=True)
def prune_token_uses() -> int:
    """Beat task: forget single-use records of expired tokens (idempotent)."""
    from .services import token_uses_prune

    return token_uses_prune()
