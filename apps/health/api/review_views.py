"""API of review, appeals and the verifier package. Thin: each view validates input and calls one service or
selector. Officers (staff of the health commission) sign in like citizens (bearer token or session); verifiers
use their organization's API key."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.codes.plugin_api import (
    DomainError,
    Forbidden,
    IsCitizen,
    NotFound,
    api_client_permission,
)

from .. import review_selectors, review_services
from ..errors import HealthReviewErrorCode
from ..models import Alert, Appeal, EpidemicReason, ManualChange

_COLOURS = ["green", "yellow", "red"]


def _no_store(response: Response) -> Response:
    response["Cache-Control"] = "no-store, private"
    return response


# -- verifiers ---------------------------------------------------------------------------------------------------


class _KeyOutput(serializers.Serializer):
    kty = serializers.CharField()
    alg = serializers.CharField()
    kid = serializers.CharField()
    k = serializers.CharField(help_text="The AES-128-GCM key, base64url.")
    nbf = serializers.IntegerField()
    exp = serializers.IntegerField()


class VerifierPackageApi(APIView):
    permission_classes = [api_client_permission()]

    class VerifierPackageOutput(serializers.Serializer):
        purpose = serializers.CharField()
        organization = serializers.CharField()
        issued_at = serializers.IntegerField()
        emergency = serializers.DictField(allow_null=True)
        refresh_after = serializers.IntegerField()
        keys = _KeyOutput(many=True)

    @extend_schema(
        responses={200: VerifierPackageOutput,
                   403: OpenApiResponse(description="`no_epidemic_control_grant`: the organization holds no "
                                                    "active grant for health.epidemic_control.")},
        operation_id="health_verifier_package",
        tags=["health"],
        summary="The purpose keys that open the colour in health-code tokens (epidemic-control verifiers only)",
        description="Today's key (and tomorrow's in the last hours of the day), as symmetric JWKs, only while an "
        "emergency covering epidemic control lasts. The colour claim `c` of a health-code token is a "
        "COSE_Encrypt0 (A128GCM) under the key whose `kid` it names. Refetch at `refresh_after`.",
    )
    def get(self, request):
        package = review_services.verifier_package_issue(organization=request.auth.organization)
        return _no_store(Response(self.VerifierPackageOutput(package).data))


# -- citizens: appeals -------------------------------------------------------------------------------------------


class _AppealOutput(serializers.ModelSerializer):
    # Plain text: one enum name (ToColourEnum, from the inputs) for the colour choice set in the schema.
    colour = serializers.CharField(read_only=True)
    to_colour = serializers.CharField(read_only=True)

    class Meta:
        model = Appeal
        fields = ["id", "colour", "grounds", "statement", "evidence_reference", "filed_at", "due_at", "state",
                  "escalated_at", "answered_at", "answer", "to_colour"]


class AppealFileApi(APIView):
    permission_classes = [IsCitizen]

    class AppealFileInput(serializers.Serializer):
        grounds = serializers.ChoiceField(choices=Appeal.Grounds.choices)
        statement = serializers.CharField(max_length=2000)
        evidence_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    @extend_schema(
        request=AppealFileInput,
        responses={201: _AppealOutput,
                   400: OpenApiResponse(description="`nothing_to_appeal` (green), or a validation error."),
                   409: OpenApiResponse(description="`appeal_open`: one appeal at a time.")},
        operation_id="health_appeal_file", tags=["health"],
        summary="Dispute my colour, with evidence; the commission must answer within 48 hours",
    )
    def post(self, request):
        data = self.AppealFileInput(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = review_services.appeal_file(citizen=request.user, **data.validated_data)
        return Response(_AppealOutput(appeal).data, status=201)


class MyAppealsApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: _AppealOutput(many=True)}, operation_id="health_my_appeals", tags=["health"],
                   summary="My appeals and their answers")
    def get(self, request):
        appeals = review_selectors.appeal_list(citizen=request.user).order_by("-filed_at")
        return _no_store(Response(_AppealOutput(appeals, many=True).data))


# -- officers ----------------------------------------------------------------------------------------------------


def _commission_staff(request: Any) -> None:
    if not review_selectors.commission_staff_exists(user=request.user):
        raise Forbidden(HealthReviewErrorCode.NOT_REVIEWER, _("Only staff of the health commission may do this."))


class _ManualChangeOutput(serializers.ModelSerializer):
    to_colour = serializers.CharField(read_only=True)

    class Meta:
        model = ManualChange
        fields = ["id", "to_colour", "reason_code", "legal_reference", "note", "batch", "venue", "requested_at",
                  "state", "decided_at", "decision_note"]


class ManualChangeRequestApi(APIView):
    permission_classes = [IsCitizen]

    class ManualChangeRequestInput(serializers.Serializer):
        id_numbers = serializers.ListField(child=serializers.CharField(max_length=18), min_length=1,
                                           max_length=5000, help_text="Resident ID numbers; matched by keyed hash, "
                                           "never stored.")
        to_colour = serializers.ChoiceField(choices=_COLOURS)
        reason_code = serializers.ChoiceField(choices=EpidemicReason.choices)
        legal_reference = serializers.CharField(max_length=200)
        note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
        venue = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
        batch = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                      help_text="Idempotency key: the same batch again returns the same requests.")

    @extend_schema(
        request=ManualChangeRequestInput,
        responses={201: _ManualChangeOutput(many=True),
                   400: OpenApiResponse(description="`unknown_citizens` (with the positions), or a validation "
                                                    "error (a reason outside the epidemiological list)."),
                   403: OpenApiResponse(description="`not_reviewer` / `not_health_commission`.")},
        operation_id="health_manual_change_request", tags=["health"],
        summary="Ask to change colours manually; nothing changes until a second officer approves",
    )
    def post(self, request):
        _commission_staff(request)
        data = self.ManualChangeRequestInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        citizens, unknown = review_selectors.citizen_match_list(id_numbers=values.pop("id_numbers"))
        if unknown:
            raise DomainError(HealthReviewErrorCode.UNKNOWN_CITIZENS,
                              _("No registered citizen has the ID number at these positions; nothing was requested."),
                              fields={"id_numbers": [{"code": "unknown_citizen", "message": str(p)} for p in unknown]})
        changes = review_services.manual_change_batch_request(requested_by=request.user, citizens=citizens, **values)
        return Response(_ManualChangeOutput(changes, many=True).data, status=201)


class ManualChangeListApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: _ManualChangeOutput(many=True)}, operation_id="health_manual_change_list",
                   tags=["health"], summary="Manual changes waiting for a second officer")
    def get(self, request):
        _commission_staff(request)
        pending = review_selectors.manual_change_list(state=ManualChange.State.PENDING)
        return _no_store(Response(_ManualChangeOutput(pending, many=True).data))


class _DecisionInput(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def _change(pk: int) -> ManualChange:
    change = review_selectors.manual_change_get(pk=pk)
    if change is None:
        raise NotFound(HealthReviewErrorCode.UNKNOWN_MANUAL_CHANGE, _("No such manual change."))
    return change


class ManualChangeApproveApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=_DecisionInput, responses={
        200: _ManualChangeOutput,
        403: OpenApiResponse(description="`own_request`: the requester cannot approve it."),
        409: OpenApiResponse(description="`already_decided`.")},
        operation_id="health_manual_change_approve", tags=["health"],
        summary="Approve a manual change as the second officer: the colour changes")
    def post(self, request, pk: int):
        _commission_staff(request)
        data = _DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        change = review_services.manual_change_approve(change=_change(pk), approved_by=request.user,
                                                       note=data.validated_data["note"])
        return Response(_ManualChangeOutput(change).data)


class ManualChangeRejectApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=_DecisionInput, responses={200: _ManualChangeOutput},
                   operation_id="health_manual_change_reject", tags=["health"],
                   summary="Reject a manual change (say why); the colour stays")
    def post(self, request, pk: int):
        _commission_staff(request)
        data = _DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        change = review_services.manual_change_reject(change=_change(pk), rejected_by=request.user,
                                                      note=data.validated_data["note"])
        return Response(_ManualChangeOutput(change).data)


class AppealListApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: _AppealOutput(many=True)}, operation_id="health_appeal_list", tags=["health"],
                   summary="Appeals waiting for an answer (escalated ones included), oldest due first")
    def get(self, request):
        _commission_staff(request)
        return _no_store(Response(_AppealOutput(review_selectors.appeal_list(open_only=True), many=True).data))


class AppealAnswerApi(APIView):
    permission_classes = [IsCitizen]

    class AppealAnswerInput(serializers.Serializer):
        accept = serializers.BooleanField()
        answer = serializers.CharField(max_length=2000)
        to_colour = serializers.ChoiceField(choices=_COLOURS, required=False, default="green")

    @extend_schema(request=AppealAnswerInput, responses={200: _AppealOutput},
                   operation_id="health_appeal_answer", tags=["health"],
                   summary="Answer an appeal; accepting recolours (cause appeal) and records why")
    def post(self, request, pk: int):
        _commission_staff(request)
        data = self.AppealAnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = review_selectors.appeal_get(pk=pk)
        if appeal is None:
            raise NotFound(HealthReviewErrorCode.UNKNOWN_APPEAL, _("No such appeal."))
        answered = review_services.appeal_answer(appeal=appeal, answered_by=request.user, **data.validated_data)
        return Response(_AppealOutput(answered).data)


class _AlertOutput(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = ["id", "kind", "subject", "count", "threshold", "created_at", "updated_at"]


class AlertListApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: _AlertOutput(many=True)}, operation_id="health_alert_list", tags=["health"],
                   summary="Alerts for the health commission and the data bureau")
    def get(self, request):
        if not review_selectors.alert_viewer_exists(user=request.user):
            raise Forbidden(HealthReviewErrorCode.NOT_REVIEWER,
                            _("Only staff of the health commission or the data bureau see alerts."))
        return _no_store(Response(_AlertOutput(review_selectors.alert_list(), many=True).data))
