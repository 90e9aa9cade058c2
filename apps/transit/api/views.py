"""Transit's API. Thin: each view validates input and calls one service or selector."""

from typing import Any

from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.codes.plugin_api import IsCitizen, b64u, domain_error, organization_get

from .. import selectors, services
from ..authentication import IsReader, ReaderAuthentication
from ..errors import TransitErrorCode
from ..models import Reader, RideAccount
from .serializers import (
    CertificateInput,
    CertificateOutput,
    ReaderPackageInput,
    ReaderPackageOutput,
    ServerCodeInput,
    ServerCodeOutput,
)


def _private(response: Response) -> Response:
    # A certificate or a code is a live credential: no shared cache may keep it.
    patch_cache_control(response, no_store=True, private=True)
    return response


def _account(citizen: Any) -> RideAccount:
    account = selectors.ride_account_get(citizen=citizen)
    if account is None:
        raise domain_error(TransitErrorCode.NO_RIDE_ACCOUNT, _("You have no ride account."))
    return account


def _operator(slug: str) -> Any:
    operator = organization_get(slug=slug)
    if operator is None or operator.kind != services.OPERATOR_KIND or not operator.is_active:
        raise domain_error(TransitErrorCode.UNKNOWN_OPERATOR, _("No such transit operator."))
    return operator


class ReaderPackageApi(APIView):
    authentication_classes = [ReaderAuthentication]
    permission_classes = [IsReader]

    @extend_schema(
        parameters=[ReaderPackageInput],
        responses={200: ReaderPackageOutput,
                   401: OpenApiResponse(description="`bad_reader_credential`: unknown, inactive or wrong.")},
        operation_id="transit_reader_package_retrieve",
        tags=["transit"],
        summary="The reader's package: issuer keys, the deny list since a version, fare data",
        description="Authenticate with `Authorization: Reader <device_id>:<secret>`. A reader keeps the package "
        "for a day offline and asks again with `?since=<deny-list version it holds>` for the deltas only.",
    )
    def get(self, request: Request) -> Response:
        given = ReaderPackageInput(data=request.query_params)
        given.is_valid(raise_exception=True)
        reader: Reader = request.auth  # type: ignore[assignment]  # ReaderAuthentication sets it, IsReader checks
        package = selectors.reader_package_get(reader=reader, since=given.validated_data["since"])
        return Response(ReaderPackageOutput(package).data)


class MyRideCertificateApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        request=CertificateInput,
        responses={201: CertificateOutput,
                   400: OpenApiResponse(description="`bad_device_key`, `validation_error`"),
                   403: OpenApiResponse(description="`account_in_arrears` (pay first), `account_closed`"),
                   404: OpenApiResponse(description="`no_ride_account`, `unknown_operator`")},
        operation_id="me_ride_certificate_create",
        tags=["transit"],
        summary="A rider certificate for the device's key (the ride code's first layer)",
        description="The wallet page registers its non-extractable P-256 public key and gets a certificate "
        "valid for hours, under a pseudonym drawn fresh for it; the device then signs codes offline. "
        "Without `device_key` the certificate is for server-signed codes (`/me/ride-code`).",
    )
    def post(self, request: Request) -> Response:
        given = CertificateInput(data=request.data)
        given.is_valid(raise_exception=True)
        device_key = given.validated_data["device_key"]
        issued = services.certificate_issue(account=_account(request.user),
                                            operator=_operator(given.validated_data["operator"]),
                                            device_jwk=dict(device_key) if device_key else None)
        certificate = issued.certificate
        return _private(Response(CertificateOutput({
            "certificate": b64u(issued.encoded), "serial": certificate.serial,
            "operator": certificate.operator.slug, "issued_at": certificate.issued_at,
            "expires_at": certificate.expires_at, "code_lifetime": services.CODE_LIFETIME_SECONDS,
            "fare_limit_fen": certificate.fare_limit_fen, "concession": certificate.concession,
            "health_colour": issued.health_colour,
        }).data, status=201))


class MyRideServerCodeApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        request=ServerCodeInput,
        responses={201: ServerCodeOutput,
                   403: OpenApiResponse(description="`account_in_arrears`, `account_closed`"),
                   404: OpenApiResponse(description="`no_ride_account`, `unknown_operator`")},
        operation_id="me_ride_code_create",
        tags=["transit"],
        summary="A short server-signed ride code, for a device that cannot hold a key",
    )
    def post(self, request: Request) -> Response:
        given = ServerCodeInput(data=request.data)
        given.is_valid(raise_exception=True)
        code, generated_at = services.server_code_issue(account=_account(request.user),
                                                        operator=_operator(given.validated_data["operator"]))
        return _private(Response(ServerCodeOutput({
            "code": code, "generated_at": generated_at,
            "refresh_after": generated_at + services.CODE_LIFETIME_SECONDS * 2 // 3,
        }).data, status=201))
