"""Pages: the citizen's licences and the "show only…" screen; the licence office's issue, suspend, reinstate,
revoke and renew screens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.codes import plugin_api
from apps.codes.plugin_api import DomainError

from . import elements as el
from . import selectors, services


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _type_label(kind) -> str:
    return kind.label_en if _english() else kind.label_zh


def _licence_item(licence) -> dict:
    kind = licence.licence_type
    return {"licence": licence, "label": _type_label(kind), "office": kind.office.display_name,
            "elements": el.labelled(el.values_of(licence, today=timezone.localdate()), fields=kind.fields,
                                    english=_english())}


@login_required
@require_GET
def my_licences(request):
    items = [_licence_item(licence) for licence in selectors.licence_list(citizen=request.user)]
    return render(request, "licences/my_licences.html", {"items": items})


@login_required
@require_http_methods(["GET", "POST"])
def show_only(request):
    """"Show only…": the verifier's request (by the code it shows), the fields it may see with the citizen's own
    values, the citizen ticks what to show; the answer is a QR of a presentation of exactly those."""
    nonce = (request.POST.get("request") or request.GET.get("request") or "").strip()
    context: dict = {"nonce": nonce}
    found = selectors.presentation_request_by_nonce_get(nonce=nonce) if nonce else None
    if nonce and found is None:
        messages.error(request, _("No such request. Check the code the verifier shows."))
    if found is not None:
        kind = found.licence_type
        licence = selectors.licence_in_force_get(citizen=request.user, licence_type=kind)
        values = el.values_of(licence, today=timezone.localdate()) if licence else {}
        context.update({
            "found": found, "type_label": _type_label(kind), "licence": licence,
            "verifier_name": found.verifier.display_name,
            "purpose_label": plugin_api.purpose_label_get(code=found.purpose, language=get_language()),
            "asked": [{"key": key, "label": el.label_of(element=key, fields=kind.fields, english=_english()),
                       "value": values.get(key)} for key in found.elements],
        })
        if request.method == "POST" and licence is not None:
            try:
                shown = services.presentation_create(citizen=request.user, nonce=nonce,
                                                     elements=request.POST.getlist("elements"))
            except (DomainError, ValidationError) as refused:
                messages.error(request, str(getattr(refused, "message", refused)))
            else:
                context.update({
                    "shown": shown,
                    # The SVG is drawn by the city's QR module from a Base45 text: no markup of anyone's input.
                    "qr": mark_safe(plugin_api.qr_svg(text=shown.text)),  # noqa: S308
                    "shown_labels": [el.label_of(element=key, fields=kind.fields, english=_english())
                                     for key in shown.elements],
                })
    return render(request, "licences/show_only.html", context)


def _offices(user):
    return plugin_api.organizations_acting_for(user=user)


@login_required
@require_GET
def office(request):
    offices = _offices(request.user)
    types = list(selectors.licence_type_list(offices=offices))
    if not types:
        raise Http404
    licences = [{"licence": licence, "label": _type_label(licence.licence_type),
                 "holder": licence.citizen.name or licence.citizen.username}
                for licence in selectors.licence_list(offices=offices)[:200]]
    return render(request, "licences/office.html", {
        "types": [{"type": t, "label": _type_label(t)} for t in types], "licences": licences})


@login_required
@require_http_methods(["GET", "POST"])
def office_issue(request, type_code: str):
    kind = selectors.licence_type_get(type_code=type_code)
    if kind is None or not plugin_api.user_acts_for(user=request.user, organization=kind.office):
        raise Http404
    fields = [{**f, "label": f["label_en" if _english() else "label_zh"]} for f in kind.fields]
    if request.method == "POST":
        holder = plugin_api.citizen_by_id_number_get(id_number=request.POST.get("id_number", "").strip().upper())
        values = {}
        for field in kind.fields:
            raw = request.POST.get(field["key"], "").strip()
            if field["kind"] == "integer":
                values[field["key"]] = int(raw) if raw.lstrip("-").isdigit() else raw
            elif field["kind"] == "boolean":
                values[field["key"]] = raw == "on"
            else:
                values[field["key"]] = raw
        if holder is None:
            messages.error(request, _("No registered citizen has this ID number."))
        else:
            try:
                issued = services.licence_issue(licence_type=kind, citizen=holder, values=values,
                                                issued_by=request.user)
            except DomainError as refused:
                messages.error(request, refused.message)
            else:
                messages.success(request, _("Issued %(number)s.") % {"number": issued.identifier})
                return redirect("licences-office")
    return render(request, "licences/office_issue.html", {"kind": kind, "label": _type_label(kind),
                                                           "fields": fields})


_ACTIONS = {
    "suspend": lambda licence, by, reason: services.licence_suspend(licence=licence, by=by, reason=reason),
    "reinstate": lambda licence, by, reason: services.licence_reinstate(licence=licence, by=by),
    "revoke": lambda licence, by, reason: services.licence_revoke(licence=licence, by=by, reason=reason),
    "renew": lambda licence, by, reason: services.licence_renew(licence=licence, by=by),
}


@login_required
@require_POST
def office_act(request, licence_id: int, action: str):
    licence = selectors.licence_get(licence_id=licence_id, offices=_offices(request.user))
    if licence is None or action not in _ACTIONS:
        raise Http404
    try:
        done = _ACTIONS[action](licence, request.user, request.POST.get("reason", "")[:300])
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, _("%(number)s: %(status)s.") % {"number": done.identifier,
                                                                   "status": done.get_status_display()})
    return redirect("licences-office")
