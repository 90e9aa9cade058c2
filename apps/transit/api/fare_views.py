"""Taps, settlement and the rider's money over the API. Thin: each view validates input and calls one service or
selector (apps/transit/fare_services.py, selectors.py)."""

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.codes.plugin_api import IsCitizen, domain_error, organization_get, staff_can_act

from .. import fare_services, fares, selectors
from ..authentication import IsReader, ReaderAuthentication
from ..errors import FareErrorCode, TransitErrorCode
from ..fare_services import MAX_BATCH


def _account(request: Any) -> Any:
    account = selectors.ride_account_get(citizen=request.user)
    if account is None:
        raise domain_error(TransitErrorCode.NO_RIDE_ACCOUNT, _("You have no ride account yet."))
    return account


def _operator_for_staff(request: Any, slug: str) -> Any:
    # The same 404 for an operator that does not exist and one the person does not act for: a 403 would confirm it.
    operator = organization_get(slug=slug)
    if operator is None or not staff_can_act(user=request.user, organization=operator):
        raise domain_error(TransitErrorCode.UNKNOWN_OPERATOR, _("No such operator among those you act for."))
    return operator


class TapUploadApi(APIView):
    """A reader's batch of taps (bus validators and metro gates upload at the depot or over 4G)."""

    authentication_classes = [ReaderAuthentication]
    permission_classes = [IsReader]

    class TapUploadInputSerializer(serializers.Serializer):
        class TapUploadTapSerializer(serializers.Serializer):
            uid = serializers.CharField(max_length=64, help_text="Unique per reader; a re-sent tap keeps its uid.")
            at = serializers.DateTimeField(help_text="When the code was scanned (ISO 8601 with offset).")
            pseudonym = serializers.CharField(max_length=32, help_text="The rider certificate's pseudonym.")
            direction = serializers.ChoiceField(choices=[fares.BOARD, fares.IN, fares.OUT])

        batch_id = serializers.CharField(max_length=64, help_text="Idempotency key of the batch.")
        taps = TapUploadTapSerializer(many=True, allow_empty=False, help_text=f"At most {MAX_BATCH} taps.")

    class TapUploadOutputSerializer(serializers.Serializer):
        batch_id = serializers.CharField()
        received = serializers.IntegerField()
        new = serializers.IntegerField()
        duplicates = serializers.IntegerField()
        replayed = serializers.BooleanField()

    @extend_schema(
        request=TapUploadInputSerializer, responses={201: TapUploadOutputSerializer, 200: TapUploadOutputSerializer},
        operation_id="transit_taps_upload", tags=["transit"],
        summary="Upload a reader's batch of taps (exactly once)",
        description="`Authorization: Reader <device_id>:<secret>`. A batch sent again answers 200 with the first "
        "result; taps already stored by an overlapping batch count as duplicates. The same batch_id with other "
        "taps is refused (409 batch_id_reused). The whole batch is stored or nothing is.",
    )
    def post(self, request: Any) -> Response:
        data = self.TapUploadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload, created = fare_services.tap_batch_upload(
            reader=request.user, batch_id=data.validated_data["batch_id"], taps=data.validated_data["taps"])
        body = {"batch_id": upload.batch_id, "received": upload.received, "new": upload.new,
                "duplicates": upload.duplicates, "replayed": not created}
        return Response(self.TapUploadOutputSerializer(body).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class SettlementRunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    chunks_total = serializers.IntegerField()
    chunks_done = serializers.IntegerField()
    taps_settled = serializers.IntegerField()
    taps_unknown = serializers.IntegerField()
    trips = serializers.IntegerField()
    charged_fen = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)


class SettlementStartApi(APIView):
    permission_classes = [IsCitizen]

    class SettlementStartInputSerializer(serializers.Serializer):
        operator = serializers.SlugField(help_text="The operator's slug (you must act for it).")

    @extend_schema(
        request=SettlementStartInputSerializer, responses={202: SettlementRunOutput},
        operation_id="transit_settlement_start",
        tags=["transit"], summary="Settle the operator's pending taps (a worker runs it; poll its progress)",
        description="409 settlement_running while another settlement of the operator is queued or running.",
    )
    def post(self, request: Any) -> Response:
        data = self.SettlementStartInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        run = fare_services.settlement_start(operator=_operator_for_staff(request, data.validated_data["operator"]))
        run.refresh_from_db()
        return Response(SettlementRunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class SettlementDetailApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        responses={200: SettlementRunOutput}, operation_id="transit_settlement_get", tags=["transit"],
        summary="A settlement's progress and totals",
        parameters=[OpenApiParameter("operator", str, OpenApiParameter.QUERY, required=True)],
    )
    def get(self, request: Any, run_id: int) -> Response:
        operator = _operator_for_staff(request, request.query_params.get("operator", ""))
        run = selectors.settlement_run_get(operator=operator, run_id=run_id)
        if run is None:
            raise domain_error(FareErrorCode.NO_SUCH_SETTLEMENT, _("No such settlement of this operator."))
        return Response(SettlementRunOutput(run).data)


class FareStepSerializer(serializers.Serializer):
    step = serializers.CharField()
    fen = serializers.IntegerField()
    rule = serializers.IntegerField(required=False)
    cap = serializers.IntegerField(required=False)
    chain = serializers.IntegerField(required=False)
    percent = serializers.IntegerField(required=False)
    distance_m = serializers.IntegerField(required=False)


class MyTripsApi(APIView):
    permission_classes = [IsCitizen]

    class MyTripsOutputSerializer(serializers.Serializer):
        class MyTripSerializer(serializers.Serializer):
            service_date = serializers.DateField()
            mode = serializers.CharField()
            line = serializers.CharField(allow_null=True)
            from_stop = serializers.CharField(allow_null=True)
            to_stop = serializers.CharField(allow_null=True)
            start_s = serializers.IntegerField()
            end_s = serializers.IntegerField()
            distance_m = serializers.IntegerField()
            unmatched = serializers.BooleanField()
            charged_fen = serializers.IntegerField()
            steps = FareStepSerializer(many=True)

        trips = MyTripSerializer(many=True)

    @extend_schema(responses={200: MyTripsOutputSerializer}, operation_id="transit_me_trips", tags=["transit"],
                   summary="My latest trips, each with its fare and the rules that priced it")
    def get(self, request: Any) -> Response:
        rows = selectors.trip_list(account=_account(request))
        trips = [{
            "service_date": r["trip"].service_date, "mode": r["trip"].mode,
            "line": r["trip"].line.code if r["trip"].line else None,
            "from_stop": r["trip"].from_stop.code if r["trip"].from_stop else None,
            "to_stop": r["trip"].to_stop.code if r["trip"].to_stop else None,
            "start_s": r["trip"].start_s, "end_s": r["trip"].end_s, "distance_m": r["trip"].distance_m,
            "unmatched": r["trip"].unmatched, "charged_fen": r["trip"].charged_fen, "steps": r["steps"],
        } for r in rows]
        return Response(self.MyTripsOutputSerializer({"trips": trips}).data)


_BALANCE = inline_serializer("RideBalance", {
    "mode": serializers.CharField(), "status": serializers.CharField(), "balance_fen": serializers.IntegerField(),
    "credit_limit_fen": serializers.IntegerField(),
    "ledger": inline_serializer("RideLedgerEntry", {
        "kind": serializers.CharField(), "amount_fen": serializers.IntegerField(),
        "created_at": serializers.DateTimeField()}, many=True),
})


def _balance_body(account: Any) -> dict[str, Any]:
    account.refresh_from_db()
    return {"mode": account.mode, "status": account.status, "balance_fen": account.balance_fen,
            "credit_limit_fen": account.credit_limit_fen,
            "ledger": [{"kind": e.kind, "amount_fen": e.amount_fen, "created_at": e.created_at}
                       for e in selectors.ledger_entry_list(account=account, limit=20)]}


class MyBalanceApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: _BALANCE}, operation_id="transit_me_balance", tags=["transit"],
                   summary="My ride account's balance, status and latest money movements")
    def get(self, request: Any) -> Response:
        return Response(_balance_body(_account(request)))


def _idempotency_key(request: Any) -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 64:
        raise domain_error(FareErrorCode.IDEMPOTENCY_KEY_REQUIRED,
                           _("Send an Idempotency-Key header (at most 64 characters) naming this payment."))
    return key


_KEY_HEADER = OpenApiParameter("Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
                               description="Names the payment: a retry with the same key changes nothing.")


class MyTopUpApi(APIView):
    permission_classes = [IsCitizen]

    class MyTopUpInputSerializer(serializers.Serializer):
        amount_fen = serializers.IntegerField(min_value=1, max_value=fare_services.MAX_TOP_UP_FEN)

    @extend_schema(
        request=MyTopUpInputSerializer, responses={201: _BALANCE, 200: _BALANCE}, parameters=[_KEY_HEADER],
        operation_id="transit_me_top_up", tags=["transit"], summary="Top up my ride account (idempotent)",
        description="Stands for the payment provider's confirmed payment. A top-up that covers the debt takes the "
        "account out of arrears. The same key with another amount is refused (409 idempotency_key_reused).",
    )
    def post(self, request: Any) -> Response:
        data = self.MyTopUpInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = _account(request)
        _entry, created = fare_services.account_top_up(
            account=account, amount_fen=data.validated_data["amount_fen"], idempotency_key=_idempotency_key(request))
        return Response(_balance_body(account), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class MyDebtPaymentApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        request=None, responses={201: _BALANCE, 200: _BALANCE}, parameters=[_KEY_HEADER],
        operation_id="transit_me_debt_pay", tags=["transit"], summary="Pay my whole ride debt (idempotent)",
        description="Takes the account out of arrears: its certificates leave the deny lists. 400 no_debt when "
        "nothing is owed.",
    )
    def post(self, request: Any) -> Response:
        account = _account(request)
        _entry, created = fare_services.account_debt_pay(account=account, idempotency_key=_idempotency_key(request))
        return Response(_balance_body(account), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
