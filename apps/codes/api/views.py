"""Citizens' codes and the unified scan. Thin: each view validates input, calls one service or selector."""

from django.http import HttpResponse
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.codes.errors import CodesErrorCode
from apps.identity.permissions import IsApiClient, IsCitizen
from citycode.errors import DomainError

from .. import scan, wallet
from .serializers import HeldCodeOutput, HeldCodesOutput, QrInput, ScanInput, ScanOutput

_NO_STORE = {"no_store": True, "private": True}


def _held_code_data(request, held) -> dict:
    kind, issued = held.code_type, held.issued
    return {
        "type": kind.key,
        "label": kind.label(getattr(request, "LANGUAGE_CODE", None)),
        "labels": kind.labels,
        "token": issued.token,
        "issued_at": issued.issued_at,
        "expires_at": issued.expires_at,
        "refresh_after": held.refresh_after,
        # No token in any URL: URLs end up in access logs, proxies and browser history (issue 7, finding 16).
        "qr_svg_url": request.build_absolute_uri(reverse("api-my-code-qr-svg", args=[kind.key])),
        "qr_png_url": request.build_absolute_uri(reverse("api-my-code-qr-png", args=[kind.key])),
        "qr_url": request.build_absolute_uri(reverse("api-my-code-qr", args=[kind.key])),
    }


def _private(response):
    # A token is a live credential: never let a shared cache keep it.
    patch_cache_control(response, **_NO_STORE)
    return response


class MyCodesApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        responses={200: HeldCodesOutput},
        operation_id="me_codes_list",
        tags=["codes"],
        summary="Every code the signed-in citizen holds, each with a fresh token",
        description="Iterates the code-type registry: the city code first, then every plugged-in code type "
        "the citizen holds. Fetch `/me/codes/{type}` again at `refresh_after`.",
    )
    def get(self, request):
        codes = [_held_code_data(request, held) for held in wallet.held_codes_issue(citizen=request.user)]
        return _private(Response(HeldCodesOutput({"codes": codes}).data))


class MyCodeApi(APIView):
    permission_classes = [IsCitizen]

    @extend_schema(
        responses={
            200: HeldCodeOutput,
            404: OpenApiResponse(description="`unknown_code_type`, or `code_not_held` by this citizen."),
        },
        operation_id="me_code_retrieve",
        tags=["codes"],
        summary="A fresh token of one code type",
    )
    def get(self, request, code_type: str):
        held = wallet.held_code_issue(citizen=request.user, code_type=code_type)
        return _private(Response(HeldCodeOutput(_held_code_data(request, held)).data))


def _qr_response(image) -> HttpResponse:
    response = HttpResponse(image.body, content_type=image.content_type)
    patch_cache_control(response, private=True, max_age=image.max_age)
    return response


class _MyFreshCodeQrApi(APIView):
    permission_classes = [IsCitizen]
    image_format = ""

    def perform_content_negotiation(self, request, force=False):
        # An <img> asks for image/*; errors are still answered in the one JSON error shape.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request, code_type: str):
        if "token" in request.query_params:
            # A live token in a URL leaks into access logs; refuse it loudly so clients move to POST .../qr.
            raise DomainError(CodesErrorCode.TOKEN_IN_URL, str(_TOKEN_IN_URL))
        token = wallet.held_code_issue(citizen=request.user, code_type=code_type).issued.token
        return _qr_response(wallet.held_code_qr(citizen=request.user, code_type=code_type, token=token,
                                                image_format=self.image_format))


_TOKEN_IN_URL = gettext_lazy("Send the token in the body of a POST to …/qr, never in a URL.")
_FRESH_QR_RESPONSES = {
    400: OpenApiResponse(description="`token_in_url`: a `token` query parameter is refused (use POST .../qr)."),
    404: OpenApiResponse(description="`unknown_code_type`, or `code_not_held` by this citizen."),
}


class MyCodeQrSvgApi(_MyFreshCodeQrApi):
    image_format = "svg"

    @extend_schema(
        responses={(200, "image/svg+xml"): OpenApiTypes.BINARY, **_FRESH_QR_RESPONSES},
        operation_id="me_code_qr_svg",
        tags=["codes"],
        summary="A fresh token of this type as an SVG QR code (Cache-Control private)",
        description="No token travels in the URL. To draw a token you already hold, POST it to `/qr`.",
    )
    def get(self, request, code_type: str):
        return super().get(request, code_type)


class MyCodeQrPngApi(_MyFreshCodeQrApi):
    image_format = "png"

    @extend_schema(
        responses={(200, "image/png"): OpenApiTypes.BINARY, **_FRESH_QR_RESPONSES},
        operation_id="me_code_qr_png",
        tags=["codes"],
        summary="A fresh token of this type as a PNG QR code (Cache-Control private)",
        description="No token travels in the URL. To draw a token you already hold, POST it to `/qr`.",
    )
    def get(self, request, code_type: str):
        return super().get(request, code_type)


class MyCodeQrApi(APIView):
    permission_classes = [IsCitizen]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        request=QrInput,
        responses={
            (200, "image/svg+xml"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            400: OpenApiResponse(description="The token is refused; `error.code` is the reason."),
            404: OpenApiResponse(description="Not your token, or a code you do not hold."),
        },
        operation_id="me_code_qr_render",
        tags=["codes"],
        summary="One of your own tokens as a QR image; the token travels in the body, never in a URL",
        description="The token must verify as this type and be this city's token of the signed-in citizen. "
        "The home page draws rotating codes on the device instead; this is for clients that cannot.",
    )
    def post(self, request, code_type: str):
        data = QrInput(data=request.data)
        data.is_valid(raise_exception=True)
        return _qr_response(wallet.held_code_qr(citizen=request.user, code_type=code_type,
                                                token=data.validated_data["token"],
                                                image_format=data.validated_data["format"]))


class ScanApi(APIView):
    permission_classes = [IsApiClient]

    @extend_schema(
        request=ScanInput,
        responses={
            200: ScanOutput,
            400: OpenApiResponse(
                description="The code is refused; `error.code` is bad_prefix, bad_encoding, unknown_kid, "
                "bad_signature, expired, not_yet_valid, revoked or unknown_subject "
                "(or validation_error for a malformed body)."
            ),
            403: OpenApiResponse(
                description="The consent gate refused; `error.code` is always `not_disclosed` (the precise "
                "reason, which could tell about the citizen, is in the citizen's access log)."
            ),
            404: OpenApiResponse(
                description="`unknown_purpose`: no such purpose; nothing is written to any access log. "
                "`unknown_code_type`: the code verified but is of a type this city does not know."
            ),
        },
        tags=["codes"],
        summary="Scan a citizen's code for a purpose and see only what that purpose may see",
        description="Called by an organization's API client (`Authorization: Api-Key <key>`). Every scan of "
        "a code that resolves to a citizen leaves a row in that citizen's access log, allowed or denied.",
    )
    def post(self, request):
        data = ScanInput(data=request.data)
        data.is_valid(raise_exception=True)
        client = request.auth
        result = scan.code_scan(
            organization=client.organization,
            purpose=data.validated_data["purpose"],
            token=data.validated_data["token"],
            actor=client,
            request_id=request.headers.get("X-Request-ID", "")[:64],
        )
        return _private(Response(ScanOutput(result).data))
