"""Pages: the rider's ride code (wallet), the reader page for a staff phone, and the operator's readers."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.codes.plugin_api import organization_get, organization_list, staff_can_act, staff_organization_list

from . import selectors, services
from .models import RideAccount


@login_required
@never_cache
@require_GET
def ride_code(request: HttpRequest) -> HttpResponse:
    """The wallet's ride code: signed on this device every 20 s, offline once loaded."""
    operators = list(organization_list(kind=services.OPERATOR_KIND))
    account = selectors.ride_account_get(citizen=request.user)
    return render(request, "transit/ride_code.html", {
        "account": account, "operators": operators, "code_lifetime": services.CODE_LIFETIME_SECONDS,
    })


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The transit pages' service worker (served under /transit/ so that its scope covers them)."""
    response = render(request, "transit/sw.js", content_type="application/javascript")
    response["Cache-Control"] = "no-cache"  # a new version of the worker is picked up at the next visit
    return response


@login_required
@require_POST
def ride_account_open(request: HttpRequest) -> HttpResponse:
    """Open a prepaid ride account (idempotent from the page: an existing account is simply kept)."""
    if selectors.ride_account_get(citizen=request.user) is None:
        services.account_open(citizen=request.user, mode=RideAccount.Mode.PREPAID)
        messages.success(request, _("Your ride account is open. Top it up to ride."))
    return redirect("transit-ride-code")


@login_required
@require_GET
def reader_page(request: HttpRequest) -> HttpResponse:
    """A staff phone as a reader: camera scanning and verification in the browser, taps kept offline."""
    operators = list(staff_organization_list(user=request.user, kind=services.OPERATOR_KIND))
    if not operators:
        return render(request, "transit/not_staff.html", status=403)
    return render(request, "transit/reader.html", {"operators": operators})


def _operator_for_staff(request: HttpRequest, slug: str) -> Any:
    operator = organization_get(slug=slug)
    # The same 404 for an operator that does not exist and one the person does not act for: a 403 would confirm
    # that it exists.
    if operator is None or operator.kind != services.OPERATOR_KIND or not staff_can_act(
            user=request.user, organization=operator):
        raise Http404
    return operator


@login_required
@require_GET
def operator_readers(request: HttpRequest, slug: str) -> HttpResponse:
    operator = _operator_for_staff(request, slug)
    return render(request, "transit/operator_readers.html", {
        "operator": operator, "readers": selectors.reader_list(operator=operator),
        "deny_version": selectors.deny_list_version_get(operator=operator),
    })
