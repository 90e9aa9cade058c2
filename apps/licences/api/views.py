"""E-licence API. Thin: each view validates input, calls one service or selector, shapes the answer."""

from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.codes import plugin_api
from apps.codes.plugin_api import IsApiClient, IsCitizen, NotFound

from .. import elements as el
from .. import selectors, services
from ..errors import LicencesErrorCode
from . import serializers as s


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _licence_data(licence) -> dict:
    english = _english()
    kind = licence.licence_type
    return {
        "id": licence.pk, "type": kind.type_code, "label": kind.label_en if english else kind.label_zh,
        "office": kind.office.display_name, "identifier": licence.identifier, "status": licence.status,
        "valid_from": licence.valid_from, "valid_until": licence.valid_until,
        "elements": el.labelled(el.values_of(licence, today=timezone.localdate()), fields=kind.fields,
                                english=english),
    }


def _request_data(request_row) -> dict:
    kind = request_row.licence_type
    return {
        "id": request_row.pk, "nonce": request_row.nonce, "licence_type": kind.type_code,
        "purpose": request_row.purpose, "verifier": request_row.verifier.slug,
        "elements": [{"key": key, "label": el.label_of(element=key, fields=kind.fields, english=_english())}
                     for key in request_row.elements],
        "expires_at": request_row.expires_at, "answered": request_row.answered_at is not None,
    }


def _private(response: Response) -> Response:
    # Licence data and presentations are personal: never kept by a shared cache.
    patch_cache_control(response, no_store=True, private=True)
    return response


def _licence_type(type_code: str):
    found = selectors.licence_type_get(type_code=type_code)
    if found is None:
        raise NotFound(LicencesErrorCode.UNKNOWN_LICENCE_TYPE, _("No such licence type."))
    return found


_TAGS = ["licences"]


class MyLicencesApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: s.LicencesOutput}, operation_id="me_licences_list", tags=_TAGS,
                   summary="The signed-in citizen's licences, every status, with their fields")
    def get(self, request):
        licences = [_licence_data(licence) for licence in selectors.licence_list(citizen=request.user)]
        return _private(Response(s.LicencesOutput({"licences": licences}).data))


class MyLicenceRequestApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: s.RequestOutput, 404: OpenApiResponse(description="`request_not_found`")},
                   operation_id="me_licence_request_retrieve", tags=_TAGS,
                   summary="What a verifier's request (by its nonce) asks for, before answering it")
    def get(self, request, nonce: str):
        found = selectors.presentation_request_by_nonce_get(nonce=nonce)
        if found is None:
            raise NotFound(LicencesErrorCode.REQUEST_NOT_FOUND, _("No such request."))
        return _private(Response(s.RequestOutput(_request_data(found)).data))


class MyLicencePresentApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        request=s.PresentInput,
        responses={200: s.PresentOutput,
                   403: OpenApiResponse(description="`not_disclosed`: the consent gate refused (logged)."),
                   404: OpenApiResponse(description="`request_not_found`, `licence_not_found`"),
                   409: OpenApiResponse(description="`request_answered`, `request_expired`")},
        operation_id="me_licence_present", tags=_TAGS,
        summary="Answer a verifier's request: a presentation of only the chosen fields the purpose may see",
        description="The fields shown are those you choose, that the request's purpose may see, and that the "
        "consent gate allows; the disclosure is written to your access log. Hand the presentation to the verifier "
        "(QR): it verifies offline, bound to its request's nonce.")
    def post(self, request):
        data = s.PresentInput(data=request.data)
        data.is_valid(raise_exception=True)
        shown = services.presentation_create(citizen=request.user, nonce=data.validated_data["nonce"],
                                             elements=list(data.validated_data["elements"]))
        return _private(Response(s.PresentOutput({
            "presentation": shown.text, "elements": list(shown.elements), "purpose": shown.request.purpose,
            "verifier": shown.request.verifier.slug, "access_log_id": shown.log_id}).data))


class LicenceRequestCreateApi(APIView):
    permission_classes = [IsApiClient]

    @extend_schema(
        request=s.RequestCreateInput,
        responses={201: s.RequestOutput,
                   400: OpenApiResponse(description="`purpose_not_for_type`"),
                   404: OpenApiResponse(description="`unknown_licence_type`, `unknown_purpose`")},
        operation_id="licence_request_create", tags=_TAGS,
        summary="A verifier asks for a licence: purpose and a fresh nonce (Api-Key)")
    def post(self, request):
        data = s.RequestCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.presentation_request_create(
            verifier=request.auth.organization, licence_type=_licence_type(data.validated_data["licence_type"]),
            purpose=data.validated_data["purpose"])
        return _private(Response(s.RequestOutput(_request_data(created)).data, status=201))


class LicenceVerifyApi(APIView):
    permission_classes = [IsApiClient]

    @extend_schema(
        request=s.VerifyInput,
        responses={200: s.VerifyOutput,
                   400: OpenApiResponse(description="The refusal reason: `bad_signature`, `digest_mismatch`, "
                                                    "`not_bound`, `revoked`, `expired`, …"),
                   404: OpenApiResponse(description="`request_not_found` (another organization's request too)")},
        operation_id="licence_presentation_verify", tags=_TAGS,
        summary="Verify a presentation against your own request (what a verifier's device does offline)")
    def post(self, request, request_id: int):
        found = selectors.presentation_request_get(request_id=request_id, verifier=request.auth.organization)
        if found is None:
            raise NotFound(LicencesErrorCode.REQUEST_NOT_FOUND, _("No such request."))
        data = s.VerifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        verified = services.presentation_check(request=found, text=data.validated_data["presentation"])
        fields = found.licence_type.fields
        return _private(Response(s.VerifyOutput({
            "valid": True, "licence_type": found.licence_type.type_code,
            "elements": el.labelled(verified.elements, fields=fields, english=_english()),
            "copy_valid_until": verified.valid_until, "issuer": verified.issuer, "kid": verified.kid}).data))


class LicenceTypesApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: s.TypesOutput}, operation_id="licence_types_list", tags=_TAGS,
                   summary="Every licence type: fields, and which purpose may see which field (public)")
    def get(self, request):
        types = [{
            "type_code": t.type_code, "doc_type": services.mdoc.doc_type_for(t.type_code), "label_zh": t.label_zh,
            "label_en": t.label_en, "office": t.office.slug, "authority_code": t.authority_code,
            "category": t.category, "fields": t.fields, "purpose_fields": t.purpose_fields,
            "validity_days": t.validity_days} for t in selectors.licence_type_list()]
        return Response(s.TypesOutput({"types": types}).data)


class LicenceTypeDefineApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=s.TypeDefineInput, responses={200: s.TypeOutput,
                   403: OpenApiResponse(description="`not_office_staff`")},
                   operation_id="licence_type_define", tags=_TAGS,
                   summary="A licence office defines (or redefines) one of its licence types (office staff)")
    def post(self, request):
        data = s.TypeDefineInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        office = plugin_api.organization_get(slug=values.pop("office"))
        if office is None:
            raise NotFound(LicencesErrorCode.OFFICE_NOT_FOUND, _("No such licence office."))
        values["fields"] = [dict(f) for f in values["fields"]]
        defined = services.licence_type_define(office=office, by=request.user, **values)
        return Response(s.TypeOutput({
            **{k: getattr(defined, k) for k in ("type_code", "label_zh", "label_en", "authority_code", "category",
                                                 "fields", "purpose_fields", "validity_days")},
            "doc_type": services.mdoc.doc_type_for(defined.type_code), "office": office.slug}).data)


class LicenceIssueApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=s.IssueInput, responses={201: s.LicenceOutput,
                   403: OpenApiResponse(description="`not_office_staff`"),
                   404: OpenApiResponse(description="`unknown_licence_type`, `citizen_not_found`"),
                   409: OpenApiResponse(description="`licence_exists`")},
                   operation_id="licence_issue", tags=_TAGS, summary="Issue a licence to a citizen (office staff)")
    def post(self, request):
        data = s.IssueInput(data=request.data)
        data.is_valid(raise_exception=True)
        kind = _licence_type(data.validated_data["licence_type"])
        if not plugin_api.user_acts_for(user=request.user, organization=kind.office):
            # Checked before the lookup: whether an ID number is registered is itself personal data.
            raise plugin_api.Forbidden(LicencesErrorCode.NOT_OFFICE_STAFF, _("You do not act for this licence office."))
        holder = plugin_api.citizen_by_id_number_get(id_number=data.validated_data["id_number"])
        if holder is None:
            raise NotFound(LicencesErrorCode.CITIZEN_NOT_FOUND, _("No registered citizen has this ID number."))
        issued = services.licence_issue(licence_type=kind, citizen=holder, values=data.validated_data["values"],
                                        issued_by=request.user, valid_from=data.validated_data.get("valid_from"))
        return _private(Response(s.LicenceOutput(_licence_data(issued)).data, status=201))


class _OfficeActionApi(APIView):
    permission_classes = [IsCitizen]
    action = ""

    def act(self, request, licence_id: int):
        offices = plugin_api.organizations_acting_for(user=request.user)
        licence = selectors.licence_get(licence_id=licence_id, offices=offices)
        if licence is None:  # another office's licence reads as missing
            raise NotFound(LicencesErrorCode.LICENCE_NOT_FOUND, _("No such licence."))
        data = s.ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"]
        if self.action == "suspend":
            done = services.licence_suspend(licence=licence, by=request.user, reason=reason)
        elif self.action == "reinstate":
            done = services.licence_reinstate(licence=licence, by=request.user)
        elif self.action == "revoke":
            done = services.licence_revoke(licence=licence, by=request.user, reason=reason)
        else:
            done = services.licence_renew(licence=licence, by=request.user)
        return _private(Response(s.LicenceOutput(_licence_data(done)).data))


_ACTION_RESPONSES = {200: s.LicenceOutput, 404: OpenApiResponse(description="`licence_not_found` (also another "
                     "office's licence)"), 409: OpenApiResponse(description="`licence_revoked`, `not_renewable_yet`")}


class LicenceSuspendApi(_OfficeActionApi):
    action = "suspend"

    @extend_schema(request=s.ReasonInput, responses=_ACTION_RESPONSES, operation_id="licence_suspend", tags=_TAGS,
                   summary="Suspend a licence: its wallet copies fail once verifiers refresh the status list")
    def post(self, request, licence_id: int):
        return self.act(request, licence_id)


class LicenceReinstateApi(_OfficeActionApi):
    action = "reinstate"

    @extend_schema(request=s.ReasonInput, responses=_ACTION_RESPONSES, operation_id="licence_reinstate",
                   tags=_TAGS, summary="Lift a suspension")
    def post(self, request, licence_id: int):
        return self.act(request, licence_id)


class LicenceRevokeApi(_OfficeActionApi):
    action = "revoke"

    @extend_schema(request=s.ReasonInput, responses=_ACTION_RESPONSES, operation_id="licence_revoke", tags=_TAGS,
                   summary="Revoke a licence for good (idempotent)")
    def post(self, request, licence_id: int):
        return self.act(request, licence_id)


class LicenceRenewApi(_OfficeActionApi):
    action = "renew"

    @extend_schema(request=s.ReasonInput, responses=_ACTION_RESPONSES, operation_id="licence_renew", tags=_TAGS,
                   summary="Renew a licence within its renewal window")
    def post(self, request, licence_id: int):
        return self.act(request, licence_id)
