"""Money pages: the patient sees bills with the insurance split and refunds, and pays (through the simulated
provider's cashier page); the cashier requests refunds and approves other cashiers' requests. The same services
as the API; a cashier sees only the hospitals they work for."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.codes.plugin_api import DomainError

from . import selectors, services
from .billing.provider import ProviderError, simulated
from .errors import MedicalErrorCode
from .models import Bill, Refund
from .pages_data import staff_hospital


def _my_bill_or_404(request, bill_id: int) -> Bill:
    bill = selectors.bill_get(pk=bill_id, citizen=request.user)
    if bill is None:
        raise Http404(_("No such bill."))
    return bill


@login_required
def bills(request):
    return render(request, "medical/bills.html", {
        "bills": selectors.bill_list(citizen=request.user).prefetch_related("items", "refunds")[:100],
        "coverage": selectors.coverage_get(citizen=request.user),
    })


@login_required
def bill(request, bill_id: int):
    found = _my_bill_or_404(request, bill_id)
    pending = found.payments.filter(status="pending").first()
    return render(request, "medical/bill.html", {"bill": found, "items": found.items.order_by("position"),
                                                 "refunds": found.refunds.all(), "pending": pending})


@login_required
@require_POST
def bill_pay(request, bill_id: int):
    found = _my_bill_or_404(request, bill_id)
    try:
        # The form carries a key made when the page was drawn: a double click opens one payment.
        payment = services.bill_pay_start(bill=found, citizen=request.user,
                                          idempotency_key=request.POST.get("key", "")[:64])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("medical-bill", bill_id=found.pk)
    if payment is None:
        messages.success(request, _("Insurance covered this bill in full: it is settled."))
        return redirect("medical-bill", bill_id=found.pk)
    return redirect("medical-sim-pay", out_trade_no=payment.out_trade_no)


@login_required
@require_POST
def appointment_fee(request, appointment_id: int):
    appointment = selectors.appointment_get(pk=appointment_id, patient=request.user)
    if appointment is None:
        raise Http404(_("No such appointment."))
    try:
        found = services.registration_bill_get_or_create(appointment=appointment, citizen=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("medical-mine")
    return redirect("medical-bill", bill_id=found.pk)


@login_required
def sim_pay(request, out_trade_no: str):
    """The simulated provider's cashier: what a WeChat Pay / Alipay page would show, and its confirm button."""
    payment = selectors.payment_get(out_trade_no=out_trade_no)
    if payment is None or payment.bill.citizen_id != request.user.pk:
        raise Http404(_("No such payment."))
    if request.method == "POST":
        try:
            simulated().confirm(out_trade_no=out_trade_no)
        except ProviderError:
            messages.error(request, _("This payment was closed; pay the bill again."))
            return redirect("medical-bill", bill_id=payment.bill_id)
        messages.success(request, _("Paid. The provider's confirmation settles the bill with your insurance."))
        return redirect("medical-bill", bill_id=payment.bill_id)
    return render(request, "medical/sim_pay.html", {"payment": payment, "bill": payment.bill})


# -- the cashier --------------------------------------------------------------------------------------------------


def _cashier_hospital(request, slug: str):
    try:
        return staff_hospital(user=request.user, slug=slug)
    except DomainError as exc:
        if exc.code == MedicalErrorCode.NOT_HOSPITAL_STAFF:
            return None
        raise Http404(exc.message) from None


@login_required
def cashier_index(request):
    hospitals = list(selectors.hospital_list(staff=request.user))
    if len(hospitals) == 1:
        return redirect("medical-cashier", slug=hospitals[0].slug)
    return render(request, "medical/cashier_index.html", {"hospitals": hospitals}, status=200 if hospitals else 403)


@login_required
def cashier(request, slug: str):
    hospital = _cashier_hospital(request, slug)
    if hospital is None:
        return render(request, "medical/cashier_index.html", {"hospitals": []}, status=403)
    bills_here = selectors.bill_list(staff=request.user).filter(hospital=hospital).prefetch_related("items")[:50]
    refunds = selectors.refund_list(staff=request.user).filter(bill__hospital=hospital)[:100]
    return render(request, "medical/cashier.html", {
        "hospital": hospital, "bills": bills_here, "refunds": refunds, "today": timezone.localdate(),
        "requested": Refund.Status.REQUESTED,
    })


@login_required
@require_POST
def cashier_refund_request(request, slug: str, bill_id: int):
    hospital = _cashier_hospital(request, slug)
    found = selectors.bill_get(pk=bill_id, staff=request.user) if hospital else None
    if found is None or found.hospital_id != hospital.pk:
        raise Http404(_("No such bill."))
    item = None
    if request.POST.get("item"):
        item = found.items.filter(pk=request.POST["item"]).first() if request.POST["item"].isdigit() else None
        if item is None:
            raise Http404(_("No such line on this bill."))
    try:
        services.refund_request(bill=found, requested_by=request.user, reason=request.POST.get("reason", ""),
                                charge_item=item)
        messages.success(request, _("Refund requested: another cashier must approve it."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("medical-cashier", slug=slug)


@login_required
@require_POST
def cashier_refund_decide(request, slug: str, refund_id: int, decision: str):
    hospital = _cashier_hospital(request, slug)
    refund = selectors.refund_get(pk=refund_id, staff=request.user) if hospital else None
    if refund is None or refund.bill.hospital_id != hospital.pk or decision not in ("approve", "reject"):
        raise Http404(_("No such refund."))
    try:
        if decision == "approve":
            services.refund_approve(refund=refund, approved_by=request.user)
            messages.success(request, _("Refund approved: the money goes back to the patient."))
        else:
            services.refund_reject(refund=refund, rejected_by=request.user)
            messages.success(request, _("Refund rejected."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("medical-cashier", slug=slug)


@login_required
def cashier_reconciliation(request, slug: str):
    hospital = _cashier_hospital(request, slug)
    if hospital is None:
        raise Http404(_("No such hospital."))
    try:
        day = dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = timezone.localdate()
    response = HttpResponse(selectors.reconciliation_csv_get(day=day, hospitals=[hospital]),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="reconciliation-{hospital.slug}-{day}.csv"'
    return response
