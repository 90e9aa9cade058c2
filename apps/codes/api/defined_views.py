"""Department-defined code types over the API (issue 12): a department proposes a type, the data bureau publishes
it, its issuers issue and revoke codes. Thin: each view validates input and calls one service."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.codes.errors import CodesErrorCode
from apps.identity.permissions import IsApiClient, client_has_scope
from citycode.errors import Forbidden, NotFound

from .. import services
from ..models import DefinedCodeTypeVersion


class DefinedTypePurposeInput(serializers.Serializer):
    code = serializers.CharField(max_length=64)
    label_zh = serializers.CharField(max_length=100)
    label_en = serializers.CharField(max_length=100)
    description_zh = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    description_en = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    categories = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=20)
    retention_days = serializers.IntegerField(min_value=1, max_value=3650)


class DefinedTypeInput(serializers.Serializer):
    key = serializers.CharField(max_length=32)
    label_zh = serializers.CharField(max_length=100)
    label_en = serializers.CharField(max_length=100)
    claims_schema = serializers.JSONField(help_text="A JSON Schema (2020-12) of an object: every issued code's claims.")
    field_labels = serializers.JSONField(help_text="{claim: [label in Chinese, label in English]} for every claim.")
    lifetime_seconds = serializers.IntegerField(min_value=30, max_value=86400)
    issuers = serializers.ListField(child=serializers.SlugField(max_length=64), min_length=1, max_length=50)
    purposes = DefinedTypePurposeInput(many=True)


class DefinedTypeVersionOutput(serializers.Serializer):
    key = serializers.CharField(source="code_type.key")
    version = serializers.IntegerField()
    state = serializers.CharField()
    label_zh = serializers.CharField()
    label_en = serializers.CharField()
    claims_schema = serializers.JSONField()
    field_labels = serializers.JSONField()
    lifetime_seconds = serializers.IntegerField()
    issuers = serializers.JSONField()
    purposes = serializers.JSONField()
    proposed_by = serializers.CharField(source="proposed_by_label")
    decided_by = serializers.CharField(source="decided_by_label")
    published_at = serializers.DateTimeField(allow_null=True)


class DefinedCodeIssueInput(serializers.Serializer):
    id_number = serializers.CharField(max_length=18, help_text="The holder's resident ID number (matched by keyed "
                                                               "hash; the answer is the same whether they registered).")
    claims = serializers.JSONField()
    reference = serializers.CharField(max_length=64, help_text="Your own id of this code: re-sending it is a no-op.")
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)


class DefinedCodeOutput(serializers.Serializer):
    key = serializers.CharField(source="version.code_type.key")
    version = serializers.IntegerField(source="version.version")
    reference = serializers.CharField()
    valid_until = serializers.DateField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


def _version(key: str, number: int) -> DefinedCodeTypeVersion:
    version = DefinedCodeTypeVersion.objects.select_related("code_type").filter(
        code_type__key=key, version=number).first()
    if version is None:
        raise NotFound(CodesErrorCode.UNKNOWN_CODE_TYPE, _("No such code type version."))
    return version


def _issuer(request):
    if not client_has_scope(request.auth, services.ISSUE_SCOPE):
        raise Forbidden(CodesErrorCode.NOT_AN_ISSUER, _("Issuing codes needs a key with the codes.issue scope."))
    return request.auth.organization


class DefinedTypeProposeApi(APIView):
    permission_classes = [IsApiClient]

    @extend_schema(request=DefinedTypeInput, responses={202: DefinedTypeVersionOutput}, tags=["code types"],
                   summary="Define a code type, or a new version of yours (a city department's key with codes.define)",
                   description="Nothing is served until a data-bureau administrator (never the key's holder) "
                               "publishes it. Claims never name a person; every claim needs zh and en labels.")
    def post(self, request):
        data = DefinedTypeInput(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.defined_type_propose(proposer=request.auth, **data.validated_data)
        return Response(DefinedTypeVersionOutput(version).data, status=status.HTTP_202_ACCEPTED)


class DefinedTypeDecideApi(APIView):
    permission_classes = [IsApiClient]
    publish = True

    @extend_schema(request=None, responses={200: DefinedTypeVersionOutput, 403: OpenApiResponse(
        description="`not_data_bureau`, `key_without_holder`, or `own_proposal`.")}, tags=["code types"],
        summary="Publish a proposed version (a data-bureau administrator's key)")
    def post(self, request, key: str, version: int):
        decided = services.defined_type_decide(version=_version(key, version), decided_by=request.auth,
                                               publish=self.publish)
        return Response(DefinedTypeVersionOutput(decided).data)


class DefinedTypeRejectApi(DefinedTypeDecideApi):
    publish = False

    @extend_schema(request=None, responses={200: DefinedTypeVersionOutput}, tags=["code types"],
                   summary="Reject a proposed version (a data-bureau administrator's key)")
    def post(self, request, key: str, version: int):
        return super().post(request, key, version)


class DefinedCodeIssueApi(APIView):
    permission_classes = [IsApiClient]

    @extend_schema(request=DefinedCodeIssueInput, responses={201: DefinedCodeOutput, 200: DefinedCodeOutput},
                   tags=["code types"],
                   summary="Issue a code of a published defined type (an issuer's key with codes.issue)",
                   description="201 when issued, 200 when the same reference was already issued with the same "
                               "content; 400 `claims_invalid` lists each claim that misses the schema.")
    def post(self, request, key: str):
        organization = _issuer(request)
        data = DefinedCodeIssueInput(data=request.data)
        data.is_valid(raise_exception=True)
        code, created = services.defined_code_issue(key=key, organization=organization, **data.validated_data)
        return Response(DefinedCodeOutput(code).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class DefinedCodeRevokeApi(APIView):
    permission_classes = [IsApiClient]

    @extend_schema(request=None, responses={200: DefinedCodeOutput}, tags=["code types"],
                   summary="Revoke a code you issued (no new token of it is issued from now on)")
    def post(self, request, key: str, reference: str):
        code = services.defined_code_revoke(key=key, organization=_issuer(request), reference=reference)
        return Response(DefinedCodeOutput(code).data)
