"""The payment-provider interface, and a simulated provider that behaves like the real ones.

Real providers (WeChat Pay, Alipay) share a shape: we create an order with our own number (``out_trade_no``)
and amount; the patient pays on the provider's side; the provider then notifies us asynchronously, signed,
and repeats the notification until acknowledged (WeChat Pay up to 15 times over about 24 hours, Alipay 8
times over 25 hours) — so a notification can arrive twice, late, or after a later one. When none arrives we
query the order. Refunds are requested by number and confirmed by a notification too. Each day the provider
offers a statement of what it recorded, which reconciliation compares with the ledger.

The simulated provider keeps its own books (``SimulatedTrade``/``SimulatedRefund``, never our ``Payment``),
signs its notifications with HMAC-SHA256 over the exact body bytes (WeChat Pay's v2 ``HMAC-SHA256`` sign type),
and delivers each one twice through a Celery task, so every code path a real provider exercises runs in the demo.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import json
import secrets
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models.payments import SimulatedRefund, SimulatedTrade

SUCCESS = "TRANSACTION.SUCCESS"
CLOSED = "TRANSACTION.CLOSED"
REFUND_SUCCESS = "REFUND.SUCCESS"
EVENTS = (SUCCESS, CLOSED, REFUND_SUCCESS)


class ProviderError(Exception):
    """The provider refused or could not be reached; ``reason`` is machine-readable."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(message or reason)
        self.reason = reason


@dataclass(frozen=True)
class Notification:
    event_id: str
    event: str
    reference: str  # out_trade_no for a payment event, out_refund_no for a refund event
    amount: int
    transaction_id: str
    created_at: str
    body: dict[str, Any]


@dataclass(frozen=True)
class TradeState:
    out_trade_no: str
    status: str  # NOTPAY, SUCCESS, CLOSED
    amount: int
    transaction_id: str


@dataclass(frozen=True)
class StatementRow:
    kind: str  # "payment" or "refund"
    reference: str  # out_trade_no or out_refund_no
    amount: int


class PaymentProvider(ABC):
    key: str = ""

    @abstractmethod
    def create_order(self, *, out_trade_no: str, amount: int, description: str) -> None: ...

    @abstractmethod
    def close(self, *, out_trade_no: str) -> None:
        """Close an unpaid order, so it can no longer be paid."""

    @abstractmethod
    def query(self, *, out_trade_no: str) -> TradeState | None: ...

    @abstractmethod
    def refund(self, *, out_trade_no: str, out_refund_no: str, amount: int) -> None: ...

    @abstractmethod
    def parse_notification(self, *, body: bytes, signature: str) -> Notification:
        """Verify the signature over the exact bytes, then parse; ProviderError("bad_signature"/"malformed")."""

    @abstractmethod
    def statement(self, *, day: dt.date) -> list[StatementRow]: ...


def _signing_key() -> bytes:
    # Derived, not stored: a key of its own, so the notification signature never doubles as anything else.
    return hmac.new(str(settings.SECRET_KEY).encode(), b"citycode.medical.simulated-provider",
                    hashlib.sha256).digest()


class SimulatedProvider(PaymentProvider):
    key = "simulated"

    # -- the provider's side ------------------------------------------------------------------------------

    def create_order(self, *, out_trade_no: str, amount: int, description: str) -> None:
        SimulatedTrade.objects.get_or_create(
            out_trade_no=out_trade_no,
            defaults={"amount_fen": amount, "description": description[:200],
                      "transaction_id": f"SIM{secrets.token_hex(10).upper()}"},
        )

    def confirm(self, *, out_trade_no: str, deliver: bool = True) -> list[tuple[bytes, str]]:
        """The patient pays at the simulated cashier. Returns the signed notifications it sends (twice each)."""
        with transaction.atomic():
            trade = SimulatedTrade.objects.select_for_update().filter(out_trade_no=out_trade_no).first()
            if trade is None:
                raise ProviderError("unknown_trade")
            if trade.status == SimulatedTrade.Status.CLOSED:
                raise ProviderError("trade_closed")
            if trade.status == SimulatedTrade.Status.NOTPAY:
                trade.status = SimulatedTrade.Status.SUCCESS
                trade.paid_at = timezone.now()
                trade.save(update_fields=["status", "paid_at"])
            notification = self.sign(self._event(SUCCESS, trade.out_trade_no, trade.amount_fen, trade.transaction_id,
                                                 event_id=f"EVT-{trade.transaction_id}"))
            if deliver:
                self._deliver_later(notification)
        return [notification, notification]

    def close(self, *, out_trade_no: str) -> None:
        SimulatedTrade.objects.filter(out_trade_no=out_trade_no, status=SimulatedTrade.Status.NOTPAY).update(
            status=SimulatedTrade.Status.CLOSED)

    def query(self, *, out_trade_no: str) -> TradeState | None:
        trade = SimulatedTrade.objects.filter(out_trade_no=out_trade_no).first()
        if trade is None:
            return None
        return TradeState(out_trade_no=trade.out_trade_no, status=trade.status, amount=trade.amount_fen,
                          transaction_id=trade.transaction_id)

    def refund(self, *, out_trade_no: str, out_refund_no: str, amount: int) -> None:
        with transaction.atomic():
            trade = SimulatedTrade.objects.select_for_update().filter(out_trade_no=out_trade_no).first()
            if trade is None or trade.status != SimulatedTrade.Status.SUCCESS:
                raise ProviderError("trade_not_paid")
            existing = SimulatedRefund.objects.filter(out_refund_no=out_refund_no).first()
            if existing is None:
                refunded = sum(r.amount_fen for r in trade.refunds.all())
                if amount <= 0 or refunded + amount > trade.amount_fen:
                    raise ProviderError("refund_exceeds_payment")
                existing = SimulatedRefund.objects.create(
                    trade=trade, out_refund_no=out_refund_no, amount_fen=amount,
                    refund_id=f"SIMR{secrets.token_hex(10).upper()}")
            self._deliver_later(self.sign(self._event(
                REFUND_SUCCESS, out_refund_no, existing.amount_fen, existing.refund_id,
                event_id=f"EVT-{existing.refund_id}")))

    def statement(self, *, day: dt.date) -> list[StatementRow]:
        rows = [StatementRow("payment", t.out_trade_no, t.amount_fen)
                for t in SimulatedTrade.objects.filter(status=SimulatedTrade.Status.SUCCESS)
                if t.paid_at and timezone.localdate(t.paid_at) == day]
        rows += [StatementRow("refund", r.out_refund_no, r.amount_fen)
                 for r in SimulatedRefund.objects.all() if timezone.localdate(r.created_at) == day]
        return rows

    # -- the wire -----------------------------------------------------------------------------------------

    @staticmethod
    def _event(event: str, reference: str, amount: int, transaction_id: str, *, event_id: str) -> dict[str, Any]:
        return {"id": event_id, "event": event, "reference": reference, "amount": amount,
                "transaction_id": transaction_id, "created_at": timezone.now().isoformat()}

    @staticmethod
    def sign(event: dict[str, Any]) -> tuple[bytes, str]:
        body = json.dumps(event, sort_keys=True, separators=(",", ":")).encode()
        return body, hmac.new(_signing_key(), body, hashlib.sha256).hexdigest()

    def parse_notification(self, *, body: bytes, signature: str) -> Notification:
        expected = hmac.new(_signing_key(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, (signature or "").strip().lower()):
            raise ProviderError("bad_signature")
        try:
            data = json.loads(body)
            notification = Notification(
                event_id=str(data["id"]), event=str(data["event"]), reference=str(data["reference"]),
                amount=data["amount"], transaction_id=str(data["transaction_id"]),
                created_at=str(data["created_at"]), body=data)
        except (ValueError, KeyError, TypeError):
            raise ProviderError("malformed_notification") from None
        if notification.event not in EVENTS or type(notification.amount) is not int or notification.amount <= 0 \
                or not (0 < len(notification.event_id) <= 64 and 0 < len(notification.reference) <= 40):
            raise ProviderError("malformed_notification")
        return notification

    def _deliver_later(self, notification: tuple[bytes, str]) -> None:
        from .. import tasks  # the task module imports services, which import this module

        body, signature = notification
        # Twice, as real providers do when the first acknowledgement is slow or lost: the second copy a minute
        # later (in eager mode both arrive at once).
        for countdown in (0, 60):
            transaction.on_commit(functools.partial(
                tasks.simulated_notification_deliver.apply_async, args=(body.decode(), signature), countdown=countdown))


PROVIDERS: dict[str, PaymentProvider] = {SimulatedProvider.key: SimulatedProvider()}


def provider_for(key: str) -> PaymentProvider:
    try:
        return PROVIDERS[key]
    except KeyError:
        raise ProviderError("unknown_provider") from None


def simulated() -> SimulatedProvider:
    provider = PROVIDERS[SimulatedProvider.key]
    assert isinstance(provider, SimulatedProvider)
    return provider
