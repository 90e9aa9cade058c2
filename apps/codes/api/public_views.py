"""Public, unauthenticated documents a reader or a peer city fetches: JWKS, trust list, status lists.

All three are cacheable (ETag + Cache-Control) and readable cross-origin (CORS ``*``): they hold only
public keys and revocation bits, and offline readers and peer cities must fetch them freely.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.codes.errors import CodesErrorCode
from citycode.errors import NotFound

from .. import selectors

JWKS_MAX_AGE = 300
TRUST_LIST_MAX_AGE = 300
STATUS_LIST_MAX_AGE = 60


def _public(response: Response, *, max_age: int, etag: str | None = None) -> Response:
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = f"public, max-age={max_age}"
    if etag:
        response["ETag"] = etag
    return response


def _not_modified(request, etag: str) -> bool:
    candidates = [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]
    return etag in candidates or "*" in candidates


class PublicDocumentApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []


class JwksApi(PublicDocumentApi):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, tags=["codes"],
                   summary="This city's active and retiring token-signing public keys (RFC 7517 JWKS)")
    def get(self, request):
        return _public(Response(selectors.jwks_get()), max_age=JWKS_MAX_AGE)


class TrustListApi(PublicDocumentApi):
    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Flattened JWS (RFC 7515 7.2.2) whose "
                                        "payload lists this city's keys and the recognised peer cities' keys."),
                   304: OpenApiResponse(description="Not modified.")},
        tags=["codes"], summary="Signed trust list (mutual recognition)")
    def get(self, request):
        document, etag = selectors.trust_list_document_get()
        if _not_modified(request, etag):
            return _public(Response(status=304), max_age=TRUST_LIST_MAX_AGE, etag=etag)
        return _public(Response(document), max_age=TRUST_LIST_MAX_AGE, etag=etag)


class StatusListApi(PublicDocumentApi):
    @extend_schema(
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Flattened JWS whose payload is the "
                                        "code type's compressed revocation bitstring."),
                   304: OpenApiResponse(description="Not modified."),
                   404: OpenApiResponse(description="No status list with this id.")},
        tags=["codes"], summary="Revocation status list of one code type")
    def get(self, request, list_id: str):
        found = selectors.status_list_document_get(list_id=list_id)
        if found is None:
            raise NotFound(CodesErrorCode.STATUS_LIST_NOT_FOUND, _("No status list with this id."))
        document, etag = found
        if _not_modified(request, etag):
            return _public(Response(status=304), max_age=STATUS_LIST_MAX_AGE, etag=etag)
        return _public(Response(document), max_age=STATUS_LIST_MAX_AGE, etag=etag)
