from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.consent.errors import ConsentErrorCode
from apps.identity import selectors as identity_selectors
from apps.identity.permissions import IsCitizen
from citycode.errors import DomainError, ErrorCode, Forbidden, NotFound

from .. import export, receipts, selectors, services
from ..models import CatalogueProposal
from ..permissions import IsDataBureauClient
from . import serializers as s


def _organization(slug: str | None):
    if not slug:
        return None
    organization = identity_selectors.organization_get(slug=slug)
    if organization is None:
        raise NotFound(ConsentErrorCode.UNKNOWN_ORGANIZATION, _("No such organization."))
    return organization


def _my_consent(request, consent_id: int):
    consent = selectors.consent_get(citizen=request.user, consent_id=consent_id)
    if consent is None:
        raise NotFound(ErrorCode.NOT_FOUND, _("No such consent."))
    return consent


class PurposeListApi(APIView):
    # Purposes are the city's public statement of what each use of data may take: any signed-in caller
    # (citizen, staff or API client) may read them.

    @extend_schema(responses={200: s.PurposeOutput(many=True)}, tags=["consent"],
                   summary="Purposes: what each may use, on what legal basis, kept how long")
    def get(self, request):
        return Response(s.PurposeOutput(selectors.purpose_list(), many=True).data)


class ReceiptKeysApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={200: s.JwksOutput}, tags=["consent"],
                   summary="Public keys (JWKS) that verify consent receipts")
    def get(self, request):
        response = Response(receipts.jwks())
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=300"
        return response


class MyConsentListApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: s.ConsentOutput(many=True)}, tags=["consent"], summary="My consents")
    def get(self, request):
        return Response(s.ConsentOutput(selectors.consent_list(citizen=request.user), many=True).data)


class MyConsentGiveApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        request=s.ConsentGiveInput,
        responses={201: s.ConsentOutput, 400: OpenApiResponse(description="e.g. sensitive_bundled, "
                   "category_not_allowed, sensitive_needs_explicit_consent"),
                   403: OpenApiResponse(description="guardian_required, not_a_representative"),
                   409: OpenApiResponse(description="stale_text_version")},
        tags=["consent"], summary="Give a consent (a sensitive category needs its own, explicit consent)",
    )
    def post(self, request):
        data = s.ConsentGiveInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        citizen, actor = request.user, None
        if fields.get("on_behalf_of") and fields["on_behalf_of"] != request.user.pk:
            representation = selectors.representation_list(representative=request.user).filter(
                represented_id=fields["on_behalf_of"]).first()
            if representation is None:
                raise Forbidden(ConsentErrorCode.NOT_A_REPRESENTATIVE, _("You may not act for this citizen."))
            citizen, actor = representation.represented, request.user
        consent = services.consent_give(
            citizen=citizen,
            purpose=fields["purpose"],
            categories=fields["categories"],
            organization=_organization(fields.get("organization")),
            expires_at=fields.get("expires_at"),
            text_version=fields.get("text_version"),
            actor=actor,
            sensitive_confirmed=fields["sensitive_confirmed"],
        )
        return Response(s.ConsentOutput(consent).data, status=status.HTTP_201_CREATED)


class MyConsentWithdrawApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(request=None, responses={200: s.ConsentOutput}, tags=["consent"],
                   summary="Withdraw a consent (mine, or of someone I act for); the next disclosure relying on it "
                           "is denied")
    def post(self, request, consent_id: int):
        # The citizen's own consent, or one of someone they act for now: withdrawing must be as easy as giving
        # (PIPL Art 15), for a guardian too. The service checks the representation covers the purpose.
        consent = selectors.actionable_consent_get(actor=request.user, consent_id=consent_id)
        if consent is None:
            raise NotFound(ErrorCode.NOT_FOUND, _("No such consent."))
        consent = services.consent_withdraw(consent=consent, actor=request.user)
        return Response(s.ConsentOutput(consent).data)


class MyConsentReceiptApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: s.ReceiptOutput}, tags=["consent"],
                   summary="The signed receipt of a consent (compact JWS, EdDSA)")
    def get(self, request, consent_id: int):
        consent = _my_consent(request, consent_id)
        payload = receipts.verify(consent.receipt, receipts.jwks())
        return Response(s.ReceiptOutput({"consent_id": consent.pk, "receipt": consent.receipt,
                                         "payload": payload}).data)


class MyAccessLogApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        parameters=[OpenApiParameter("limit", int, description="At most this many rows, newest first (≤ 500).")],
        responses={200: s.AccessLogOutput(many=True)}, tags=["consent"],
        summary="Who read my data: organization, purpose, categories, basis, outcome, time",
    )
    def get(self, request):
        try:
            limit = min(max(int(request.query_params.get("limit", 100)), 1), 500)
        except ValueError:
            raise DomainError(ConsentErrorCode.INVALID_LIMIT, _("limit must be a whole number.")) from None
        rows = selectors.access_log_list(citizen=request.user)[:limit]
        return Response(s.AccessLogOutput(rows, many=True).data)


class MyExportApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(responses={200: OpenApiResponse(description="Everything citycode holds about me, as JSON.")},
                   tags=["consent"], summary="Export my data: profile, consents, representations, access log, codes, "
                           "each code type's data, …")
    def get(self, request):
        response = Response(export.export_for(citizen=request.user))
        response["Content-Disposition"] = 'attachment; filename="citycode-export.json"'
        return response


# -- representation, both ways ---------------------------------------------------------------------------------


class MyActingForApi(APIView):
    permission_classes = [IsCitizen]

    class ActingForOutput(serializers.Serializer):
        representation_id = serializers.IntegerField(source="pk")
        citizen_id = serializers.IntegerField(source="represented.pk")
        username = serializers.CharField(source="represented.username")
        name = serializers.CharField(source="represented.name")
        kind = serializers.CharField()
        purposes = serializers.ListField(child=serializers.CharField(), help_text="Empty: every purpose.")
        valid_until = serializers.DateTimeField()
        consents = s.ConsentOutput(many=True, source="represented_consents")

    @extend_schema(responses={200: ActingForOutput(many=True)}, tags=["consent"],
                   summary="People I act for (as guardian or carer), with their consents")
    def get(self, request):
        rows = []
        for representation in selectors.representation_list(representative=request.user).order_by("pk"):
            # Read by ActingForOutput only (source="represented_consents"); not a model field.
            representation.represented_consents = selectors.consent_in_scope_list(  # type: ignore[attr-defined]
                representation=representation).order_by("-given_at")
            rows.append(representation)
        return Response(self.ActingForOutput(rows, many=True).data)


class MyRepresentativesApi(APIView):
    permission_classes = [IsCitizen]

    class RepresentativeOutput(serializers.Serializer):
        representation_id = serializers.IntegerField(source="pk")
        username = serializers.CharField(source="representative.username")
        name = serializers.CharField(source="representative.name")
        kind = serializers.CharField()
        purposes = serializers.ListField(child=serializers.CharField(), help_text="Empty: every purpose.")
        valid_from = serializers.DateTimeField()
        valid_until = serializers.DateTimeField()
        can_end = serializers.SerializerMethodField(help_text="An adult may end a carer's relationship.")

        def get_can_end(self, representation) -> bool:
            return representation.kind == representation.Kind.CARER or not representation.represented.is_minor

    @extend_schema(responses={200: RepresentativeOutput(many=True)}, tags=["consent"],
                   summary="Who may act for me (guardians, carers)")
    def get(self, request):
        rows = selectors.representative_list(represented=request.user).order_by("pk")
        return Response(self.RepresentativeOutput(rows, many=True).data)


class MyRepresentationEndApi(APIView):
    permission_classes = [IsCitizen]

    class RepresentationEndedOutput(serializers.Serializer):
        id = serializers.IntegerField()
        kind = serializers.CharField()
        valid_until = serializers.DateTimeField()
        revoked_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(request=None, responses={200: RepresentationEndedOutput,
                                            403: OpenApiResponse(description="guardian_not_endable"),
                                            404: OpenApiResponse(description="not_found")},
                   tags=["consent"],
                   summary="End a representation: the representative steps down, or an adult ends their carer's")
    def post(self, request, representation_id: int):
        representation = selectors.representation_get(citizen=request.user,
                                                           representation_id=representation_id)
        if representation is None:
            raise NotFound(ErrorCode.NOT_FOUND, _("No such representation."))
        representation = services.representation_end(representation=representation, by=request.user)
        return Response(self.RepresentationEndedOutput(representation).data)


# -- data bureau (API key with scope consent.admin) ----------------------------------------------------------


class AdminCategoryUpsertApi(APIView):
    permission_classes = [IsDataBureauClient]

    @extend_schema(
        request=s.CategoryUpsertInput,
        responses={201: s.CategoryOutput, 200: s.CategoryOutput, 202: s.ProposalOutput,
                   409: OpenApiResponse(description="no_change")},
        tags=["consent admin"],
        summary="Create a data category (201), or propose a change of one (202: a second administrator approves)",
    )
    def post(self, request):
        data = s.CategoryUpsertInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        legal_reference = fields.pop("legal_reference")
        result = services.category_submit(**fields, legal_reference=legal_reference, submitted_by=request.auth)
        if isinstance(result, CatalogueProposal):
            return Response(s.ProposalOutput(result).data, status=status.HTTP_202_ACCEPTED)
        return Response(s.CategoryOutput(result).data, status=status.HTTP_201_CREATED)


class AdminPurposeUpsertApi(APIView):
    permission_classes = [IsDataBureauClient]

    @extend_schema(
        request=s.PurposeUpsertInput,
        responses={201: s.PurposeOutput, 202: s.ProposalOutput,
                   409: OpenApiResponse(description="no_change")},
        tags=["consent admin"],
        summary="Create a purpose (201), or propose a change of one (202: a second administrator approves; a "
                "change of its texts or bound then asks every citizen who consented to renew)",
    )
    def post(self, request):
        data = s.PurposeUpsertInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        legal_reference = fields.pop("legal_reference")
        result = services.purpose_submit(**fields, legal_reference=legal_reference, submitted_by=request.auth)
        if isinstance(result, CatalogueProposal):
            return Response(s.ProposalOutput(result).data, status=status.HTTP_202_ACCEPTED)
        return Response(s.PurposeOutput(result).data, status=status.HTTP_201_CREATED)


class AdminGrantListApi(APIView):
    permission_classes = [IsDataBureauClient]

    @extend_schema(responses={200: s.GrantOutput(many=True)}, tags=["consent admin"], summary="Access grants")
    def get(self, request):
        organization = _organization(request.query_params.get("organization"))
        grants = selectors.grant_list(organization=organization)
        return Response(s.GrantOutput(grants, many=True, context={"now": timezone.now()}).data)


class AdminGrantCreateApi(APIView):
    permission_classes = [IsDataBureauClient]

    @extend_schema(
        request=s.GrantCreateInput, responses={201: s.GrantOutput, 202: s.ProposalOutput}, tags=["consent admin"],
        summary="Authorize an organization for a consent purpose (201), or propose a grant of a statutory, "
                "emergency or sensitive purpose (202: a second administrator approves)",
    )
    def post(self, request):
        data = s.GrantCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        organization = _organization(fields["organization"])
        result = services.access_grant_submit(
            organization=organization, purpose=fields["purpose"], submitted_by=request.auth,
            valid_from=fields.get("valid_from"), valid_until=fields.get("valid_until"),
            legal_reference=fields["legal_reference"],
        )
        if isinstance(result, CatalogueProposal):
            return Response(s.ProposalOutput(result).data, status=status.HTTP_202_ACCEPTED)
        return Response(s.GrantOutput(result, context={"now": timezone.now()}).data, status=status.HTTP_201_CREATED)


class AdminProposalsApi(APIView):
    permission_classes = [IsDataBureauClient]

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=["pending", "approved", "rejected"],
                                     description="Only proposals in this state.")],
        responses={200: s.ProposalOutput(many=True)}, tags=["consent admin"],
        summary="Proposals: the bureau's audit trail of who proposed and who decided each catalogue change",
    )
    def get(self, request):
        state = request.query_params.get("state") or None
        if state is not None and state not in CatalogueProposal.State.values:
            raise DomainError(ConsentErrorCode.INVALID_STATE, _("Unknown proposal state."))
        return Response(s.ProposalOutput(selectors.proposal_list(state=state), many=True).data)


def _proposal(proposal_id: int):
    proposal = selectors.proposal_get(proposal_id=proposal_id)
    if proposal is None:
        raise NotFound(ErrorCode.NOT_FOUND, _("No such proposal."))
    return proposal


class AdminProposalApproveApi(APIView):
    permission_classes = [IsDataBureauClient]

    @extend_schema(request=None, responses={200: s.ProposalOutput,
                                            403: OpenApiResponse(description="own_proposal"),
                                            409: OpenApiResponse(description="proposal_decided, proposal_stale")},
                   tags=["consent admin"], summary="Approve and apply a proposal (never the proposer's own)")
    def post(self, request, proposal_id: int):
        proposal = services.proposal_approve(proposal=_proposal(proposal_id), approved_by=request.auth)
        return Response(s.ProposalOutput(proposal).data)


class AdminProposalRejectApi(APIView):
    permission_classes = [IsDataBureauClient]

    @extend_schema(request=None, responses={200: s.ProposalOutput,
                                            403: OpenApiResponse(description="own_proposal"),
                                            409: OpenApiResponse(description="proposal_decided")},
                   tags=["consent admin"], summary="Reject a proposal (never the proposer's own)")
    def post(self, request, proposal_id: int):
        proposal = services.proposal_reject(proposal=_proposal(proposal_id), rejected_by=request.auth)
        return Response(s.ProposalOutput(proposal).data)


class AdminGrantRevokeApi(APIView):
    permission_classes = [IsDataBureauClient]

    @extend_schema(request=None, responses={200: s.GrantOutput}, tags=["consent admin"], summary="Revoke a grant")
    def post(self, request, grant_id: int):
        grant = selectors.grant_get(grant_id=grant_id)
        if grant is None:
            raise NotFound(ErrorCode.NOT_FOUND, _("No such grant."))
        grant = services.access_grant_revoke(grant=grant, revoked_by=request.auth)
        return Response(s.GrantOutput(grant, context={"now": timezone.now()}).data)


class AdminEmergencyListApi(APIView):
    permission_classes = [IsDataBureauClient]

    @extend_schema(responses={200: s.EmergencyOutput(many=True)}, tags=["consent admin"], summary="Emergencies")
    def get(self, request):
        return Response(s.EmergencyOutput(selectors.emergency_list(), many=True).data)


class AdminEmergencyDeclareApi(APIView):
    permission_classes = [IsDataBureauClient]

    @extend_schema(request=s.EmergencyInput, responses={202: s.ProposalOutput}, tags=["consent admin"],
                   summary="Propose an emergency (its purposes need no consent while it lasts); a second "
                           "administrator approves it at /api/v1/consent/proposals/{id}/approve")
    def post(self, request):
        data = s.EmergencyInput(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = services.emergency_propose(**data.validated_data, proposed_by=request.auth)
        return Response(s.ProposalOutput(proposal).data, status=status.HTTP_202_ACCEPTED)


class AdminEmergencyEndApi(APIView):
    permission_classes = [IsDataBureauClient]

    @extend_schema(request=None, responses={200: s.EmergencyOutput}, tags=["consent admin"],
                   summary="End an emergency now")
    def post(self, request, emergency_id: int):
        emergency = selectors.emergency_get(emergency_id=emergency_id)
        if emergency is None:
            raise NotFound(ErrorCode.NOT_FOUND, _("No such emergency."))
        return Response(s.EmergencyOutput(services.emergency_end(emergency=emergency)).data)


class AdminRepresentationCreateApi(APIView):
    permission_classes = [IsDataBureauClient]

    @extend_schema(request=s.RepresentationInput, responses={201: s.RepresentationOutput}, tags=["consent admin"],
                   summary="Register a guardian (of an under-14) or a carer (of a citizen aged 60+)")
    def post(self, request):
        data = s.RepresentationInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        people = []
        for key in ("representative_id_number", "represented_id_number"):
            person = identity_selectors.citizen_get(id_number=fields[key].strip().upper())
            if person is None:
                raise serializers.ValidationError({key: [_("No citizen with this ID number.")]})
            people.append(person)
        representation = services.representation_create(
            representative=people[0], represented=people[1], kind=fields["kind"],
            valid_until=fields["valid_until"], purposes=fields["purposes"],
        )
        return Response(s.RepresentationOutput(representation).data, status=status.HTTP_201_CREATED)
