"""Pages about money: the rider's balance, top-up, debt payment and trips (each fare with the rules that priced
it), and the operator's uploads, settlements and totals. Thin: each view calls one service or selector."""

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from apps.codes.plugin_api import domain_error_type, organization_get, staff_can_act, staff_organization_list

from . import fare_services, selectors
from .models import FareCap, FareLegRule, FareTransferRule, RideAccount, SettlementRun

TOP_UP_YUAN = (10, 20, 50, 100)
OPERATOR_KIND = "transit_operator"


def yuan(fen: int) -> str:
    """Fen as yuan with two decimals, exactly (integer arithmetic, never a float)."""
    sign = "−" if fen < 0 else ""
    return f"{sign}¥{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _name(obj: Any) -> str:
    english = (get_language() or "").startswith("en")
    return (getattr(obj, "name_en", "") if english else "") or getattr(obj, "name_zh", "") or str(obj)


def _mode(mode: str) -> str:
    return _("Bus") if mode == "bus" else _("Metro")


def _describe(step: dict[str, Any], trip: Any) -> str:
    """One step of a fare's explanation, in words."""
    kind = step["step"]
    if kind == "leg_rule":
        rule: FareLegRule | None = trip.leg_rule
        product = _name(rule.product) if rule else "?"
        if trip.mode == "metro":
            return _("%(product)s: %(km)s km from %(from)s to %(to)s") % {
                "product": product, "km": f"{trip.distance_m / 1000:.1f}", "from": _name(trip.from_stop),
                "to": _name(trip.to_stop)}
        return _("%(product)s on line %(line)s") % {"product": product, "line": trip.line.code if trip.line else "?"}
    if kind in ("default_fare", "no_rule_default_fare"):
        return _("No matching tap-out within the time limit: the default fare") if kind == "default_fare" \
            else _("No fare rule matched: the default fare")
    if kind == "concession":
        return _("Concession: you pay %(percent)s%%") % {"percent": step["percent"]}
    if kind == "transfer":
        rule_t: FareTransferRule | None = trip.transfer_rule
        minutes = rule_t.duration_limit_s // 60 if rule_t else 0
        return _("Transfer from %(from)s within %(minutes)s minutes (transfer %(n)s)") % {
            "from": _mode(rule_t.from_mode) if rule_t else "?", "minutes": minutes, "n": step["chain"]}
    if kind == "daily_cap":
        cap: FareCap | None = trip.daily_cap
        return _("Daily cap of %(cap)s reached") % {"cap": yuan(cap.amount_fen) if cap else "?"}
    if kind == "weekly_cap":
        cap_w: FareCap | None = trip.weekly_cap
        return _("Weekly cap of %(cap)s reached") % {"cap": yuan(cap_w.amount_fen) if cap_w else "?"}
    return _("Charged")


@login_required
@require_GET
def my_money(request: HttpRequest) -> HttpResponse:
    account = selectors.ride_account_get(citizen=request.user)
    context: dict[str, Any] = {"account": account}
    if account is not None:
        trips = []
        for row in selectors.trip_list(account=account, limit=30):
            trip = row["trip"]
            trips.append({"trip": trip, "mode": _mode(trip.mode), "charged": yuan(trip.charged_fen),
                          "steps": [{"text": _describe(s, trip), "fen": s["fen"], "amount": yuan(s["fen"]),
                                     "kind": s["step"]} for s in row["steps"] if s["step"] != "charged"]})
        context.update({
            "balance": yuan(account.balance_fen), "credit_limit": yuan(account.credit_limit_fen),
            "in_arrears": account.status == RideAccount.Status.ARREARS, "owes": account.balance_fen < 0,
            "trips": trips, "top_up_choices": TOP_UP_YUAN,
            "ledger": [{"entry": e, "amount": yuan(e.amount_fen)} for e in selectors.ledger_entry_list(account=account,
                                                                                                         limit=10)],
            # Each rendering of the form names one payment: a double submit or a reload pays once.
            "payment_key": uuid.uuid4().hex,
        })
    return render(request, "transit/my_money.html", context)


def _own_account(request: HttpRequest) -> RideAccount:
    account = selectors.ride_account_get(citizen=request.user)
    if account is None:
        raise Http404
    return account


@login_required
@require_POST
def top_up(request: HttpRequest) -> HttpResponse:
    account = _own_account(request)
    amount = request.POST.get("amount_yuan", "")
    if not amount.isdigit() or int(amount) not in TOP_UP_YUAN:
        messages.error(request, _("Choose one of the amounts offered."))
        return redirect("transit-money")
    try:
        _entry, created = fare_services.account_top_up(account=account, amount_fen=int(amount) * 100,
                                                       idempotency_key=request.POST.get("payment_key", "")[:64]
                                                       or uuid.uuid4().hex)
    except domain_error_type() as exc:
        messages.error(request, str(exc))
    else:
        if created:
            messages.success(request, _("Topped up %(amount)s.") % {"amount": yuan(int(amount) * 100)})
    return redirect("transit-money")


@login_required
@require_POST
def pay_debt(request: HttpRequest) -> HttpResponse:
    account = _own_account(request)
    try:
        entry, created = fare_services.account_debt_pay(
            account=account, idempotency_key=request.POST.get("payment_key", "")[:64] or uuid.uuid4().hex)
    except domain_error_type() as exc:
        messages.error(request, str(exc))
    else:
        if created:
            messages.success(request, _("Paid %(amount)s: your ride code works again.") % {
                "amount": yuan(entry.amount_fen)})
    return redirect("transit-money")


def _operator(request: HttpRequest, slug: str) -> Any:
    # The same 404 for an operator that does not exist and one the person does not act for.
    operator = organization_get(slug=slug)
    if operator is None or operator.kind != OPERATOR_KIND or not staff_can_act(user=request.user,
                                                                               organization=operator):
        raise Http404
    return operator


@login_required
@require_GET
def operator_home(request: HttpRequest) -> HttpResponse:
    operators = list(staff_organization_list(user=request.user, kind=OPERATOR_KIND))
    if len(operators) == 1:
        return redirect("transit-operator-money", slug=operators[0].slug)
    return render(request, "transit/operator_list.html", {"operators": operators})


@login_required
@require_GET
def operator_money(request: HttpRequest, slug: str) -> HttpResponse:
    operator = _operator(request, slug)
    runs = list(selectors.settlement_run_list(operator=operator))
    running = any(r.status in (SettlementRun.Status.QUEUED, SettlementRun.Status.RUNNING) for r in runs)
    return render(request, "transit/operator_money.html", {
        "operator": operator,
        "pending": selectors.tap_pending_count(operator=operator),
        "uploads": selectors.tap_upload_list(operator=operator, limit=20),
        "runs": [{"run": r, "charged": yuan(r.charged_fen),
                  "percent": 100 if r.status == "done" else min(100, 100 * r.chunks_done // r.chunks_total
                                                             if r.chunks_total else 0)} for r in runs],
        "totals": [{**t, "charged": yuan(t["charged_fen"]), "fares": yuan(t["fare_fen"])}
                   for t in selectors.settlement_total_list(operator=operator)],
        "running": running,
    })


@login_required
@require_POST
def operator_settle(request: HttpRequest, slug: str) -> HttpResponse:
    operator = _operator(request, slug)
    try:
        run = fare_services.settlement_start(operator=operator)
    except domain_error_type() as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Settlement %(id)s started.") % {"id": run.pk})
    return redirect("transit-operator-money", slug=operator.slug)
