"""The public catalogue and the monthly transparency report: open to anyone, no sign-in (issue 12, item 4)."""

import re

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.consent.errors import ConsentErrorCode
from citycode.errors import NotFound

from .. import transparency

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_parse(text: str) -> tuple[int, int]:
    """``YYYY-MM`` of a month that has begun; NotFound otherwise (a future month has no report)."""
    match = MONTH.match(text or "")
    if not match:
        raise NotFound(ConsentErrorCode.UNKNOWN_MONTH, _("Name a month as YYYY-MM."))
    year, month = int(match.group(1)), int(match.group(2))
    today = timezone.localdate()
    if (year, month) > (today.year, today.month) or year < 2000:
        raise NotFound(ConsentErrorCode.UNKNOWN_MONTH, _("There is no report for this month."))
    return year, month


class PublicApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []


class CatalogueApi(PublicApi):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, tags=["public"], auth=[],
                   summary="The public data-resource catalogue: code types, data categories, purposes with their "
                           "legal basis, and which organizations hold a grant for each now")
    def get(self, request):
        response = Response(transparency.public_catalogue_get())
        response["Cache-Control"] = "public, max-age=60"
        return response


class TransparencyReportApi(PublicApi):
    @extend_schema(responses={200: OpenApiTypes.OBJECT, 404: OpenApiResponse(description="`unknown_month`")},
                   tags=["public"], auth=[],
                   summary="The monthly transparency report: disclosures and denials per organization and purpose, "
                           "emergencies in force, code types' figures; counts below the threshold are suppressed")
    def get(self, request, month: str):
        year, number = month_parse(month)
        response = Response(transparency.transparency_report_get(year=year, month=number))
        response["Cache-Control"] = "public, max-age=300"
        return response
