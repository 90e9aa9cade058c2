"""Reads for transit: accounts, certificates, the deny list, readers."""

import hmac
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.codes.plugin_api import secret_digest

from .models import AccountEvent, DenyList, DenyListDelta, Reader, RideAccount, RiderCertificate


def ride_account_get(*, citizen: Any) -> RideAccount | None:
    return RideAccount.objects.filter(citizen=citizen).first()


def account_for_pseudonym_get(*, pseudonym: str, operator: Any = None) -> RideAccount | None:
    """The account a certificate pseudonym belongs to. Only the operator settling fares may use it (the pseudonym
    is the one link between a tap and a rider); pass ``operator`` to find only its own certificates."""
    certificates = RiderCertificate.objects.filter(pseudonym=pseudonym)
    if operator is not None:
        certificates = certificates.filter(operator=operator)
    certificate = certificates.select_related("account").first()
    return certificate.account if certificate else None


def certificate_list(*, account: RideAccount) -> QuerySet[RiderCertificate]:
    return RiderCertificate.objects.filter(account=account).order_by("-issued_at")


def certificate_live_list(*, account: RideAccount, operator: Any = None) -> QuerySet[RiderCertificate]:
    """The account's certificates a reader would still accept (unexpired, unrevoked)."""
    live = RiderCertificate.objects.filter(account=account, expires_at__gt=timezone.now(), revoked_at__isnull=True)
    return live.filter(operator=operator) if operator is not None else live


def account_event_list(*, account: RideAccount) -> QuerySet[AccountEvent]:
    return AccountEvent.objects.filter(account=account).order_by("at", "id")


def deny_list_version_get(*, operator: Any) -> int:
    head = DenyList.objects.filter(operator=operator).first()
    return head.version if head else 0


def deny_list_delta_list(*, operator: Any, since: int = 0) -> QuerySet[DenyListDelta]:
    """The operator's deny-list changes after version ``since``, oldest first, leaving out those whose
    certificate has expired (a reader refuses an expired certificate anyway)."""
    return DenyListDelta.objects.filter(
        operator=operator, version__gt=since, expires_at__gt=timezone.now()
    ).order_by("version")


def reader_get(*, device_id: str, secret: str) -> Reader | None:
    """The active reader of an active operator with this device ID and secret, else None."""
    reader = Reader.objects.select_related("operator").filter(device_id=device_id, is_active=True).first()
    if reader is None or not reader.operator.is_active:
        return None
    # Compare digests in constant time: a timing difference must not reveal how much of a guess was right.
    return reader if hmac.compare_digest(reader.credential_digest, secret_digest(secret)) else None


def reader_list(*, operator: Any) -> QuerySet[Reader]:
    return Reader.objects.filter(operator=operator).select_related("line", "stop").order_by("device_id")


def ride_account_export_get(*, citizen: Any) -> dict[str, Any]:
    """Everything transit holds about the citizen (PIPL Art 45): the account, its certificates and its events.
    Never a secret; the pseudonyms are the citizen's own."""
    account = ride_account_get(citizen=citizen)
    if account is None:
        return {"account": None}
    return {
        "account": {
            "mode": account.mode,
            "status": account.status,
            "balance_fen": account.balance_fen,
            "credit_limit_fen": account.credit_limit_fen,
            "concession": account.concession,
            "created_at": account.created_at.isoformat(),
        },
        "certificates": [
            {
                "serial": c.serial,
                "pseudonym": c.pseudonym,
                "operator": c.operator.slug,
                "device_bound": c.device_key is not None,
                "fare_limit_fen": c.fare_limit_fen,
                "concession": c.concession,
                "issued_at": c.issued_at.isoformat(),
                "expires_at": c.expires_at.isoformat(),
                "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
            }
            for c in certificate_list(account=account).select_related("operator")
        ],
        "events": [
            {"kind": e.kind, "from": e.from_status, "to": e.to_status, "detail": e.detail, "at": e.at.isoformat()}
            for e in account_event_list(account=account)
        ],
    }
