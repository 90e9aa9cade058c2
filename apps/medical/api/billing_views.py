"""The money API: one view per operation. Patients see and pay their own bills; a hospital's cashiers order,
refund (one requests, another approves) and reconcile — only for their own hospital; the payment provider
notifies, signed."""

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.codes.plugin_api import DomainError, IsCitizen

from .. import selectors, services
from ..billing import fhir
from ..billing.errors import BillingErrorCode
from ..billing.provider import ProviderError, simulated
from ..errors import MedicalErrorCode
from ..models import Bill
from ..pages_data import staff_hospital
from . import billing_serializers as s

TAGS = ["medical billing"]
FHIR_JSON = "application/fhir+json"
STAFF_ERRORS = {
    403: OpenApiResponse(description="`not_hospital_staff`: you hold no role in this hospital."),
    404: OpenApiResponse(description="`hospital_not_found`, `unknown_bill` or `unknown_refund`."),
}


def _my_bill(request, bill_id: int) -> Bill:
    bill = selectors.bill_get(pk=bill_id, citizen=request.user)
    if bill is None:
        raise DomainError(BillingErrorCode.UNKNOWN_BILL, _("No such bill."))
    return bill


def _hospital_bill(request, slug: str, bill_id: int) -> Bill:
    hospital = staff_hospital(user=request.user, slug=slug)
    bill = selectors.bill_get(pk=bill_id, staff=request.user)
    if bill is None or bill.hospital_id != hospital.pk:
        raise DomainError(BillingErrorCode.UNKNOWN_BILL, _("No such bill."))
    return bill


def _fhir(resource: dict) -> Response:
    response = Response(resource)
    response["Content-Type"] = FHIR_JSON
    return response


# -- the patient --------------------------------------------------------------------------------------------------


class MyBillListApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: s.MedicalBillOutput(many=True)}, tags=TAGS,
                   summary="My bills, with the insurance split")
    def get(self, request):
        return Response(s.MedicalBillOutput(selectors.bill_list(citizen=request.user)[:200], many=True).data)


class MyBillApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: s.MedicalBillOutput, 404: OpenApiResponse(description="`unknown_bill`.")}, tags=TAGS,
                   summary="One of my bills")
    def get(self, request, bill_id: int):
        return Response(s.MedicalBillOutput(_my_bill(request, bill_id)).data)


class MyCoverageApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: s.MedicalCoverageOutput, 404: OpenApiResponse(description="`unknown_bill`: none.")},
                   tags=TAGS, summary="My insurance coverage this year")
    def get(self, request):
        coverage = selectors.coverage_get(citizen=request.user)
        if coverage is None:
            raise DomainError(BillingErrorCode.UNKNOWN_BILL, _("No coverage is recorded for you this year."))
        return Response(s.MedicalCoverageOutput(coverage).data)


class MyBillPayApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
                                     description="The same key again returns the same payment.")],
        responses={
            201: s.MedicalPaymentOutput,
            400: OpenApiResponse(description="`validation_error`: no Idempotency-Key."),
            404: OpenApiResponse(description="`unknown_bill`."),
            409: OpenApiResponse(description="`bill_not_payable`: already paid, refunded or cancelled."),
        },
        tags=TAGS, summary="Pay a bill: pre-settle with the insurer, then open the cash payment with the provider",
        description="Answers the payment to complete at the provider (`out_trade_no`); `amount_fen` 0 and "
        "`out_trade_no` null when insurance covered everything and the bill is already settled.",
    )
    def post(self, request, bill_id: int):
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 64:
            raise DomainError(BillingErrorCode.INVALID_ORDER, _("Send an Idempotency-Key header (at most 64 chars)."))
        bill = _my_bill(request, bill_id)
        payment = services.bill_pay_start(bill=bill, citizen=request.user, idempotency_key=key)
        bill.refresh_from_db()
        data = {"bill": bill, "out_trade_no": payment.out_trade_no if payment else None,
                "amount_fen": payment.amount_fen if payment else 0,
                "status": payment.status if payment else "settled", "provider": payment.provider if payment else None}
        return Response(s.MedicalPaymentOutput(data).data, status=status.HTTP_201_CREATED)


class MyAppointmentFeeApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={201: s.MedicalBillOutput,
                                            404: OpenApiResponse(description="`unknown_bill`."),
                                            409: OpenApiResponse(description="`bill_not_payable`.")},
                   tags=TAGS, summary="The bill of a held booking's registration fee (created once)")
    def post(self, request, appointment_id: int):
        appointment = selectors.appointment_get(pk=appointment_id, patient=request.user)
        if appointment is None:
            raise DomainError(MedicalErrorCode.APPOINTMENT_NOT_FOUND, _("No such appointment."))
        bill = services.registration_bill_get_or_create(appointment=appointment, citizen=request.user)
        return Response(s.MedicalBillOutput(bill).data, status=status.HTTP_201_CREATED)


class MySimulatedPaymentConfirmApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={202: OpenApiResponse(description="Paid at the simulated provider; its "
                                                                             "notifications follow."),
                                            404: OpenApiResponse(description="`unknown_payment`."),
                                            409: OpenApiResponse(description="`trade_closed`.")},
                   tags=TAGS, summary="(simulated provider) The patient pays at the provider's cashier")
    def post(self, request, out_trade_no: str):
        payment = selectors.payment_get(out_trade_no=out_trade_no)
        if payment is None or payment.bill.citizen_id != request.user.pk or payment.provider != simulated().key:
            raise DomainError(BillingErrorCode.UNKNOWN_PAYMENT, _("No such payment."))
        try:
            simulated().confirm(out_trade_no=out_trade_no)
        except ProviderError:
            raise DomainError(BillingErrorCode.TRADE_CLOSED,
                              _("This payment was closed; pay the bill again.")) from None
        return Response({"status": "accepted"}, status=status.HTTP_202_ACCEPTED)


class MyBillInvoiceFhirApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={(200, FHIR_JSON): OpenApiTypes.OBJECT}, tags=TAGS,
                   summary="One of my bills as a FHIR R4 Invoice")
    def get(self, request, bill_id: int):
        return _fhir(fhir.invoice_resource(_my_bill(request, bill_id)))


class MyChargeItemFhirApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={(200, FHIR_JSON): OpenApiTypes.OBJECT}, tags=TAGS,
                   summary="One line of my bill as a FHIR R4 ChargeItem")
    def get(self, request, bill_id: int, position: int):
        item = _my_bill(request, bill_id).items.filter(position=position).first()
        if item is None:
            raise DomainError(BillingErrorCode.UNKNOWN_CHARGE_ITEM, _("No such line on this bill."))
        return _fhir(fhir.chargeitem_resource(item))


# -- the payment provider -----------------------------------------------------------------------------------------


class RawBodyParser(BaseParser):
    """The notification's exact bytes: its signature is over them, not over a re-serialized JSON."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read() if stream is not None else b""


class ProviderNotifyApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [RawBodyParser]

    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        parameters=[OpenApiParameter("X-Provider-Signature", str, OpenApiParameter.HEADER, required=True)],
        responses={200: s.MedicalNotificationOutput,
                   400: OpenApiResponse(description="`bad_signature` or `malformed_notification`."),
                   404: OpenApiResponse(description="`unknown_provider`.")},
        tags=TAGS, summary="A payment provider's notification (signed; repeats are answered `already_done`)",
    )
    def post(self, request, provider: str):
        body = request.data if isinstance(request.data, bytes) else b""
        row = services.notification_receive(provider=provider, body=body,
                                            signature=request.headers.get("X-Provider-Signature", ""))
        return Response({"code": "SUCCESS", "outcome": row.outcome or "pending"})


# -- the hospital's staff -----------------------------------------------------------------------------------------


class HospitalOrderApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=s.MedicalOrderInput, responses={201: s.MedicalBillOutput, **STAFF_ERRORS,
                                                    400: OpenApiResponse(description="`invalid_order`.")},
                   tags=TAGS, summary="A doctor's order (exams, medicines) for a checked-in patient: a new bill")
    def post(self, request, slug: str):
        hospital = staff_hospital(user=request.user, slug=slug)
        data = s.MedicalOrderInput(data=request.data)
        data.is_valid(raise_exception=True)
        appointment = selectors.appointment_get(pk=data.validated_data["appointment"], hospital=hospital)
        if appointment is None:
            raise DomainError(MedicalErrorCode.APPOINTMENT_NOT_FOUND, _("No such appointment."))
        bill = services.order_place(placed_by=request.user, appointment=appointment,
                                    lines=data.validated_data["lines"], note=data.validated_data["note"])
        return Response(s.MedicalBillOutput(bill).data, status=status.HTTP_201_CREATED)


class HospitalBillListApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: s.MedicalBillOutput(many=True), **STAFF_ERRORS}, tags=TAGS,
                   summary="The hospital's bills (newest first)")
    def get(self, request, slug: str):
        hospital = staff_hospital(user=request.user, slug=slug)
        bills = selectors.bill_list(staff=request.user).filter(hospital=hospital)[:200]
        return Response(s.MedicalBillOutput(bills, many=True).data)


class HospitalRefundRequestApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=s.MedicalRefundInput, responses={201: s.MedicalRefundOutput, **STAFF_ERRORS,
                                                     409: OpenApiResponse(description="`bill_not_refundable`, "
                                                                                      "`refund_exists`.")},
                   tags=TAGS, summary="Request a refund of a whole bill or one line (another person approves)")
    def post(self, request, slug: str, bill_id: int):
        bill = _hospital_bill(request, slug, bill_id)
        data = s.MedicalRefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = None
        if data.validated_data["charge_item"] is not None:
            item = bill.items.filter(pk=data.validated_data["charge_item"]).first()
            if item is None:
                raise DomainError(BillingErrorCode.UNKNOWN_CHARGE_ITEM, _("No such line on this bill."))
        refund = services.refund_request(bill=bill, requested_by=request.user, reason=data.validated_data["reason"],
                                         charge_item=item)
        return Response(s.MedicalRefundOutput(refund).data, status=status.HTTP_201_CREATED)


class HospitalRefundListApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: s.MedicalRefundOutput(many=True), **STAFF_ERRORS}, tags=TAGS,
                   summary="The hospital's refunds")
    def get(self, request, slug: str):
        hospital = staff_hospital(user=request.user, slug=slug)
        refunds = selectors.refund_list(staff=request.user).filter(bill__hospital=hospital)[:200]
        return Response(s.MedicalRefundOutput(refunds, many=True).data)


def _hospital_refund(request, slug: str, refund_id: int):
    hospital = staff_hospital(user=request.user, slug=slug)
    refund = selectors.refund_get(pk=refund_id, staff=request.user)
    if refund is None or refund.bill.hospital_id != hospital.pk:
        raise DomainError(BillingErrorCode.UNKNOWN_REFUND, _("No such refund."))
    return refund


class HospitalRefundApproveApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={200: s.MedicalRefundOutput, **STAFF_ERRORS,
                                            403: OpenApiResponse(description="`refund_same_person` or "
                                                                             "`not_hospital_staff`."),
                                            409: OpenApiResponse(description="`refund_decided`.")},
                   tags=TAGS, summary="Approve a refund someone else requested; the provider returns the cash")
    def post(self, request, slug: str, refund_id: int):
        refund = services.refund_approve(refund=_hospital_refund(request, slug, refund_id), approved_by=request.user)
        refund.refresh_from_db()
        return Response(s.MedicalRefundOutput(refund).data)


class HospitalRefundRejectApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={200: s.MedicalRefundOutput, **STAFF_ERRORS}, tags=TAGS,
                   summary="Reject a refund someone else requested")
    def post(self, request, slug: str, refund_id: int):
        refund = services.refund_reject(refund=_hospital_refund(request, slug, refund_id), rejected_by=request.user)
        return Response(s.MedicalRefundOutput(refund).data)


class HospitalReconciliationApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(parameters=[s.MedicalReconciliationInput], responses={(200, "text/csv"): OpenApiTypes.STR,
                                                                  **STAFF_ERRORS},
                   tags=TAGS, summary="The day's reconciliation (ledger vs provider vs insurance) as CSV")
    def get(self, request, slug: str):
        hospital = staff_hospital(user=request.user, slug=slug)
        data = s.MedicalReconciliationInput(data=request.query_params)
        data.is_valid(raise_exception=True)
        day = data.validated_data["day"]
        body = selectors.reconciliation_csv_get(day=day, hospitals=[hospital])
        response = HttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="reconciliation-{hospital.slug}-{day}.csv"'
        return response
