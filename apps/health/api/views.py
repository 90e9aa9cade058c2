"""The health commission's API (case lists, rule sets) and the citizen's declaration. Thin: validate, call a service."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.codes.plugin_api import IsCitizen, NotFound

from .. import selectors, services
from ..errors import HealthErrorCode
from .serializers import (
    CaseListOutput,
    CaseListUploadInput,
    ColourOutput,
    DeclarationInput,
    DryRunOutput,
    RuleSetOutput,
    RuleSetSaveInput,
)


def _case_list_data(case_list, *, duplicate: bool = False) -> dict:
    data = CaseListOutput(case_list).data
    data["duplicate"] = duplicate
    return data


def _rule_set(pk: int):
    version = selectors.rule_set_get(pk=pk)
    if version is None:
        raise NotFound(HealthErrorCode.UNKNOWN_RULE_SET, "No such rule set.")
    return version


class CaseListUploadApi(APIView):
    permission_classes = [IsCitizen]
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": CaseListUploadInput}, responses={201: CaseListOutput,
                   200: CaseListOutput}, operation_id="health_case_list_upload", tags=["health"],
                   summary="Upload a case list (CSV or JSON); matched and recoloured in the background",
                   description="Columns id_number,kind,since. The same file again answers 200 with the first import "
                   "(`duplicate: true`) and changes nothing. A file with any bad row is rejected whole: state "
                   "`rejected`, every error with its line number, nothing applied.")
    def post(self, request):
        data = CaseListUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        file_format = data.validated_data.get("format") or ("json" if upload.name.lower().endswith(".json") else "csv")
        case_list, created = services.case_list_upload(
            user=request.user, content=upload.read(), file_format=file_format, file_name=upload.name)
        return Response(_case_list_data(case_list, duplicate=not created),
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class CaseListProgressApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: CaseListOutput}, operation_id="health_case_list_get", tags=["health"],
                   summary="An import's progress: rows read, matched, recoloured, errors")
    def get(self, request, pk: int):
        organization = services.commission_for(user=request.user)
        case_list = selectors.case_list_get(pk=pk, organization=organization)
        if case_list is None:
            raise NotFound(HealthErrorCode.UNKNOWN_IMPORT, "No such case list.")
        return Response(_case_list_data(case_list))


class RuleSetSaveApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=RuleSetSaveInput, responses={201: RuleSetOutput}, operation_id="health_rule_set_save",
                   tags=["health"], summary="Save a draft rule set version (refused if a rule reads a "
                   "non-epidemiological input)")
    def post(self, request):
        data = RuleSetSaveInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.commission_for(user=request.user)
        region = selectors.region_get(code=data.validated_data["region"])
        if region is None:
            raise NotFound(HealthErrorCode.UNKNOWN_REGION, "No such region.")
        v = data.validated_data
        version = services.rule_set_draft_save(
            user=request.user, region=region, version=v["version"], title_zh=v["title_zh"], title_en=v["title_en"],
            rules_=v["rules"], test_cases=v["test_cases"], valid_from=v["valid_from"],
            valid_until=v.get("valid_until"))
        return Response(RuleSetOutput(version).data, status=status.HTTP_201_CREATED)


class RuleSetGetApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: RuleSetOutput}, operation_id="health_rule_set_get", tags=["health"],
                   summary="One rule set version")
    def get(self, request, pk: int):
        services.commission_for(user=request.user)
        return Response(RuleSetOutput(_rule_set(pk)).data)


class RuleSetDryRunApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={200: DryRunOutput}, operation_id="health_rule_set_dry_run",
                   tags=["health"], summary="How many citizens this version would recolour, and how (writes no colour)")
    def post(self, request, pk: int):
        services.commission_for(user=request.user)
        return Response(services.rule_set_dry_run(user=request.user, version=_rule_set(pk)))


class RuleSetPublishApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={200: RuleSetOutput}, operation_id="health_rule_set_publish",
                   tags=["health"], summary="Publish a draft: all test cases pass, not in force before the notice "
                   "period, version newer than the last")
    def post(self, request, pk: int):
        services.commission_for(user=request.user)
        return Response(RuleSetOutput(services.rule_set_publish(user=request.user, version=_rule_set(pk))).data)


class DeclarationSubmitApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=DeclarationInput, responses={201: ColourOutput}, operation_id="health_declaration_submit",
                   tags=["health"], summary="The signed-in citizen's daily declaration; answers the colour after it")
    def post(self, request):
        data = DeclarationInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.declaration_submit(citizen=request.user, date=data.validated_data["date"],
                                    fever=data.validated_data["fever"],
                                    symptoms=data.validated_data.get("symptoms", []))
        colour = selectors.colour_get(citizen=request.user)
        return Response({"colour": colour.colour if colour else None, "rule_id": colour.rule_id if colour else "",
                         "reasons": colour.reasons if colour else [],
                         "next_change_at": colour.next_change_at if colour else None},
                        status=status.HTTP_201_CREATED)
